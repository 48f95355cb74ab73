//! The catalog's vocabulary: providers, provider keys, models, routes and client keys as the
//! admin API, the import/export formats and the CLI see them, plus the create / patch /
//! filter shapes they accept.
//!
//! Owns types and their validation only. Storage is `catalog::store`, the in-memory routing
//! view is `catalog::snapshot`, file formats are `catalog::formats`. Provider key secrets never
//! appear in these types except in `New*`/`*Patch` inputs and `CatalogDoc` entries that an
//! operator wrote; outputs carry only the masked `key_hint`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The wire protocol a provider speaks. `openai` also covers every OpenAI-compatible server
/// (DeepSeek, Qwen/DashScope, Moonshot, Zhipu, Ollama, vLLM, OpenRouter, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum ProviderKind {
    #[serde(rename = "openai")]
    OpenAi,
    #[serde(rename = "anthropic")]
    Anthropic,
    #[serde(rename = "gemini")]
    Gemini,
    #[serde(rename = "azure_openai")]
    AzureOpenAi,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::AzureOpenAi,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::AzureOpenAi => "azure_openai",
        }
    }

    /// Accepts our names and the Python version's (`openai`, `anthropic`, `gemini`), any case.
    pub fn parse(s: &str) -> Option<ProviderKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai" | "openai_compatible" | "openai-compatible" => Some(ProviderKind::OpenAi),
            "anthropic" | "claude" => Some(ProviderKind::Anthropic),
            "gemini" | "google" => Some(ProviderKind::Gemini),
            "azure_openai" | "azure-openai" | "azure" => Some(ProviderKind::AzureOpenAi),
            _ => None,
        }
    }

    /// The base URL used when a provider leaves `base_url` empty.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "https://api.openai.com/v1",
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::Gemini => "https://generativelanguage.googleapis.com",
            // Azure has no global endpoint: every resource has its own URL.
            ProviderKind::AzureOpenAi => "",
        }
    }
}

/// What a route can serve; requests that need a capability skip routes without it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Tools,
    Vision,
    JsonSchema,
    Streaming,
}

impl Capability {
    pub const ALL: [Capability; 4] = [
        Capability::Tools,
        Capability::Vision,
        Capability::JsonSchema,
        Capability::Streaming,
    ];

    /// New routes get these unless told otherwise (vision is opt-in, as in the Python version).
    pub const DEFAULT: [Capability; 3] = [
        Capability::Tools,
        Capability::JsonSchema,
        Capability::Streaming,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Tools => "tools",
            Capability::Vision => "vision",
            Capability::JsonSchema => "json_schema",
            Capability::Streaming => "streaming",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs (what reads return)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub kind: ProviderKind,
    /// Empty: the kind's default URL.
    pub base_url: String,
    pub enabled: bool,
    pub weight: i32,
    pub priority: i32,
    pub connect_timeout_ms: Option<i32>,
    pub first_token_timeout_ms: Option<i32>,
    pub idle_timeout_ms: Option<i32>,
    pub total_timeout_ms: Option<i32>,
    pub extra_headers: BTreeMap<String, String>,
    #[schema(value_type = Object)]
    pub param_overrides: Map<String, Value>,
    /// Whether the upstream accepts `stream_options.include_usage`.
    pub stream_include_usage: bool,
    /// Keys of this provider, masked.
    pub keys: Vec<ProviderKey>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProviderKey {
    pub id: i64,
    pub provider_id: i64,
    pub label: String,
    /// Masked, e.g. `sk-…abcd`. The key itself is never returned.
    pub key_hint: String,
    pub enabled: bool,
    pub weight: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Model {
    pub id: i64,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// Answer with the requested model name instead of the upstream model that served.
    pub present_requested_name: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Route {
    pub id: i64,
    pub model_id: i64,
    /// The model's name (joined, for readability).
    pub model: String,
    pub provider_id: i64,
    /// The provider's name (joined, for readability).
    pub provider: String,
    /// What the upstream receives as `model`.
    pub upstream_model: String,
    pub weight: i32,
    /// Tier: lower tiers are tried first.
    pub priority: i32,
    pub capabilities: Vec<Capability>,
    #[schema(value_type = Object)]
    pub param_overrides: Map<String, Value>,
    /// Prices per million tokens.
    pub price_input: f64,
    pub price_output: f64,
    pub price_cached_input: Option<f64>,
    pub max_tokens_default: Option<i32>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClientKey {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, enough to recognise it (`sk-llmo-AbCd`).
    pub key_prefix: String,
    pub enabled: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// Model names this key may use; empty means all.
    pub allowed_models: Vec<String>,
    pub note: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A client key just created or rotated: the only time the key is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedClientKey {
    pub key: String,
    #[serde(flatten)]
    pub client_key: ClientKey,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

// ---------------------------------------------------------------------------------------------
// Inputs (create / patch). Unknown fields are errors that name the field.
// ---------------------------------------------------------------------------------------------

fn yes() -> bool {
    true
}
fn default_provider_weight() -> i32 {
    100
}
fn default_route_weight() -> i32 {
    1
}
fn default_capabilities() -> Vec<Capability> {
    Capability::DEFAULT.to_vec()
}

/// `Some(None)` when the field is present as `null`, `None` when absent: PATCH can clear a
/// nullable field.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    pub name: String,
    pub kind: ProviderKind,
    #[serde(default)]
    pub base_url: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_provider_weight")]
    pub weight: i32,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub connect_timeout_ms: Option<i32>,
    #[serde(default)]
    pub first_token_timeout_ms: Option<i32>,
    #[serde(default)]
    pub idle_timeout_ms: Option<i32>,
    #[serde(default)]
    pub total_timeout_ms: Option<i32>,
    #[serde(default)]
    pub extra_headers: BTreeMap<String, String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub param_overrides: Map<String, Value>,
    #[serde(default = "yes")]
    pub stream_include_usage: bool,
    /// Keys created together with the provider.
    #[serde(default)]
    pub keys: Vec<NewProviderKey>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderPatch {
    pub name: Option<String>,
    pub kind: Option<ProviderKind>,
    pub base_url: Option<String>,
    pub enabled: Option<bool>,
    pub weight: Option<i32>,
    pub priority: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub connect_timeout_ms: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub first_token_timeout_ms: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub idle_timeout_ms: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub total_timeout_ms: Option<Option<i32>>,
    pub extra_headers: Option<BTreeMap<String, String>>,
    #[schema(value_type = Object)]
    pub param_overrides: Option<Map<String, Value>>,
    pub stream_include_usage: Option<bool>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProviderKey {
    /// Defaults to `key-<n>`.
    #[serde(default)]
    pub label: Option<String>,
    /// The secret; stored encrypted.
    pub key: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_route_weight")]
    pub weight: i32,
}

impl std::fmt::Debug for NewProviderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProviderKey")
            .field("label", &self.label)
            .field("key", &"***")
            .field("enabled", &self.enabled)
            .field("weight", &self.weight)
            .finish()
    }
}

#[derive(Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderKeyPatch {
    pub label: Option<String>,
    /// Replaces the secret.
    pub key: Option<String>,
    pub enabled: Option<bool>,
    pub weight: Option<i32>,
}

impl std::fmt::Debug for ProviderKeyPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKeyPatch")
            .field("label", &self.label)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("enabled", &self.enabled)
            .field("weight", &self.weight)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub present_requested_name: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelPatch {
    pub name: Option<String>,
    pub aliases: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub present_requested_name: Option<bool>,
}

/// A model or provider named by id or by name (APIs take either; files take names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Ref {
    Id(i64),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoute {
    pub model: Ref,
    pub provider: Ref,
    /// Defaults to the model's name.
    #[serde(default)]
    pub upstream_model: Option<String>,
    #[serde(default = "default_route_weight")]
    pub weight: i32,
    #[serde(default)]
    pub priority: i32,
    #[serde(default = "default_capabilities")]
    pub capabilities: Vec<Capability>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub param_overrides: Map<String, Value>,
    #[serde(default)]
    pub price_input: f64,
    #[serde(default)]
    pub price_output: f64,
    #[serde(default)]
    pub price_cached_input: Option<f64>,
    #[serde(default)]
    pub max_tokens_default: Option<i32>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutePatch {
    pub upstream_model: Option<String>,
    pub weight: Option<i32>,
    pub priority: Option<i32>,
    pub capabilities: Option<Vec<Capability>>,
    #[schema(value_type = Object)]
    pub param_overrides: Option<Map<String, Value>>,
    pub price_input: Option<f64>,
    pub price_output: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub price_cached_input: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub max_tokens_default: Option<Option<i32>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientKey {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub allowed_models: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientKeyPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub allowed_models: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub note: Option<Option<String>>,
}

// ---------------------------------------------------------------------------------------------
// Filters and paging
// ---------------------------------------------------------------------------------------------

/// `limit` (default 50, at most 500) and `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

impl Paging {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 500;

    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Paging, Invalid> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(Invalid::new(
                "limit",
                format!("must be from 1 to {}", Self::MAX_LIMIT),
            ));
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 {
            return Err(Invalid::new("offset", "must not be negative"));
        }
        Ok(Paging { limit, offset })
    }
}

impl Default for Paging {
    fn default() -> Paging {
        Paging {
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderFilter {
    pub enabled: Option<bool>,
    pub kind: Option<ProviderKind>,
    /// Substring of the name.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelFilter {
    pub enabled: Option<bool>,
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteFilter {
    pub model_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientKeyFilter {
    pub enabled: Option<bool>,
    pub q: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// A value that breaks a rule; `field` is the JSON field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Provider names: 1-100 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, so they
/// are safe in URLs, headers and logs.
pub fn check_provider_name(field: &str, name: &str) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            "1-100 characters of letters, digits, `.`, `_` or `-`",
        ))
    }
}

/// Model names and aliases: 1-200 printable characters without whitespace (they may contain
/// `/` and `:`, as in `meta-llama/Llama-3.1-70B` or `qwen2.5:7b`).
pub fn check_model_name(field: &str, name: &str) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.chars().count() <= 200
        && name.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(field, "1-200 characters, no whitespace"))
    }
}

pub fn check_base_url(field: &str, url: &str) -> Result<(), Invalid> {
    if url.is_empty() {
        return Ok(());
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(Invalid::new(
            field,
            "an http:// or https:// URL, or empty for the default",
        )),
    }
}

pub fn check_range(field: &str, v: i64, min: i64, max: i64) -> Result<(), Invalid> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(Invalid::new(field, format!("must be from {min} to {max}")))
    }
}

pub fn check_price(field: &str, v: f64) -> Result<(), Invalid> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(Invalid::new(field, "a price per million tokens, 0 or more"))
    }
}

pub fn check_timeout_ms(field: &str, v: Option<i32>) -> Result<(), Invalid> {
    match v {
        Some(ms) => check_range(field, ms.into(), 1, 3_600_000),
        None => Ok(()),
    }
}

pub fn check_headers(field: &str, headers: &BTreeMap<String, String>) -> Result<(), Invalid> {
    for (k, v) in headers {
        let name_ok = !k.is_empty() && k.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        let value_ok = v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
        if !name_ok || !value_ok {
            return Err(Invalid::new(
                format!("{field}.{k}"),
                "not a valid HTTP header",
            ));
        }
    }
    Ok(())
}

impl NewProvider {
    pub fn validate(&self) -> Result<(), Invalid> {
        check_provider_name("name", &self.name)?;
        check_base_url("base_url", &self.base_url)?;
        if self.kind == ProviderKind::AzureOpenAi && self.base_url.is_empty() {
            return Err(Invalid::new(
                "base_url",
                "azure_openai needs the resource's URL",
            ));
        }
        check_range("weight", self.weight.into(), 0, 1_000_000)?;
        check_range("priority", self.priority.into(), -1000, 1000)?;
        check_timeout_ms("connect_timeout_ms", self.connect_timeout_ms)?;
        check_timeout_ms("first_token_timeout_ms", self.first_token_timeout_ms)?;
        check_timeout_ms("idle_timeout_ms", self.idle_timeout_ms)?;
        check_timeout_ms("total_timeout_ms", self.total_timeout_ms)?;
        check_headers("extra_headers", &self.extra_headers)?;
        for (i, k) in self.keys.iter().enumerate() {
            k.validate()
                .map_err(|e| Invalid::new(format!("keys[{i}].{}", e.field), e.message))?;
        }
        Ok(())
    }
}

impl ProviderPatch {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(n) = &self.name {
            check_provider_name("name", n)?;
        }
        if let Some(u) = &self.base_url {
            check_base_url("base_url", u)?;
        }
        if let Some(w) = self.weight {
            check_range("weight", w.into(), 0, 1_000_000)?;
        }
        if let Some(p) = self.priority {
            check_range("priority", p.into(), -1000, 1000)?;
        }
        check_timeout_ms("connect_timeout_ms", self.connect_timeout_ms.flatten())?;
        check_timeout_ms(
            "first_token_timeout_ms",
            self.first_token_timeout_ms.flatten(),
        )?;
        check_timeout_ms("idle_timeout_ms", self.idle_timeout_ms.flatten())?;
        check_timeout_ms("total_timeout_ms", self.total_timeout_ms.flatten())?;
        if let Some(h) = &self.extra_headers {
            check_headers("extra_headers", h)?;
        }
        Ok(())
    }
}

fn check_label(field: &str, label: &str) -> Result<(), Invalid> {
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(Invalid::new(field, "1-100 printable characters"));
    }
    Ok(())
}

fn check_secret(field: &str, key: &str) -> Result<(), Invalid> {
    if key.trim().is_empty() || key.len() > 4096 || key.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            "a non-empty key without control characters",
        ));
    }
    Ok(())
}

impl NewProviderKey {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(l) = &self.label {
            check_label("label", l)?;
        }
        check_secret("key", &self.key)?;
        check_range("weight", self.weight.into(), 0, 1_000_000)
    }
}

impl ProviderKeyPatch {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(l) = &self.label {
            check_label("label", l)?;
        }
        if let Some(k) = &self.key {
            check_secret("key", k)?;
        }
        if let Some(w) = self.weight {
            check_range("weight", w.into(), 0, 1_000_000)?;
        }
        Ok(())
    }
}

fn check_aliases(aliases: &[String]) -> Result<(), Invalid> {
    for (i, a) in aliases.iter().enumerate() {
        check_model_name(&format!("aliases[{i}]"), a)?;
    }
    Ok(())
}

impl NewModel {
    pub fn validate(&self) -> Result<(), Invalid> {
        check_model_name("name", &self.name)?;
        check_aliases(&self.aliases)?;
        if self.aliases.contains(&self.name) {
            return Err(Invalid::new(
                "aliases",
                "must not repeat the model's own name",
            ));
        }
        Ok(())
    }
}

impl ModelPatch {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(n) = &self.name {
            check_model_name("name", n)?;
        }
        if let Some(a) = &self.aliases {
            check_aliases(a)?;
        }
        Ok(())
    }
}

fn check_route_numbers(
    weight: Option<i32>,
    priority: Option<i32>,
    prices: [(&str, Option<f64>); 3],
    max_tokens: Option<i32>,
) -> Result<(), Invalid> {
    if let Some(w) = weight {
        check_range("weight", w.into(), 0, 1_000_000)?;
    }
    if let Some(p) = priority {
        check_range("priority", p.into(), -1000, 1000)?;
    }
    for (field, price) in prices {
        if let Some(p) = price {
            check_price(field, p)?;
        }
    }
    if let Some(m) = max_tokens {
        check_range("max_tokens_default", m.into(), 1, 10_000_000)?;
    }
    Ok(())
}

impl NewRoute {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Ref::Name(n) = &self.model {
            check_model_name("model", n)?;
        }
        if let Ref::Name(n) = &self.provider {
            check_provider_name("provider", n)?;
        }
        if let Some(u) = &self.upstream_model {
            check_model_name("upstream_model", u)?;
        }
        check_route_numbers(
            Some(self.weight),
            Some(self.priority),
            [
                ("price_input", Some(self.price_input)),
                ("price_output", Some(self.price_output)),
                ("price_cached_input", self.price_cached_input),
            ],
            self.max_tokens_default,
        )
    }
}

impl RoutePatch {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(u) = &self.upstream_model {
            check_model_name("upstream_model", u)?;
        }
        check_route_numbers(
            self.weight,
            self.priority,
            [
                ("price_input", self.price_input),
                ("price_output", self.price_output),
                ("price_cached_input", self.price_cached_input.flatten()),
            ],
            self.max_tokens_default.flatten(),
        )
    }
}

fn check_client_key_name(name: &str) -> Result<(), Invalid> {
    check_label("name", name)
}

fn check_allowed_models(models: &[String]) -> Result<(), Invalid> {
    for (i, m) in models.iter().enumerate() {
        check_model_name(&format!("allowed_models[{i}]"), m)?;
    }
    Ok(())
}

impl NewClientKey {
    pub fn validate(&self) -> Result<(), Invalid> {
        check_client_key_name(&self.name)?;
        check_allowed_models(&self.allowed_models)
    }
}

impl ClientKeyPatch {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(n) = &self.name {
            check_client_key_name(n)?;
        }
        if let Some(m) = &self.allowed_models {
            check_allowed_models(m)?;
        }
        Ok(())
    }
}

/// Masks a secret for display: `sk-…abcd` (first 3 and last 4 characters); short secrets show
/// only their last 2.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 12 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else if chars.len() >= 6 {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("…{tail}")
    } else {
        "…".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_only_a_recognisable_prefix_and_suffix() {
        assert_eq!(mask_secret("sk-proj-abcdefghijklmnop1234"), "sk-…1234");
        assert_eq!(mask_secret("short-k"), "…-k");
        assert_eq!(mask_secret("abc"), "…");
    }

    #[test]
    fn unknown_fields_in_a_patch_are_errors_that_name_the_field() {
        let e = serde_json::from_str::<ProviderPatch>(r#"{"wieght": 3}"#).unwrap_err();
        assert!(e.to_string().contains("wieght"), "{e}");
    }

    #[test]
    fn a_null_in_a_patch_clears_and_an_absent_field_keeps() {
        let p: ProviderPatch = serde_json::from_str(r#"{"connect_timeout_ms": null}"#).unwrap();
        assert_eq!(p.connect_timeout_ms, Some(None));
        assert_eq!(p.idle_timeout_ms, None);
    }

    #[test]
    fn names_and_urls_are_checked() {
        assert!(check_provider_name("name", "openai-main").is_ok());
        assert!(check_provider_name("name", "bad name").is_err());
        assert!(check_model_name("name", "meta-llama/Llama-3.1-70B").is_ok());
        assert!(check_model_name("name", "has space").is_err());
        assert!(check_base_url("base_url", "ftp://x").is_err());
        assert!(check_base_url("base_url", "").is_ok());
    }

    #[test]
    fn provider_kinds_accept_python_names() {
        assert_eq!(ProviderKind::parse("OpenAI"), Some(ProviderKind::OpenAi));
        assert_eq!(
            ProviderKind::parse("azure"),
            Some(ProviderKind::AzureOpenAi)
        );
        assert_eq!(ProviderKind::parse("cohere"), None);
    }
}

// ---------------------------------------------------------------------------------------------
// The declarative catalog document (TOML / JSON files, Excel import): names, never ids.
// ---------------------------------------------------------------------------------------------

fn default_key_weight() -> i32 {
    1
}

/// The whole catalog as an operator keeps it in git. Import upserts by name; export writes
/// this shape back, so import -> export -> import changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogDoc {
    #[serde(default)]
    pub providers: Vec<ProviderDoc>,
    #[serde(default)]
    pub models: Vec<ModelDoc>,
    #[serde(default)]
    pub routes: Vec<RouteDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderDoc {
    pub name: String,
    pub kind: ProviderKind,
    #[serde(default)]
    pub base_url: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_provider_weight")]
    pub weight: i32,
    #[serde(default)]
    pub priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_timeout_ms: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_timeout_ms: Option<i32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub param_overrides: Map<String, Value>,
    #[serde(default = "yes")]
    pub stream_include_usage: bool,
    #[serde(default)]
    pub keys: Vec<KeyDoc>,
}

/// A provider key in a file. On import: `key` (the secret) or `key_env` (an environment
/// variable holding it) sets the secret; with neither, an existing key of that label keeps its
/// secret (so an export without secrets imports cleanly) and a new label is an error.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyDoc {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_env: Option<String>,
    /// Written by export for the reader's benefit; ignored on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hint: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_key_weight")]
    pub weight: i32,
}

impl std::fmt::Debug for KeyDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyDoc")
            .field("label", &self.label)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("key_env", &self.key_env)
            .field("key_hint", &self.key_hint)
            .field("enabled", &self.enabled)
            .field("weight", &self.weight)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub present_requested_name: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteDoc {
    pub model: String,
    pub provider: String,
    /// Defaults to the model's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_model: Option<String>,
    #[serde(default = "default_route_weight")]
    pub weight: i32,
    #[serde(default)]
    pub priority: i32,
    #[serde(default = "default_capabilities")]
    pub capabilities: Vec<Capability>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub param_overrides: Map<String, Value>,
    #[serde(default)]
    pub price_input: f64,
    #[serde(default)]
    pub price_output: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_cached_input: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_default: Option<i32>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// How an import treats what the file does not mention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Compute and return the changes, write nothing.
    pub dry_run: bool,
    /// Also delete providers, keys, models and routes the file does not list.
    pub prune: bool,
}

/// One change an import made (or, in a dry run, would make).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// `provider`, `provider_key`, `model` or `route`.
    pub resource: String,
    /// `openai-main`, `openai-main/k1`, `gpt-4o`, `gpt-4o -> openai-main:gpt-4o-2024-08-06`.
    pub name: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// For updates: the fields that change (never their secret values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub changes: Vec<Change>,
    /// Entries that matched what is stored.
    pub unchanged: usize,
}
