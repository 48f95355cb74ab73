//! `provider_health`: the gateway's circuit states, saved so that a restarted instance knows
//! which keys and providers were resting. One row per provider (`key_id` 0) and per provider
//! key. Rows go with their provider (foreign key cascade); rows of deleted keys have no foreign
//! key to follow and are pruned here. What the states mean is `gateway::health`'s business,
//! when to write them `gateway::health_persist`'s.

use std::collections::HashSet;

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::conn::{distinct, from_db_time, now, on, to_db_time, tx, TxMode};
use super::{Store, StoreError};
use crate::db::rows::{ProviderHealthRow, ProviderHealthWrite};
use crate::db::schema::{provider_health, provider_keys, providers};

/// One saved state. Timestamps are kept to the microsecond, as every backend stores them, so
/// a record read back compares equal to the one written.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRecord {
    pub provider_id: i64,
    /// 0 for the provider as a whole.
    pub key_id: i64,
    /// `healthy` | `degraded` | `unhealthy`.
    pub state: String,
    pub consecutive_failures: i32,
    pub consecutive_successes: i32,
    pub last_error: Option<String>,
    pub last_status: Option<i32>,
    pub last_check_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
}

impl HealthRecord {
    /// Truncates the timestamps to what the database keeps.
    pub fn normalized(mut self) -> HealthRecord {
        self.last_check_at = self.last_check_at.map(|t| t.trunc_subsecs(6));
        self.opened_at = self.opened_at.map(|t| t.trunc_subsecs(6));
        self
    }
}

fn from_row(r: ProviderHealthRow) -> HealthRecord {
    HealthRecord {
        provider_id: r.provider_id,
        key_id: r.key_id,
        state: r.state,
        consecutive_failures: r.consecutive_failures,
        consecutive_successes: r.consecutive_successes,
        last_error: r.last_error,
        last_status: r.last_status,
        last_check_at: r.last_check_at.map(from_db_time),
        opened_at: r.opened_at.map(from_db_time),
    }
}

fn to_write(r: &HealthRecord) -> ProviderHealthWrite {
    ProviderHealthWrite {
        provider_id: r.provider_id,
        key_id: r.key_id,
        state: r.state.clone(),
        consecutive_failures: r.consecutive_failures,
        consecutive_successes: r.consecutive_successes,
        last_error: r.last_error.clone(),
        last_status: r.last_status,
        last_check_at: r.last_check_at.map(to_db_time),
        opened_at: r.opened_at.map(to_db_time),
        updated_at: now(),
    }
}

impl Store {
    /// Every saved state, by provider then key.
    pub async fn load_provider_health(&self) -> Result<Vec<HealthRecord>, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            let rows: Vec<ProviderHealthRow> = on!(c, c => {
                provider_health::table
                    .select(ProviderHealthRow::as_select())
                    .order((provider_health::provider_id.asc(), provider_health::key_id.asc()))
                    .load(c)
                    .await?
            });
            Ok::<_, StoreError>(rows.into_iter().map(from_row).collect())
        })
    }

    /// Writes these states (insert or update by provider and key), in one transaction.
    /// Records of providers that no longer exist are skipped. Returns how many were written.
    pub async fn save_provider_health(
        &self,
        records: &[HealthRecord],
    ) -> Result<usize, StoreError> {
        if records.is_empty() {
            return Ok(0);
        }
        let ids = distinct(&records.iter().map(|r| r.provider_id).collect::<Vec<_>>());
        tx!(&self.db, TxMode::Write, c => {
            let live: HashSet<i64> = on!(c, c => {
                providers::table
                    .filter(providers::id.eq_any(&ids))
                    .select(providers::id)
                    .load::<i64>(c)
                    .await?
            })
            .into_iter()
            .collect();
            let existing: HashSet<(i64, i64)> = on!(c, c => {
                provider_health::table
                    .filter(provider_health::provider_id.eq_any(&ids))
                    .select((provider_health::provider_id, provider_health::key_id))
                    .load::<(i64, i64)>(c)
                    .await?
            })
            .into_iter()
            .collect();
            let mut written = 0;
            for r in records.iter().filter(|r| live.contains(&r.provider_id)) {
                let write = to_write(r);
                if existing.contains(&(r.provider_id, r.key_id)) {
                    on!(c, c => {
                        diesel::update(
                            provider_health::table
                                .filter(provider_health::provider_id.eq(r.provider_id))
                                .filter(provider_health::key_id.eq(r.key_id)),
                        )
                        .set(&write)
                        .execute(c)
                        .await?
                    });
                } else {
                    on!(c, c => {
                        diesel::insert_into(provider_health::table)
                            .values(&write)
                            .execute(c)
                            .await?
                    });
                }
                written += 1;
            }
            Ok::<_, StoreError>(written)
        })
    }

    /// Deletes the rows of provider keys that no longer exist; returns how many.
    pub async fn prune_provider_health(&self) -> Result<usize, StoreError> {
        tx!(&self.db, TxMode::Write, c => {
            let n = on!(c, c => {
                diesel::delete(
                    provider_health::table
                        .filter(provider_health::key_id.ne(0_i64))
                        .filter(diesel::dsl::not(
                            provider_health::key_id
                                .eq_any(provider_keys::table.select(provider_keys::id)),
                        )),
                )
                .execute(c)
                .await?
            });
            Ok::<_, StoreError>(n)
        })
    }
}
