//! Import of the declarative catalog document: validate the whole file, then upsert by name
//! (providers by name, keys by (provider, label), models by name, routes by (model, provider,
//! upstream model)), optionally prune what the file does not list, and report every change.
//!
//! One transaction for the whole file. A dry run runs the very same code and rolls back, so
//! its report is exactly what a real run would do. Comparisons go through the export shapes
//! (`snapshot.rs`), which is what makes import -> export -> import a no-op. Parsing files is
//! `catalog::formats`' business; this module takes a `CatalogDoc`.

use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::result::Error as DieselError;
use serde::Serialize;

use super::conn::{delete_ids, tx, Conn, Table, TxMode};
use super::models::{all_models, insert_model_row, write_model_row, ModelNames};
use super::provider_keys::{insert_key, key_rows, write_key_row, write_secret};
use super::providers::{all_providers, insert_provider_row, write_provider_row};
use super::routes::{all_routes, insert_route_row, route_name, write_route_row, Target};
use super::snapshot::{model_doc, provider_doc, route_doc};
use super::{invalid_within, Store, StoreError};
use crate::catalog::model::{
    CatalogDoc, Change, ImportOptions, ImportReport, Invalid, KeyDoc, Model, ModelDoc, NewModel,
    NewProvider, NewProviderKey, NewRoute, Provider, ProviderDoc, ProviderKeyPatch, Ref, Route,
    RouteDoc,
};
use crate::db::rows::ProviderKeyWrite;

/// Why the import transaction ends without committing.
enum Abort {
    Failed(StoreError),
    /// A dry run finished: roll back and hand out the report.
    DryRun(ImportReport),
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Abort {
        Abort::Failed(e)
    }
}

impl From<DieselError> for Abort {
    fn from(e: DieselError) -> Abort {
        Abort::Failed(e.into())
    }
}

impl Store {
    /// Applies `doc` (see the module docs). Errors name the entry, e.g.
    /// `providers[2].keys[0]: new key `k3` needs key or key_env`; on any error nothing changes.
    pub async fn import_catalog(
        &self,
        doc: &CatalogDoc,
        opts: ImportOptions,
    ) -> Result<ImportReport, StoreError> {
        let result = tx!(&self.db, TxMode::Write, c => {
            let report = Import::new(c, self, doc, opts).await?.run(c).await?;
            if opts.dry_run {
                Err(Abort::DryRun(report))
            } else {
                Ok(report)
            }
        });
        match result {
            Ok(report) | Err(Abort::DryRun(report)) => Ok(report),
            Err(Abort::Failed(e)) => Err(e),
        }
    }
}

/// A key of the file, validated, with its secret when the file sets one.
struct KeyPlan<'d> {
    doc: &'d KeyDoc,
    secret: Option<String>,
}

struct ProviderPlan<'d> {
    doc: &'d ProviderDoc,
    new: NewProvider,
    keys: Vec<KeyPlan<'d>>,
}

struct RoutePlan<'d> {
    doc: &'d RouteDoc,
    new: NewRoute,
    upstream_model: String,
}

/// The validated file and the database as it was when the import began.
struct Import<'a, 'd> {
    store: &'a Store,
    opts: ImportOptions,
    providers: Vec<ProviderPlan<'d>>,
    models: Vec<(&'d ModelDoc, NewModel)>,
    routes: Vec<RoutePlan<'d>>,
    current_providers: Vec<Provider>,
    current_models: Vec<Model>,
    current_routes: Vec<Route>,
    /// Ciphertext of every stored key, by key id (decrypted only to compare).
    ciphertexts: HashMap<i64, String>,
    report: ImportReport,
}

fn twice(what: &str, first: usize) -> String {
    format!("listed twice (also {what}[{first}])")
}

/// Remembers `key` at `index`; a repeat is an error naming both entries.
fn first_time<K: std::hash::Hash + Eq>(
    seen: &mut HashMap<K, usize>,
    key: K,
    index: usize,
    field: String,
    what: &str,
) -> Result<(), Invalid> {
    match seen.insert(key, index) {
        Some(first) => Err(Invalid::new(field, twice(what, first))),
        None => Ok(()),
    }
}

fn provider_new(d: &ProviderDoc) -> NewProvider {
    NewProvider {
        name: d.name.clone(),
        kind: d.kind,
        base_url: d.base_url.clone(),
        enabled: d.enabled,
        weight: d.weight,
        priority: d.priority,
        connect_timeout_ms: d.connect_timeout_ms,
        first_token_timeout_ms: d.first_token_timeout_ms,
        idle_timeout_ms: d.idle_timeout_ms,
        total_timeout_ms: d.total_timeout_ms,
        extra_headers: d.extra_headers.clone(),
        param_overrides: d.param_overrides.clone(),
        stream_include_usage: d.stream_include_usage,
        keys: Vec::new(),
    }
}

fn model_new(d: &ModelDoc) -> NewModel {
    NewModel {
        name: d.name.clone(),
        aliases: d.aliases.clone(),
        description: d.description.clone(),
        enabled: d.enabled,
        present_requested_name: d.present_requested_name,
    }
}

fn route_new(d: &RouteDoc) -> NewRoute {
    NewRoute {
        model: Ref::Name(d.model.clone()),
        provider: Ref::Name(d.provider.clone()),
        upstream_model: d.upstream_model.clone(),
        weight: d.weight,
        priority: d.priority,
        capabilities: d.capabilities.clone(),
        param_overrides: d.param_overrides.clone(),
        price_input: d.price_input,
        price_output: d.price_output,
        price_cached_input: d.price_cached_input,
        max_tokens_default: d.max_tokens_default,
        enabled: d.enabled,
    }
}

/// Reads the secret named by `key_env` now; the error names the variable, never a value.
fn secret_from_env(at: &str, var: &str) -> Result<String, Invalid> {
    let field = format!("{at}.key_env");
    if var.is_empty() || var.contains(['=', '\0']) {
        return Err(Invalid::new(field, "not a valid environment variable name"));
    }
    let value = std::env::var(var).map_err(|e| {
        let problem = match e {
            std::env::VarError::NotPresent => "is not set",
            std::env::VarError::NotUnicode(_) => "is not valid UTF-8",
        };
        Invalid::new(
            field.clone(),
            format!("environment variable `{var}` {problem}"),
        )
    })?;
    let check = ProviderKeyPatch {
        key: Some(value.clone()),
        ..ProviderKeyPatch::default()
    };
    check.validate().map_err(|e| {
        Invalid::new(
            field.clone(),
            format!(
                "environment variable `{var}` does not hold a usable key: {}",
                e.message
            ),
        )
    })?;
    Ok(value)
}

/// The fields whose serialized values differ (a field only one side writes counts too).
fn changed_fields<T: Serialize>(old: &T, new: &T) -> Vec<String> {
    let as_map = |v: &T| match serde_json::to_value(v) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => unreachable!("documents serialize to JSON objects"),
    };
    let (old, new) = (as_map(old), as_map(new));
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect()
}

fn change(resource: &str, name: String, action: &str, fields: Vec<String>) -> Change {
    Change {
        resource: resource.into(),
        name,
        action: action.into(),
        fields,
    }
}

impl<'a, 'd> Import<'a, 'd> {
    /// Reads the database and validates the whole file against it; writes nothing.
    async fn new(
        c: &mut Conn<'_>,
        store: &'a Store,
        doc: &'d CatalogDoc,
        opts: ImportOptions,
    ) -> Result<Import<'a, 'd>, StoreError> {
        let mut import = Import {
            store,
            opts,
            providers: Vec::new(),
            models: Vec::new(),
            routes: Vec::new(),
            current_providers: all_providers(c).await?,
            current_models: all_models(c).await?,
            current_routes: all_routes(c).await?,
            ciphertexts: key_rows(c, None)
                .await?
                .into_iter()
                .map(|r| (r.id, r.key_ciphertext))
                .collect(),
            report: ImportReport {
                dry_run: opts.dry_run,
                ..ImportReport::default()
            },
        };
        import.plan_providers(doc)?;
        import.plan_models(doc)?;
        import.plan_routes(doc)?;
        Ok(import)
    }

    fn current_provider(&self, name: &str) -> Option<&Provider> {
        self.current_providers.iter().find(|p| p.name == name)
    }

    fn plan_providers(&mut self, doc: &'d CatalogDoc) -> Result<(), Invalid> {
        let mut names = HashMap::new();
        for (i, p) in doc.providers.iter().enumerate() {
            let at = format!("providers[{i}]");
            first_time(&mut names, &p.name, i, format!("{at}.name"), "providers")?;
            let new = provider_new(p);
            new.validate().map_err(|e| invalid_within(&at, e))?;
            let existing = self.current_provider(&p.name);
            let mut labels = HashMap::new();
            let mut keys = Vec::new();
            for (k, key) in p.keys.iter().enumerate() {
                let at = format!("{at}.keys[{k}]");
                first_time(&mut labels, &key.label, k, format!("{at}.label"), "keys")?;
                let check = ProviderKeyPatch {
                    label: Some(key.label.clone()),
                    key: key.key.clone(),
                    enabled: None,
                    weight: Some(key.weight),
                };
                check.validate().map_err(|e| invalid_within(&at, e))?;
                let secret = match (&key.key, &key.key_env) {
                    (Some(_), Some(_)) => {
                        return Err(Invalid::new(at, "set key or key_env, not both"))
                    }
                    (Some(s), None) => Some(s.clone()),
                    (None, Some(var)) => Some(secret_from_env(&at, var)?),
                    (None, None) => None,
                };
                let stored = existing.is_some_and(|e| e.keys.iter().any(|x| x.label == key.label));
                if secret.is_none() && !stored {
                    return Err(Invalid::new(
                        at,
                        format!("new key `{}` needs key or key_env", key.label),
                    ));
                }
                keys.push(KeyPlan { doc: key, secret });
            }
            self.providers.push(ProviderPlan { doc: p, new, keys });
        }
        Ok(())
    }

    fn plan_models(&mut self, doc: &'d CatalogDoc) -> Result<(), Invalid> {
        let mut seen = HashMap::new();
        for (i, m) in doc.models.iter().enumerate() {
            first_time(&mut seen, &m.name, i, format!("models[{i}].name"), "models")?;
        }
        // The namespace after the import: the stored models the file keeps, then the file's.
        let mut names = ModelNames::default();
        for m in &self.current_models {
            if !self.opts.prune && !seen.contains_key(&m.name) {
                names.add(&m.name, &m.aliases);
            }
        }
        for (i, m) in doc.models.iter().enumerate() {
            let at = format!("models[{i}]");
            let new = model_new(m);
            new.validate().map_err(|e| invalid_within(&at, e))?;
            if let Some(clash) = names.clash(&new) {
                return Err(invalid_within(&at, clash.into_invalid()));
            }
            names.add(&new.name, &new.aliases);
            self.models.push((m, new));
        }
        Ok(())
    }

    fn plan_routes(&mut self, doc: &'d CatalogDoc) -> Result<(), Invalid> {
        let in_file_models: HashSet<&str> = doc.models.iter().map(|m| m.name.as_str()).collect();
        let in_file_providers: HashSet<&str> =
            doc.providers.iter().map(|p| p.name.as_str()).collect();
        // With prune, what the file does not list is deleted, so only the file can resolve.
        let keep_stored = !self.opts.prune;
        let where_ = if keep_stored {
            "in the file or the database"
        } else {
            "in the file (with prune, routes may only name what the file lists)"
        };
        let mut seen = HashMap::new();
        for (i, r) in doc.routes.iter().enumerate() {
            let at = format!("routes[{i}]");
            let new = route_new(r);
            new.validate().map_err(|e| invalid_within(&at, e))?;
            let model_known = in_file_models.contains(r.model.as_str())
                || keep_stored && self.current_models.iter().any(|m| m.name == r.model);
            if !model_known {
                return Err(Invalid::new(
                    format!("{at}.model"),
                    format!("no model `{}` {where_}", r.model),
                ));
            }
            let provider_known = in_file_providers.contains(r.provider.as_str())
                || keep_stored && self.current_provider(&r.provider).is_some();
            if !provider_known {
                return Err(Invalid::new(
                    format!("{at}.provider"),
                    format!("no provider `{}` {where_}", r.provider),
                ));
            }
            let upstream_model = r.upstream_model.clone().unwrap_or_else(|| r.model.clone());
            let identity = (r.model.clone(), r.provider.clone(), upstream_model.clone());
            first_time(&mut seen, identity, i, at, "routes")?;
            self.routes.push(RoutePlan {
                doc: r,
                new,
                upstream_model,
            });
        }
        Ok(())
    }

    async fn run(mut self, c: &mut Conn<'_>) -> Result<ImportReport, StoreError> {
        let provider_ids = self.apply_providers(c).await?;
        let model_ids = self.apply_models(c).await?;
        self.apply_routes(c, &provider_ids, &model_ids).await?;
        if self.opts.prune {
            self.prune(c).await?;
        }
        Ok(self.report)
    }

    fn record(&mut self, resource: &str, name: String, action: &str, fields: Vec<String>) {
        self.report
            .changes
            .push(change(resource, name, action, fields));
    }

    /// Upserts providers and their keys; returns every provider's id by name.
    async fn apply_providers(
        &mut self,
        c: &mut Conn<'_>,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut ids: HashMap<String, i64> = self
            .current_providers
            .iter()
            .map(|p| (p.name.clone(), p.id))
            .collect();
        let plans = std::mem::take(&mut self.providers);
        for plan in &plans {
            let name = plan.doc.name.clone();
            let current = self.current_provider(&name).cloned();
            let id = match &current {
                Some(cur) => {
                    let stripped = ProviderDoc {
                        keys: Vec::new(),
                        ..plan.doc.clone()
                    };
                    let fields = changed_fields(&provider_doc(cur, Vec::new()), &stripped);
                    if fields.is_empty() {
                        self.report.unchanged += 1;
                    } else {
                        write_provider_row(c, cur.id, &plan.new).await?;
                        self.record("provider", name.clone(), "update", fields);
                    }
                    cur.id
                }
                None => {
                    let id = insert_provider_row(c, &plan.new).await?;
                    self.record("provider", name.clone(), "create", Vec::new());
                    id
                }
            };
            ids.insert(name.clone(), id);
            self.apply_keys(c, id, &name, current.as_ref(), &plan.keys)
                .await?;
        }
        self.providers = plans;
        Ok(ids)
    }

    async fn apply_keys(
        &mut self,
        c: &mut Conn<'_>,
        provider_id: i64,
        provider: &str,
        current: Option<&Provider>,
        keys: &[KeyPlan<'_>],
    ) -> Result<(), StoreError> {
        let stored = current.map(|p| p.keys.as_slice()).unwrap_or_default();
        for plan in keys {
            let label = &plan.doc.label;
            let name = format!("{provider}/{label}");
            let Some(cur) = stored.iter().find(|k| &k.label == label) else {
                let new = NewProviderKey {
                    label: Some(label.clone()),
                    key: plan
                        .secret
                        .clone()
                        .expect("checked: a new key has a secret"),
                    enabled: plan.doc.enabled,
                    weight: plan.doc.weight,
                };
                insert_key(c, self.store, provider_id, new).await?;
                self.record("provider_key", name, "create", Vec::new());
                continue;
            };
            let mut fields = Vec::new();
            if cur.enabled != plan.doc.enabled {
                fields.push("enabled".to_string());
            }
            if cur.weight != plan.doc.weight {
                fields.push("weight".to_string());
            }
            let new_secret = match &plan.secret {
                Some(secret) => {
                    let stored = self
                        .store
                        .secrets
                        .decrypt(&self.ciphertexts[&cur.id])
                        .map_err(|e| {
                            StoreError::Secret(format!("provider `{provider}` key `{label}`: {e}"))
                        })?;
                    (&stored != secret).then_some(secret)
                }
                None => None,
            };
            if new_secret.is_some() {
                fields.push("key".to_string());
            }
            if fields.is_empty() {
                self.report.unchanged += 1;
                continue;
            }
            let write = ProviderKeyWrite {
                label: label.clone(),
                enabled: plan.doc.enabled,
                weight: plan.doc.weight,
                updated_at: super::conn::now(),
            };
            write_key_row(c, cur.id, provider_id, &write).await?;
            if let Some(secret) = new_secret {
                write_secret(c, self.store, cur.id, secret).await?;
            }
            self.record("provider_key", name, "update", fields);
        }
        if self.opts.prune {
            let listed: HashSet<&str> = keys.iter().map(|k| k.doc.label.as_str()).collect();
            let unlisted = stored
                .iter()
                .filter(|k| !listed.contains(k.label.as_str()))
                .map(|k| (k.id, format!("{provider}/{}", k.label)))
                .collect();
            self.delete_unlisted(c, Table::ProviderKeys, "provider_key", unlisted)
                .await?;
        }
        Ok(())
    }

    async fn apply_models(&mut self, c: &mut Conn<'_>) -> Result<HashMap<String, i64>, StoreError> {
        let mut ids: HashMap<String, i64> = self
            .current_models
            .iter()
            .map(|m| (m.name.clone(), m.id))
            .collect();
        let plans = std::mem::take(&mut self.models);
        for (doc, new) in &plans {
            match self.current_models.iter().find(|m| m.name == doc.name) {
                Some(cur) => {
                    let fields = changed_fields(&model_doc(cur), *doc);
                    if fields.is_empty() {
                        self.report.unchanged += 1;
                    } else {
                        write_model_row(c, cur.id, new).await?;
                        self.record("model", doc.name.clone(), "update", fields);
                    }
                }
                None => {
                    let id = insert_model_row(c, new).await?;
                    ids.insert(doc.name.clone(), id);
                    self.record("model", doc.name.clone(), "create", Vec::new());
                }
            }
        }
        self.models = plans;
        Ok(ids)
    }

    async fn apply_routes(
        &mut self,
        c: &mut Conn<'_>,
        provider_ids: &HashMap<String, i64>,
        model_ids: &HashMap<String, i64>,
    ) -> Result<(), StoreError> {
        let plans = std::mem::take(&mut self.routes);
        for plan in &plans {
            let target = Target {
                model_id: model_ids[&plan.doc.model],
                model: plan.doc.model.clone(),
                provider_id: provider_ids[&plan.doc.provider],
                provider: plan.doc.provider.clone(),
                upstream_model: plan.upstream_model.clone(),
            };
            let name = target.describe();
            let current = self.current_routes.iter().find(|r| {
                r.model == target.model
                    && r.provider == target.provider
                    && r.upstream_model == target.upstream_model
            });
            match current {
                Some(cur) => {
                    // Compare in one normal form: upstream model spelled out, capabilities
                    // in their canonical order without repeats.
                    let mut wanted = plan.doc.clone();
                    wanted.upstream_model = Some(target.upstream_model.clone());
                    wanted.capabilities.sort();
                    wanted.capabilities.dedup();
                    let mut stored = route_doc(cur);
                    stored.upstream_model = Some(cur.upstream_model.clone());
                    let fields = changed_fields(&stored, &wanted);
                    if fields.is_empty() {
                        self.report.unchanged += 1;
                    } else {
                        write_route_row(c, cur.id, &plan.new, &target).await?;
                        self.record("route", name, "update", fields);
                    }
                }
                None => {
                    insert_route_row(c, &plan.new, &target).await?;
                    self.record("route", name, "create", Vec::new());
                }
            }
        }
        self.routes = plans;
        Ok(())
    }

    /// Deletes routes, models and providers (with their keys) that the file does not list.
    async fn prune(&mut self, c: &mut Conn<'_>) -> Result<(), StoreError> {
        let listed_routes: HashSet<(&str, &str, &str)> = self
            .routes
            .iter()
            .map(|r| {
                (
                    r.doc.model.as_str(),
                    r.doc.provider.as_str(),
                    r.upstream_model.as_str(),
                )
            })
            .collect();
        let routes: Vec<(i64, String)> = self
            .current_routes
            .iter()
            .filter(|r| {
                !listed_routes.contains(&(
                    r.model.as_str(),
                    r.provider.as_str(),
                    r.upstream_model.as_str(),
                ))
            })
            .map(|r| (r.id, route_name(&r.model, &r.provider, &r.upstream_model)))
            .collect();
        self.delete_unlisted(c, Table::Routes, "route", routes)
            .await?;

        let listed_models: HashSet<&str> =
            self.models.iter().map(|(m, _)| m.name.as_str()).collect();
        let models: Vec<(i64, String)> = self
            .current_models
            .iter()
            .filter(|m| !listed_models.contains(m.name.as_str()))
            .map(|m| (m.id, m.name.clone()))
            .collect();
        self.delete_unlisted(c, Table::Models, "model", models)
            .await?;

        let listed_providers: HashSet<&str> =
            self.providers.iter().map(|p| p.doc.name.as_str()).collect();
        let mut providers = Vec::new();
        let mut keys = Vec::new();
        for p in self
            .current_providers
            .iter()
            .filter(|p| !listed_providers.contains(p.name.as_str()))
        {
            providers.push((p.id, p.name.clone()));
            keys.extend(
                p.keys
                    .iter()
                    .map(|k| (k.id, format!("{}/{}", p.name, k.label))),
            );
        }
        self.delete_unlisted(c, Table::ProviderKeys, "provider_key", keys)
            .await?;
        self.delete_unlisted(c, Table::Providers, "provider", providers)
            .await
    }

    async fn delete_unlisted(
        &mut self,
        c: &mut Conn<'_>,
        table: Table,
        resource: &str,
        rows: Vec<(i64, String)>,
    ) -> Result<(), StoreError> {
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        delete_ids(c, table, &ids).await?;
        for (_, name) in rows {
            self.record(resource, name, "delete", Vec::new());
        }
        Ok(())
    }
}
