//! Azure OpenAI: OpenAI's protocol at deployment URLs, authenticated with `api-key`.
//!
//! The provider's base URL is the resource endpoint (`https://NAME.openai.azure.com`), and
//! may carry the API version as `?api-version=...` (else [`API_VERSION`]). Requests go to
//! `/openai/deployments/{upstream_model}{path}?api-version=...`: the route's upstream model
//! names the deployment. A base URL that already names a deployment
//! (`.../openai/deployments/NAME`) is used as it is, and one ending in `/openai/v1` (Azure's
//! version-less v1 API) takes OpenAI's paths with the model in the body.

/// The API version when the base URL does not name one.
pub const API_VERSION: &str = "2024-10-21";

/// The base URL without its query, and the API version.
pub fn split(base: &str) -> (&str, String) {
    let (root, query) = base.split_once('?').unwrap_or((base, ""));
    let version = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "api-version")
        .map_or_else(|| API_VERSION.to_string(), |(_, v)| v.into_owned());
    (root.trim_end_matches('/'), version)
}

/// The URL of `path` (`/chat/completions`, `/embeddings`, ...) for a deployment.
pub fn url(base: &str, deployment: &str, path: &str) -> String {
    let (root, version) = split(base);
    if root.ends_with("/openai/v1") {
        return format!("{root}{path}");
    }
    if root.contains("/openai/deployments/") {
        return format!("{root}{path}?api-version={version}");
    }
    let root = root.strip_suffix("/openai").unwrap_or(root);
    format!("{root}/openai/deployments/{deployment}{path}?api-version={version}")
}

/// The model-list URL of a resource.
pub fn models_url(base: &str) -> String {
    let (root, version) = split(base);
    if root.ends_with("/openai/v1") {
        return format!("{root}/models");
    }
    let root = root.split("/openai").next().unwrap_or(root);
    format!("{root}/openai/models?api-version={version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_urls_carry_the_api_version() {
        let r = "https://res.openai.azure.com";
        assert_eq!(
            url(r, "gpt4o-prod", "/chat/completions"),
            format!("{r}/openai/deployments/gpt4o-prod/chat/completions?api-version={API_VERSION}")
        );
        assert_eq!(
            url(
                &format!("{r}/?api-version=2025-01-01-preview"),
                "d",
                "/embeddings"
            ),
            format!("{r}/openai/deployments/d/embeddings?api-version=2025-01-01-preview")
        );
        assert_eq!(
            url(
                &format!("{r}/openai/deployments/x"),
                "ignored",
                "/chat/completions"
            ),
            format!("{r}/openai/deployments/x/chat/completions?api-version={API_VERSION}")
        );
        assert_eq!(
            url(&format!("{r}/openai/v1/"), "m", "/chat/completions"),
            format!("{r}/openai/v1/chat/completions")
        );
        assert_eq!(
            models_url(&format!("{r}?api-version=v")),
            format!("{r}/openai/models?api-version=v")
        );
    }
}
