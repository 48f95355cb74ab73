//! The OpenAPI document of the admin API, built from the admin route table (so it lists
//! exactly what is served) and the catalog types' schemas, plus the interactive docs page.
//! Served at `/openapi.json` and `/docs` when `server.docs` allows it.

use std::collections::BTreeMap;

use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ArrayBuilder, ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, ObjectBuilder,
    OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required, ResponseBuilder, Schema, Type,
};

use super::admin::table::{Body, SchemaUse};

/// Builds the document from [`super::admin::route_table`].
pub fn document() -> OpenApi {
    let mut schemas: BTreeMap<String, RefOr<Schema>> = BTreeMap::new();
    let mut paths = Paths::new();
    for entry in super::admin::route_table() {
        let doc = &entry.doc;
        let mut op = OperationBuilder::new()
            .tag(doc.tag)
            .summary(Some(doc.summary.clone()))
            .operation_id(Some(operation_id(entry.method.as_str(), &entry.path)));
        if entry.path.contains("{id}") {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer))),
            );
        }
        if let Some(body) = &doc.request {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(body_schema(body, &mut schemas)))
                            .build(),
                    )
                    .build(),
            ));
        }
        let mut response = ResponseBuilder::new().description(status_text(doc.status));
        if let Some(body) = &doc.response {
            response = response.content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(body_schema(body, &mut schemas)))
                    .build(),
            );
        }
        op = op.response(doc.status.to_string(), response.build());
        for (status, what) in [
            (
                "400",
                "The request is malformed or a field breaks a rule (error.param names it)",
            ),
            ("401", "No admin key"),
            ("403", "Wrong admin key"),
            ("404", "The named thing does not exist"),
            ("409", "Conflicts with an existing name"),
        ] {
            op = op.response(
                status,
                ResponseBuilder::new()
                    .description(what)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Error")))
                            .build(),
                    )
                    .build(),
            );
        }
        let method = match entry.method.as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            "PUT" => HttpMethod::Put,
            other => unreachable!("admin routes use no {other}"),
        };
        paths.add_path_operation(&entry.path, vec![method], op.build());
    }
    schemas.insert("Error".into(), error_schema().into());

    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "admin_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Admin-Key"))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("llm-orchestrator admin API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Catalog (providers, keys, models, routes, client keys) and instance health. Every route needs the admin key."))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .security(Some([
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("admin_key_header", Vec::<String>::new()),
        ]))
        .build()
}

fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<String> = path
        .trim_start_matches("/admin/")
        .split('/')
        .map(|seg| {
            if seg == "{id}" {
                "by_id".to_string()
            } else {
                seg.replace('-', "_")
            }
        })
        .collect();
    format!("{}_{}", method.to_ascii_lowercase(), words.join("_"))
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "Deleted",
        _ => "Response",
    }
}

fn reference(used: &SchemaUse, schemas: &mut BTreeMap<String, RefOr<Schema>>) -> RefOr<Schema> {
    for (name, schema) in &used.schemas {
        schemas
            .entry(name.clone())
            .or_insert_with(|| schema.clone());
    }
    Ref::from_schema_name(used.name.clone()).into()
}

fn body_schema(body: &Body, schemas: &mut BTreeMap<String, RefOr<Schema>>) -> RefOr<Schema> {
    match body {
        Body::One(used) => reference(used, schemas),
        Body::Items(used) => ObjectBuilder::new()
            .property("data", ArrayBuilder::new().items(reference(used, schemas)))
            .required("data")
            .into(),
        Body::Page(used) => {
            let int = || ObjectBuilder::new().schema_type(Type::Integer);
            ObjectBuilder::new()
                .property("data", ArrayBuilder::new().items(reference(used, schemas)))
                .property("total", int())
                .property("limit", int())
                .property("offset", int())
                .required("data")
                .required("total")
                .into()
        }
        Body::Object(what) => ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(*what))
            .into(),
    }
}

/// `{"error":{"message","type","param","code"}}`, OpenAI's shape, used by every error.
fn error_schema() -> Schema {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .property(
            "error",
            ObjectBuilder::new()
                .property("message", string())
                .property("type", string())
                .property("param", string())
                .property("code", string())
                .required("message")
                .required("type"),
        )
        .required("error")
        .into()
}
