//! Accounting endpoints: request logs (`GET /admin/logs` with filters and cursor pages,
//! `DELETE /admin/logs?before=`), a route's recent outcomes for status bars, and usage
//! statistics from hourly rollups (`GET /admin/stats`).

use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::table::{doc, RouteTable};
use crate::accounting::stats::{self, parse_time, Bucket, GroupBy, Names, StatsReport};
use crate::accounting::store::{self as logs, LogFilter, StatusFilter};
use crate::catalog::snapshot::Snapshot;
use crate::db::rows::RequestLogListRow;
use crate::error::ApiError;
use crate::http::AppState;

pub fn register(t: &mut RouteTable<'_>) {
    let tag = "accounting";
    t.add(
        Method::GET,
        "/logs",
        doc(tag, "Request logs, newest first. Filters: since, until (RFC 3339, a date, or a duration ago like 24h), model, provider_id, route_id, client_key_id, status (a code, `success` or `error`), error_class; pages: limit (1-500, default 50) and cursor (the previous page's next_cursor)")
            .returns_object(200, r#"{"data":[...],"next_cursor":id|null}"#),
        list_logs,
    )
    .add(
        Method::DELETE,
        "/logs",
        doc(tag, "Delete request logs older than ?before= (RFC 3339, a date, or a duration ago), in small batches")
            .returns_object(200, r#"{"deleted":n}"#),
        delete_logs,
    )
    .add(
        Method::GET,
        "/routes/{id}/history",
        doc(tag, "A route's latest outcomes, newest first (?limit=1-500, default 50), for status bars")
            .returns_object(200, r#"{"route_id":id,"data":[{"at","status","ok","error_class","latency_ms"}]}"#),
        route_history,
    )
    .add(
        Method::GET,
        "/stats",
        doc(tag, "Usage from hourly rollups: since (default 24h), until (default now), group_by=provider|model|key|route, bucket=hour|day (default hour)")
            .returns::<StatsReport>(200),
        get_stats,
    );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    since: Option<String>,
    until: Option<String>,
    model: Option<String>,
    provider_id: Option<i64>,
    route_id: Option<i64>,
    client_key_id: Option<i64>,
    status: Option<String>,
    error_class: Option<String>,
    limit: Option<i64>,
    cursor: Option<i64>,
}

fn time_param(name: &str, v: &Option<String>) -> Result<Option<chrono::DateTime<Utc>>, ApiError> {
    v.as_deref()
        .map(|s| parse_time(s, Utc::now()))
        .transpose()
        .map_err(|message| ApiError::Invalid {
            param: name.into(),
            message,
        })
}

fn limit_param(v: Option<i64>) -> Result<i64, ApiError> {
    match v {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::Invalid {
            param: "limit".into(),
            message: "must be between 1 and 500".into(),
        }),
    }
}

fn log_json(row: RequestLogListRow) -> Value {
    let r = row.log;
    json!({
        "id": row.id,
        "request_id": r.request_id,
        "created_at": r.created_at.and_utc(),
        "client_key_id": r.client_key_id,
        "client_ip": r.client_ip,
        "protocol": r.protocol,
        "endpoint": r.endpoint,
        "model": r.model,
        "provider_id": r.provider_id,
        "provider_name": r.provider_name,
        "upstream_model": r.upstream_model,
        "route_id": r.route_id,
        "attempts": r.attempts,
        "attempt_detail": serde_json::from_str::<Value>(&r.attempt_detail).unwrap_or(Value::Null),
        "status_code": r.status_code,
        "error_class": r.error_class,
        "error_message": r.error_message,
        "latency_ms": r.latency_ms,
        "ttft_ms": r.ttft_ms,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "cached_tokens": r.cached_tokens,
        "tokens_estimated": r.tokens_estimated,
        "cost": r.cost,
        "stream": r.stream,
    })
}

async fn list_logs(
    state: web::Data<AppState>,
    q: web::Query<LogQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = match q.status.as_deref() {
        None => None,
        Some("success") => Some(StatusFilter::Success),
        Some("error") => Some(StatusFilter::Error),
        Some(code) => Some(StatusFilter::Code(
            code.parse::<i32>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| ApiError::Invalid {
                    param: "status".into(),
                    message: format!("`{code}` is not an HTTP status, `success` or `error`"),
                })?,
        )),
    };
    let filter = LogFilter {
        since: time_param("since", &q.since)?,
        until: time_param("until", &q.until)?,
        model: q.model.clone(),
        provider_id: q.provider_id,
        route_id: q.route_id,
        client_key_id: q.client_key_id,
        status,
        error_class: q.error_class.clone(),
        before_id: q.cursor,
    };
    let (rows, next) = logs::list_logs(&state.db, &filter, limit_param(q.limit)?).await?;
    let data: Vec<Value> = rows.into_iter().map(log_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "data": data, "next_cursor": next })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteQuery {
    before: Option<String>,
}

async fn delete_logs(
    state: web::Data<AppState>,
    q: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    let before = time_param("before", &q.before)?.ok_or_else(|| ApiError::Invalid {
        param: "before".into(),
        message: "required: delete logs older than this (e.g. ?before=30d)".into(),
    })?;
    let deleted =
        logs::delete_logs_before(&state.db, before, crate::accounting::retention::BATCH).await?;
    tracing::info!(deleted, %before, "request logs deleted by an operator");
    Ok(HttpResponse::Ok().json(json!({ "deleted": deleted, "before": before })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    limit: Option<i64>,
}

async fn route_history(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rows = logs::route_history(&state.db, id, limit_param(q.limit)?).await?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|(at, status, class, ms)| {
            json!({"at": at, "status": status, "ok": status < 400 && class.is_none(),
                   "error_class": class, "latency_ms": ms})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "route_id": id, "data": data })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    since: Option<String>,
    until: Option<String>,
    group_by: Option<String>,
    bucket: Option<String>,
}

/// Names from the snapshot this instance serves.
struct SnapshotNames<'a>(&'a Snapshot, &'a [(i64, String)]);

impl Names for SnapshotNames<'_> {
    fn provider(&self, id: i64) -> Option<String> {
        self.0.provider(id).map(|p| p.provider.name.clone())
    }
    fn client_key(&self, id: i64) -> Option<String> {
        self.1
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, n)| n.clone())
    }
    fn route(&self, id: i64) -> Option<String> {
        self.0.models().iter().find_map(|m| {
            m.routes.iter().find(|r| r.route.id == id).map(|r| {
                format!(
                    "{} -> {} ({})",
                    r.route.model, r.route.provider, r.route.upstream_model
                )
            })
        })
    }
}

async fn get_stats(
    state: web::Data<AppState>,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let since = time_param("since", &q.since)?.unwrap_or(now - chrono::TimeDelta::hours(24));
    let until = time_param("until", &q.until)?.unwrap_or(now);
    if until <= since {
        return Err(ApiError::Invalid {
            param: "until".into(),
            message: "must be after since".into(),
        });
    }
    let group_by = match q.group_by.as_deref() {
        None => None,
        Some(g) => Some(GroupBy::parse(g).ok_or_else(|| ApiError::Invalid {
            param: "group_by".into(),
            message: format!("`{g}`: expected provider, model, key or route"),
        })?),
    };
    let bucket = match q.bucket.as_deref() {
        None | Some("hour") => Bucket::Hour,
        Some("day") => Bucket::Day,
        Some(b) => {
            return Err(ApiError::Invalid {
                param: "bucket".into(),
                message: format!("`{b}`: expected hour or day"),
            })
        }
    };
    let snapshot = state.catalog.snapshot();
    let key_names = state.store().client_key_names().await.unwrap_or_default();
    let report = stats::report(
        &state.db,
        since,
        until,
        group_by,
        bucket,
        &SnapshotNames(&snapshot, &key_names),
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
