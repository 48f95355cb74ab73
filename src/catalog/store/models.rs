//! Models: rows <-> `Model`, and the rule that model names and aliases share one namespace
//! (a request names a model by either, so no string may mean two models). The schema makes
//! names unique; aliases live in a JSON column, so the namespace is checked here, inside the
//! write transaction, against every other model.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::conn::{
    contains_pattern, from_db_time, from_json, insert_returning_id, load_page, lower, not_found,
    now, on, to_json, tx, Conn, Table, TxMode, LIKE_ESCAPE,
};
use super::{apply_patch, page, resource_api, Create, Resource, Store, StoreError};
use crate::catalog::model::{Invalid, Model, ModelFilter, ModelPatch, NewModel, Page, Paging};
use crate::db::rows::{ModelRow, ModelWrite};
use crate::db::schema::models;

pub(super) fn model_from_row(row: ModelRow) -> Result<Model, StoreError> {
    Ok(Model {
        id: row.id,
        aliases: from_json(&row.aliases, "models.aliases")?,
        name: row.name,
        description: row.description,
        enabled: row.enabled,
        present_requested_name: row.present_requested_name,
        created_at: from_db_time(row.created_at),
        updated_at: from_db_time(row.updated_at),
    })
}

pub(super) fn model_as_new(m: &Model) -> NewModel {
    NewModel {
        name: m.name.clone(),
        aliases: m.aliases.clone(),
        description: m.description.clone(),
        enabled: m.enabled,
        present_requested_name: m.present_requested_name,
    }
}

fn model_write(n: &NewModel) -> ModelWrite {
    ModelWrite {
        name: n.name.clone(),
        aliases: to_json(&n.aliases),
        description: n.description.clone(),
        enabled: n.enabled,
        present_requested_name: n.present_requested_name,
        updated_at: now(),
    }
}

/// Why a model's name or alias cannot be used; the `Invalid` names the field.
pub(super) enum Clash {
    /// Repeated within the same model.
    Repeat(Invalid),
    /// Already the name or an alias of another model.
    Taken(Invalid),
}

impl Clash {
    pub(super) fn into_invalid(self) -> Invalid {
        match self {
            Clash::Repeat(i) | Clash::Taken(i) => i,
        }
    }
}

/// Every string that names a model (names and aliases) and the model it names.
#[derive(Debug, Default)]
pub(super) struct ModelNames {
    owners: HashMap<String, String>,
}

impl ModelNames {
    pub(super) fn add(&mut self, name: &str, aliases: &[String]) {
        for n in std::iter::once(name).chain(aliases.iter().map(String::as_str)) {
            self.owners.insert(n.to_string(), name.to_string());
        }
    }

    /// The first of `new`'s name and aliases that repeats within `new` or already names a
    /// model.
    pub(super) fn clash(&self, new: &NewModel) -> Option<Clash> {
        let candidates = std::iter::once(("name".to_string(), &new.name)).chain(
            new.aliases
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("aliases[{i}]"), a)),
        );
        let mut own: Vec<&String> = Vec::new();
        for (field, n) in candidates {
            if own.contains(&n) {
                return Some(Clash::Repeat(Invalid::new(
                    field,
                    format!("`{n}` is listed twice"),
                )));
            }
            own.push(n);
            match self.owners.get(n) {
                Some(owner) if owner == n => {
                    let message = format!("a model named `{n}` already exists");
                    return Some(Clash::Taken(Invalid::new(field, message)));
                }
                Some(owner) => {
                    let message = format!("`{n}` is already an alias of model `{owner}`");
                    return Some(Clash::Taken(Invalid::new(field, message)));
                }
                None => {}
            }
        }
        None
    }
}

/// The namespace of every model except `except`.
async fn names_except(c: &mut Conn<'_>, except: Option<i64>) -> Result<ModelNames, StoreError> {
    let rows: Vec<(i64, String, String)> = on!(c, c => {
        models::table
            .select((models::id, models::name, models::aliases))
            .load(c)
            .await?
    });
    let mut names = ModelNames::default();
    for (id, name, aliases) in rows {
        if Some(id) != except {
            names.add(
                &name,
                &from_json::<Vec<String>>(&aliases, "models.aliases")?,
            );
        }
    }
    Ok(names)
}

/// A clash with another model is a Conflict; a repeat inside the input is Invalid.
async fn check_names(
    c: &mut Conn<'_>,
    new: &NewModel,
    except: Option<i64>,
) -> Result<(), StoreError> {
    match names_except(c, except).await?.clash(new) {
        Some(Clash::Repeat(i)) => Err(StoreError::Invalid(i)),
        Some(Clash::Taken(i)) => Err(StoreError::Conflict(i.message)),
        None => Ok(()),
    }
}

/// Inserts a valid model whose names were checked.
pub(super) async fn insert_model_row(c: &mut Conn<'_>, new: &NewModel) -> Result<i64, StoreError> {
    let write = model_write(new);
    let created_at = write.updated_at;
    Ok(insert_returning_id!(
        c,
        models,
        (&write, models::created_at.eq(created_at))
    )?)
}

/// Rewrites every column of model `id`; `new` must be valid and its names checked.
pub(super) async fn write_model_row(
    c: &mut Conn<'_>,
    id: i64,
    new: &NewModel,
) -> Result<(), StoreError> {
    let write = model_write(new);
    on!(c, c => {
        diesel::update(models::table.find(id)).set(&write).execute(c).await?
    });
    Ok(())
}

/// Every model, by name.
pub(super) async fn all_models(c: &mut Conn<'_>) -> Result<Vec<Model>, StoreError> {
    let rows: Vec<ModelRow> = on!(c, c => {
        models::table
            .select(ModelRow::as_select())
            .order(models::name.asc())
            .load(c)
            .await?
    });
    rows.into_iter().map(model_from_row).collect()
}

impl Resource for Model {
    const TABLE: Table = Table::Models;
    type Patch = ModelPatch;

    async fn get(c: &mut Conn<'_>, id: i64) -> Result<Model, StoreError> {
        let row: Option<ModelRow> = on!(c, c => {
            models::table
                .find(id)
                .select(ModelRow::as_select())
                .first(c)
                .await
                .optional()?
        });
        model_from_row(row.ok_or_else(|| not_found(Table::Models, id))?)
    }

    async fn update(
        c: &mut Conn<'_>,
        _store: &Store,
        id: i64,
        patch: ModelPatch,
    ) -> Result<(), StoreError> {
        patch.validate()?;
        let mut next = model_as_new(&Model::get(c, id).await?);
        apply_patch!(patch => next; name, aliases, description, enabled, present_requested_name);
        next.validate()?;
        check_names(c, &next, Some(id)).await?;
        write_model_row(c, id, &next).await
    }
}

impl Create for Model {
    type New = NewModel;

    async fn insert(c: &mut Conn<'_>, _store: &Store, new: NewModel) -> Result<i64, StoreError> {
        new.validate()?;
        check_names(c, &new, None).await?;
        insert_model_row(c, &new).await
    }
}

impl Store {
    /// `q` matches a substring of the name or of an alias, ignoring ASCII case.
    pub async fn list_models(&self, f: &ModelFilter, p: Paging) -> Result<Page<Model>, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            let (total, rows) = load_page!(
                c, p, models::table, ModelRow::as_select(), ModelRow, models::id.asc(),
                |q| {
                    let mut q = q;
                    if let Some(e) = f.enabled {
                        q = q.filter(models::enabled.eq(e));
                    }
                    if let Some(s) = &f.q {
                        let pattern = contains_pattern(s);
                        q = q.filter(
                            lower(models::name)
                                .like(pattern.clone())
                                .escape(LIKE_ESCAPE)
                                .or(lower(models::aliases).like(pattern).escape(LIKE_ESCAPE)),
                        );
                    }
                    q
                }
            );
            let data = rows.into_iter().map(model_from_row).collect::<Result<_, _>>()?;
            Ok::<_, StoreError>(page(data, total, p))
        })
    }
}

resource_api!(Model, ModelPatch, "model" {
    get: get_model,
    update: update_model,
    delete: delete_model,
    delete_many: delete_models,
    set_enabled: set_models_enabled,
    create: create_model(NewModel),
    create_many: create_models,
});
