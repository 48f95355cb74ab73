//! `keys create|list|revoke|rotate`: the client keys callers use against the gateway.
//!
//! A key is shown exactly once, when created or rotated; only its hash and a short prefix
//! are stored. Revoking disables a key (it stays listed under `--all`); rotating replaces
//! its secret and keeps everything else.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::database::{open_store, store_error};
use super::{init_logging, load_config, runtime, Cli};
use crate::catalog::model::{ClientKey, ClientKeyFilter, IssuedClientKey, NewClientKey, Paging};
use crate::catalog::notify_changed;
use crate::catalog::store::Store;
use crate::error::AppError;
use crate::telemetry::LogTarget;

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub action: KeysAction,
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Create a client key and print it (the only time it is shown)
    Create {
        /// A name to recognise the key by (who or what uses it)
        #[arg(long)]
        name: String,
        /// Models the key may use, comma-separated; default: all
        #[arg(long, value_delimiter = ',', value_name = "MODEL,...")]
        models: Vec<String>,
        /// When the key stops working: an RFC 3339 time (2027-01-01T00:00:00Z), a date
        /// (2027-01-01, midnight UTC) or a duration from now (30d, 12h, 2w)
        #[arg(long, value_name = "WHEN", value_parser = parse_expiry)]
        expires: Option<DateTime<Utc>>,
        /// A free-form note
        #[arg(long)]
        note: Option<String>,
        /// Print the key and its record as JSON
        #[arg(long)]
        json: bool,
    },
    /// List client keys (enabled ones; --all adds revoked ones)
    List {
        /// Include revoked (disabled) keys
        #[arg(long)]
        all: bool,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Revoke a client key: it stops working at once
    Revoke {
        /// The key's id (see `keys list`)
        id: i64,
        /// Print the revoked key's record as JSON
        #[arg(long)]
        json: bool,
    },
    /// Give a client key a new secret (printed once); the old one stops working
    Rotate {
        /// The key's id (see `keys list`)
        id: i64,
        /// Print the new key and its record as JSON
        #[arg(long)]
        json: bool,
    },
}

/// `--expires`: an absolute time, a date, or a duration from now; never in the past.
fn parse_expiry(s: &str) -> Result<DateTime<Utc>, String> {
    parse_expiry_at(s, Utc::now())
}

fn parse_expiry_at(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let when = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
    } else {
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, unit) = s.split_at(split);
        let n: i64 = n.parse().map_err(|_| bad_expiry(s))?;
        let span = match unit {
            "m" | "min" => Duration::try_minutes(n),
            "h" => Duration::try_hours(n),
            "d" => Duration::try_days(n),
            "w" => Duration::try_weeks(n),
            _ => None,
        }
        .ok_or_else(|| bad_expiry(s))?;
        now.checked_add_signed(span).ok_or_else(|| bad_expiry(s))?
    };
    if when <= now {
        return Err(format!("{s} is not in the future"));
    }
    Ok(when)
}

fn bad_expiry(s: &str) -> String {
    format!(
        "`{s}`: expected an RFC 3339 time (2027-01-01T00:00:00Z), a date (2027-01-01) or a \
         duration such as 30d, 12h, 2w"
    )
}

pub fn run(cli: &Cli, args: &KeysArgs) -> Result<(), AppError> {
    let loaded = load_config(cli, Vec::new())?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config;
    runtime()?.block_on(async {
        // Client keys are hashed, never encrypted: no master key needed.
        let store = open_store(&config, false).await?;
        match &args.action {
            KeysAction::Create {
                name,
                models,
                expires,
                note,
                json,
            } => {
                let new = NewClientKey {
                    name: name.clone(),
                    enabled: true,
                    expires_at: *expires,
                    allowed_models: models
                        .iter()
                        .map(|m| m.trim().to_string())
                        .filter(|m| !m.is_empty())
                        .collect(),
                    note: note.clone(),
                };
                new.validate()
                    .map_err(|e| AppError::Runtime(e.to_string()))?;
                let issued = store.create_client_key(new).await.map_err(store_error)?;
                // Running servers learn of the key now, not at their next refresh.
                notify_changed(&config).await;
                print_issued(&issued, *json, "created")
            }
            KeysAction::List { all, json } => list(&store, *all, *json).await,
            KeysAction::Revoke { id, json } => {
                let key = store.revoke_client_key(*id).await.map_err(store_error)?;
                notify_changed(&config).await;
                if *json {
                    println!("{}", to_json(&key)?);
                } else {
                    println!("revoked client key {} ({})", key.id, key.name);
                }
                Ok(())
            }
            KeysAction::Rotate { id, json } => {
                let issued = store.rotate_client_key(*id).await.map_err(store_error)?;
                notify_changed(&config).await;
                print_issued(&issued, *json, "rotated")
            }
        }
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string_pretty(v).map_err(|e| AppError::Runtime(format!("cannot encode: {e}")))
}

fn print_issued(issued: &IssuedClientKey, json: bool, verb: &str) -> Result<(), AppError> {
    if json {
        println!("{}", to_json(issued)?);
        return Ok(());
    }
    let k = &issued.client_key;
    println!(
        "{verb} client key {} ({}). Copy it now, it is not shown again:\n\n    {}\n",
        k.id, k.name, issued.key
    );
    Ok(())
}

async fn list(store: &Store, all: bool, json: bool) -> Result<(), AppError> {
    let filter = ClientKeyFilter {
        enabled: (!all).then_some(true),
        q: None,
    };
    let mut keys: Vec<ClientKey> = Vec::new();
    loop {
        let page = store
            .list_client_keys(
                &filter,
                Paging {
                    limit: Paging::MAX_LIMIT,
                    offset: keys.len() as i64,
                },
            )
            .await
            .map_err(store_error)?;
        let got = page.data.len();
        keys.extend(page.data);
        if got == 0 || keys.len() as i64 >= page.total {
            break;
        }
    }
    if json {
        println!("{}", to_json(&keys)?);
    } else {
        print!("{}", key_table(&keys, Utc::now()));
    }
    Ok(())
}

fn status(k: &ClientKey, now: DateTime<Utc>) -> &'static str {
    if !k.enabled {
        "revoked"
    } else if k.expires_at.is_some_and(|t| t <= now) {
        "expired"
    } else {
        "active"
    }
}

fn key_table(keys: &[ClientKey], now: DateTime<Utc>) -> String {
    if keys.is_empty() {
        return "no client keys\n".into();
    }
    let time = |t: Option<DateTime<Utc>>| {
        t.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    let header = [
        "ID",
        "NAME",
        "PREFIX",
        "STATUS",
        "EXPIRES",
        "LAST USED",
        "MODELS",
    ]
    .map(String::from);
    let rows: Vec<[String; 7]> = keys
        .iter()
        .map(|k| {
            [
                k.id.to_string(),
                k.name.clone(),
                k.key_prefix.clone(),
                status(k, now).into(),
                time(k.expires_at),
                time(k.last_used_at),
                if k.allowed_models.is_empty() {
                    "all".into()
                } else {
                    k.allowed_models.join(",")
                },
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        let line = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn expiry_takes_times_dates_and_durations_but_not_the_past() {
        let at = |s| parse_expiry_at(s, now());
        assert_eq!(
            at("2027-01-01T00:00:00Z").unwrap().to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        assert_eq!(
            at("2027-01-01").unwrap().to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        assert_eq!(at("30d").unwrap(), now() + Duration::days(30));
        assert_eq!(at("12h").unwrap(), now() + Duration::hours(12));
        assert_eq!(at("2w").unwrap(), now() + Duration::weeks(2));
        assert!(at("2020-01-01").unwrap_err().contains("not in the future"));
        assert!(at("0d").is_err());
        assert!(at("soon").unwrap_err().contains("30d"));
        assert!(at("30y").is_err());
    }

    #[test]
    fn the_key_table_shows_status_and_all_models() {
        let t = now();
        let key = |id, enabled, expires_at| ClientKey {
            id,
            name: format!("k{id}"),
            key_prefix: "sk-llmo-AbCd".into(),
            enabled,
            expires_at,
            allowed_models: if id == 1 {
                vec![]
            } else {
                vec!["gpt-4o".into()]
            },
            note: None,
            last_used_at: None,
            created_at: t,
            updated_at: t,
        };
        let out = key_table(
            &[
                key(1, true, None),
                key(2, false, None),
                key(3, true, Some(t - Duration::hours(1))),
            ],
            t,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("ID  NAME  PREFIX"), "{out}");
        assert!(
            lines[1].contains("active") && lines[1].ends_with("all"),
            "{out}"
        );
        assert!(
            lines[2].contains("revoked") && lines[2].ends_with("gpt-4o"),
            "{out}"
        );
        assert!(lines[3].contains("expired"), "{out}");
    }
}
