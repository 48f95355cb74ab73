//! Usage statistics from hourly rollups, for `GET /admin/stats` and the `stats` command:
//! totals, one line per group (provider, model, client key or route) and a time series by
//! hour or day. Times are whole hours: `since` is rounded down to its hour, `until` up.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rollup::{hour_of, RollupKey, RollupValues};
use super::store;
use crate::catalog::store::StoreError;
use crate::db::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Provider,
    Model,
    Key,
    Route,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "provider" => Some(GroupBy::Provider),
            "model" => Some(GroupBy::Model),
            "key" => Some(GroupBy::Key),
            "route" => Some(GroupBy::Route),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Hour,
    Day,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Summary {
    pub requests: u64,
    pub successes: u64,
    pub errors: u64,
    /// 0..1; null without requests.
    pub success_rate: Option<f64>,
    pub latency_avg_ms: Option<f64>,
    /// Bucket upper bounds (see README): at most one bucket step above the exact value.
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    pub ttft_p50_ms: Option<u64>,
    pub ttft_p95_ms: Option<u64>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    pub cost: f64,
}

impl Summary {
    fn of(v: &RollupValues) -> Summary {
        let rate = |n: u64| (v.requests > 0).then(|| n as f64 / v.requests as f64);
        Summary {
            requests: v.requests,
            successes: v.successes,
            errors: v.requests - v.successes.min(v.requests),
            success_rate: rate(v.successes),
            latency_avg_ms: (v.requests > 0).then(|| v.latency_ms_sum as f64 / v.requests as f64),
            latency_p50_ms: v.latency.quantile(0.5),
            latency_p95_ms: v.latency.quantile(0.95),
            ttft_p50_ms: v.ttft.quantile(0.5),
            ttft_p95_ms: v.ttft.quantile(0.95),
            prompt_tokens: v.prompt_tokens,
            completion_tokens: v.completion_tokens,
            cached_tokens: v.cached_tokens,
            cost: v.cost,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupLine {
    /// The provider, model, key or route name (`#id` when it no longer exists).
    pub name: String,
    /// The id, for providers, keys and routes (null for "no provider" / "no key").
    pub id: Option<i64>,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeriesPoint {
    pub start: DateTime<Utc>,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatsReport {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub group_by: Option<GroupBy>,
    pub bucket: Bucket,
    pub totals: Summary,
    pub groups: Vec<GroupLine>,
    pub series: Vec<SeriesPoint>,
}

/// Names for ids, from whoever asks (the live snapshot, or the database for the CLI).
pub trait Names {
    fn provider(&self, id: i64) -> Option<String>;
    fn client_key(&self, id: i64) -> Option<String>;
    fn route(&self, id: i64) -> Option<String>;
}

pub async fn report(
    db: &Db,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    group_by: Option<GroupBy>,
    bucket: Bucket,
    names: &dyn Names,
) -> Result<StatsReport, StoreError> {
    let since = hour_of(since);
    let until = {
        let h = hour_of(until);
        if h < until {
            h + TimeDelta::hours(1)
        } else {
            h
        }
    };
    let rows = store::rollups_between(db, since, until).await?;
    Ok(summarise(&rows, since, until, group_by, bucket, names))
}

pub fn summarise(
    rows: &[(RollupKey, RollupValues)],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    group_by: Option<GroupBy>,
    bucket: Bucket,
    names: &dyn Names,
) -> StatsReport {
    let mut totals = RollupValues::default();
    let mut groups: BTreeMap<(String, Option<i64>), RollupValues> = BTreeMap::new();
    let mut series: BTreeMap<DateTime<Utc>, RollupValues> = BTreeMap::new();
    for (k, v) in rows {
        totals.add(v);
        if let Some(g) = group_by {
            let id_name = |id: i64, none: &str, f: &dyn Fn(i64) -> Option<String>| {
                if id == 0 {
                    (none.to_string(), None)
                } else {
                    (f(id).unwrap_or_else(|| format!("#{id}")), Some(id))
                }
            };
            let key = match g {
                GroupBy::Model => (k.model.clone(), None),
                GroupBy::Provider => {
                    id_name(k.provider_id, "(no provider)", &|id| names.provider(id))
                }
                GroupBy::Key => id_name(k.client_key_id, "(no key)", &|id| names.client_key(id)),
                GroupBy::Route => id_name(k.route_id, "(no route)", &|id| names.route(id)),
            };
            groups.entry(key).or_default().add(v);
        }
        let start = match bucket {
            Bucket::Hour => k.hour,
            Bucket::Day => k.hour.duration_trunc(TimeDelta::days(1)).unwrap_or(k.hour),
        };
        series.entry(start).or_default().add(v);
    }
    let mut groups: Vec<GroupLine> = groups
        .into_iter()
        .map(|((name, id), v)| GroupLine {
            name,
            id,
            summary: Summary::of(&v),
        })
        .collect();
    groups.sort_by(|a, b| {
        b.summary
            .requests
            .cmp(&a.summary.requests)
            .then(a.name.cmp(&b.name))
    });
    StatsReport {
        since,
        until,
        group_by,
        bucket,
        totals: Summary::of(&totals),
        groups,
        series: series
            .into_iter()
            .map(|(start, v)| SeriesPoint {
                start,
                summary: Summary::of(&v),
            })
            .collect(),
    }
}

/// A point in time as operators write it: RFC 3339 (`2026-11-26T08:00:00Z`), a date
/// (`2026-11-26`, midnight UTC), or a duration ago (`24h`, `7d`, `90m`).
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    let ago = match s.strip_suffix('d') {
        Some(days) => days
            .parse::<u64>()
            .ok()
            .map(|d| std::time::Duration::from_secs(d * 86_400)),
        None => crate::config::parse_duration(s),
    };
    match ago.and_then(|d| TimeDelta::from_std(d).ok()) {
        Some(d) => Ok(now - d),
        None => Err(format!(
            "`{s}` is not a time: use RFC 3339 (2026-11-26T08:00:00Z), a date (2026-11-26) or a duration ago (24h, 7d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::rollup::Histogram;

    struct NoNames;
    impl Names for NoNames {
        fn provider(&self, id: i64) -> Option<String> {
            (id == 1).then(|| "p1".into())
        }
        fn client_key(&self, _: i64) -> Option<String> {
            None
        }
        fn route(&self, _: i64) -> Option<String> {
            None
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn times_take_rfc3339_dates_and_durations_ago() {
        let now = t("2026-11-26T12:00:00Z");
        assert_eq!(parse_time("24h", now).unwrap(), t("2026-11-25T12:00:00Z"));
        assert_eq!(parse_time("7d", now).unwrap(), t("2026-11-19T12:00:00Z"));
        assert_eq!(
            parse_time("2026-11-01", now).unwrap(),
            t("2026-11-01T00:00:00Z")
        );
        assert_eq!(
            parse_time("2026-11-26T08:30:00+01:00", now).unwrap(),
            t("2026-11-26T07:30:00Z")
        );
        assert!(parse_time("yesterday", now).is_err());
    }

    #[test]
    fn groups_and_series_add_up_to_the_totals() {
        let key = |hour: &str, provider_id| RollupKey {
            hour: t(hour),
            model: "m".into(),
            provider_id,
            route_id: 0,
            client_key_id: 0,
        };
        let vals = |requests, successes, cost| RollupValues {
            requests,
            successes,
            cost,
            latency: {
                let mut h = Histogram::default();
                for _ in 0..requests {
                    h.observe(40);
                }
                h
            },
            latency_ms_sum: 40 * requests,
            ..RollupValues::default()
        };
        let rows = vec![
            (key("2026-11-26T10:00:00Z", 1), vals(3, 3, 0.5)),
            (key("2026-11-26T11:00:00Z", 1), vals(1, 0, 0.25)),
            (key("2026-11-26T11:00:00Z", 0), vals(2, 0, 0.0)),
        ];
        let r = summarise(
            &rows,
            t("2026-11-26T00:00:00Z"),
            t("2026-11-27T00:00:00Z"),
            Some(GroupBy::Provider),
            Bucket::Hour,
            &NoNames,
        );
        assert_eq!(r.totals.requests, 6);
        assert_eq!(r.totals.successes, 3);
        assert_eq!(r.totals.success_rate, Some(0.5));
        assert_eq!(r.totals.cost, 0.75);
        assert_eq!(r.totals.latency_p50_ms, Some(50));
        assert_eq!(r.groups[0].name, "p1");
        assert_eq!(r.groups[0].summary.requests, 4);
        assert_eq!(r.groups[1].name, "(no provider)");
        assert_eq!(r.series.len(), 2);
        assert_eq!(r.series[1].summary.requests, 3);
        let daily = summarise(&rows, r.since, r.until, None, Bucket::Day, &NoNames);
        assert_eq!(daily.series.len(), 1);
        assert!(daily.groups.is_empty());
    }
}
