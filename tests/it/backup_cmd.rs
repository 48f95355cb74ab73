//! `backup create|verify|restore` through the real binary: consistency under write load,
//! restore into every backend, corruption, refusals and retention.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use llm_orchestrator::backup::tables::*;
use llm_orchestrator::db::schema::*;
use llm_orchestrator::db::Db;
use llm_orchestrator::with_conn;
use sha2::Digest;

use crate::util::backends::{backend_tests, TestDb};
use crate::util::proc::{self, Server, ADMIN_KEY};
use crate::util::TestResult;

/// The master key `serve` gets in these tests, so seeded provider keys decrypt when it loads
/// the catalog.
const TEST_MASTER: [u8; 32] = [7; 32];

fn test_ciphertext() -> String {
    llm_orchestrator::security::secrets::Secrets::new(TEST_MASTER).encrypt("sk-backup-test-key")
}

fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

/// A few rows in every table, with NULLs, unicode, quotes, floats and microsecond timestamps.
async fn seed(db: &Db) -> TestResult {
    let t = ts("2026-11-26 01:02:03.123456");
    let providers_rows: Vec<ProviderRow> = (1..=3)
        .map(|i| ProviderRow {
            id: i,
            name: format!("prov-{i} \"quoted\" ünïcode ✓"),
            kind: "openai".into(),
            base_url: format!("https://p{i}.example.com/v1"),
            enabled: i != 2,
            weight: 10 * i as i32,
            priority: i as i32,
            connect_timeout_ms: if i == 1 { None } else { Some(1500) },
            first_token_timeout_ms: Some(30000),
            idle_timeout_ms: None,
            total_timeout_ms: Some(600000),
            extra_headers: r#"{"X-A":"b"}"#.into(),
            param_overrides: "{}".into(),
            stream_include_usage: true,
            created_at: t,
            updated_at: t,
        })
        .collect();
    let keys: Vec<ProviderKeyRow> = (1..=4)
        .map(|i| ProviderKeyRow {
            id: i,
            provider_id: 1 + (i % 3),
            label: format!("key {i}\nnewline"),
            key_ciphertext: test_ciphertext(),
            key_hint: "sk-…abcd".into(),
            enabled: true,
            weight: 1,
            created_at: t,
            updated_at: t,
        })
        .collect();
    let model = ModelRow {
        id: 7,
        name: "gpt-4o".into(),
        aliases: r#"["4o"]"#.into(),
        description: "".into(),
        enabled: true,
        present_requested_name: false,
        created_at: t,
        updated_at: t,
    };
    let route = RouteRow {
        id: 11,
        model_id: 7,
        provider_id: 3,
        upstream_model: "gpt-4o-2024".into(),
        weight: 5,
        priority: 0,
        cap_tools: true,
        cap_vision: false,
        cap_json_schema: true,
        cap_streaming: true,
        param_overrides: "{}".into(),
        price_input: 2.5,
        price_output: 0.1 + 0.2,
        price_cached_input: None,
        max_tokens_default: Some(4096),
        enabled: true,
        created_at: t,
        updated_at: t,
    };
    let client = ClientKeyRow {
        id: 5,
        name: "team".into(),
        key_hash: "ab".repeat(32),
        key_prefix: "llmo-ab".into(),
        enabled: true,
        expires_at: Some(ts("2027-01-01 00:00:00")),
        allowed_models: "[]".into(),
        note: None,
        last_used_at: None,
        created_at: t,
        updated_at: t,
    };
    let logs: Vec<RequestLogRow> = (1..=25)
        .map(|i| RequestLogRow {
            id: i * 3,
            request_id: format!("req-{i}"),
            created_at: t,
            client_key_id: Some(5),
            client_ip: "127.0.0.1".into(),
            protocol: "openai".into(),
            endpoint: "/v1/chat/completions".into(),
            model: "gpt-4o".into(),
            provider_id: if i % 2 == 0 { Some(1) } else { None },
            provider_name: Some("prov".into()),
            upstream_model: None,
            route_id: Some(11),
            attempts: 1,
            attempt_detail: "[]".into(),
            status_code: 200,
            error_class: None,
            error_message: if i == 3 {
                Some("it's \\ broken".into())
            } else {
                None
            },
            latency_ms: 123,
            ttft_ms: Some(45),
            prompt_tokens: Some(10),
            completion_tokens: Some(20),
            cached_tokens: None,
            tokens_estimated: false,
            cost: Some(i as f64 / 3.0),
            stream: i % 3 == 0,
        })
        .collect();
    let health = ProviderHealthRow {
        id: 1,
        provider_id: 1,
        key_id: 0,
        state: "healthy".into(),
        consecutive_failures: 0,
        consecutive_successes: 3,
        last_error: None,
        last_status: Some(200),
        last_check_at: Some(t),
        opened_at: None,
        updated_at: t,
    };
    let setting = SystemSettingRow {
        name: "admin_key_sha256".into(),
        value: "00ff".into(),
        updated_at: t,
    };
    with_conn!(db, conn => {
        for r in &providers_rows {
            diesel::insert_into(providers::table).values(r).execute(conn).await?;
        }
        for r in &keys {
            diesel::insert_into(provider_keys::table).values(r).execute(conn).await?;
        }
        diesel::insert_into(models::table).values(&model).execute(conn).await?;
        diesel::insert_into(routes::table).values(&route).execute(conn).await?;
        diesel::insert_into(client_keys::table).values(&client).execute(conn).await?;
        for r in &logs {
            diesel::insert_into(request_logs::table).values(r).execute(conn).await?;
        }
        diesel::insert_into(provider_health::table).values(&health).execute(conn).await?;
        diesel::insert_into(system_settings::table).values(&setting).execute(conn).await?;
    });
    Ok(())
}

fn backup_cmd(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    let mut c = proc::cmd(dir);
    c.env("DATABASE_URL", url).arg("backup").args(args);
    proc::run(&mut c)
}

/// `backup create` into `out`, returning the file it wrote.
fn create(dir: &Path, url: &str, out: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec!["create", "--json", "--dir", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = backup_cmd(dir, url, &args);
    assert_eq!(o.status.code(), Some(0), "{}", proc::stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&proc::stdout(&o)).unwrap();
    PathBuf::from(v["file"].as_str().unwrap())
}

/// The header's table counts and every row line of a (plain) backup.
fn contents(path: &Path) -> (serde_json::Value, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header: serde_json::Value = serde_json::from_str(lines.remove(0)).unwrap();
    let trailer = lines.pop().unwrap();
    assert!(trailer.starts_with("{\"trailer\""), "{trailer}");
    (
        header["tables"].clone(),
        lines.into_iter().map(String::from).collect(),
    )
}

async fn count(db: &Db) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
    let n = with_conn!(db, conn => {
        let a: i64 = providers::table.count().get_result(conn).await?;
        let b: i64 = request_logs::table.count().get_result(conn).await?;
        let c: i64 = system_settings::table.count().get_result(conn).await?;
        a + b + c
    });
    Ok(n)
}

/// Restores `file` into `target` and checks that a backup of the target has the same rows.
async fn restore_and_compare(file: &Path, target: &TestDb) -> TestResult {
    let dir = tempfile::tempdir()?;
    let o = backup_cmd(
        dir.path(),
        target.url(),
        &["restore", file.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "restore into {}: {}",
        target.backend(),
        proc::stderr(&o)
    );
    let again = create(dir.path(), target.url(), &dir.path().join("b"), &[]);
    let (want_counts, want_rows) = contents(file);
    let (got_counts, got_rows) = contents(&again);
    assert_eq!(
        got_counts,
        want_counts,
        "row counts on {}",
        target.backend()
    );
    assert_eq!(got_rows.len(), want_rows.len());
    for (g, w) in got_rows.iter().zip(&want_rows) {
        assert_eq!(
            g,
            w,
            "a row changed on the way through {}",
            target.backend()
        );
    }
    // New rows continue after the restored ids (PostgreSQL sequences were moved on).
    let db = target.connect().await;
    let id: i64 = with_conn!(db, conn => {
        diesel::insert_into(models::table)
            .values((
                models::name.eq("after-restore"),
                models::aliases.eq("[]"),
                models::description.eq(""),
                models::enabled.eq(true),
                models::present_requested_name.eq(false),
                models::created_at.eq(Utc::now().naive_utc()),
                models::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
            .await?;
        models::table
            .filter(models::name.eq("after-restore"))
            .select(models::id)
            .first(conn)
            .await?
    });
    let max_restored: i64 = want_rows
        .iter()
        .filter(|l| l.starts_with("{\"table\":\"models\""))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["row"]["id"]
                .as_i64()
                .unwrap()
        })
        .max()
        .unwrap_or(0);
    assert!(
        id > max_restored,
        "{}: new id {id} collides with restored ids",
        target.backend()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serve_writes_is_consistent_and_restores_into_every_backend(
) -> TestResult {
    let source = TestDb::sqlite();
    let db = source.migrated().await;
    seed(&db).await?;
    let dir = tempfile::tempdir()?;
    let _server = Server::start(
        dir.path(),
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("DATABASE_URL", source.url()),
            (
                "MASTER_KEY",
                &llm_orchestrator::security::secrets::encode_master_key(&TEST_MASTER),
            ),
        ],
    );

    // Write load: each transaction adds a provider and its key; a consistent snapshot holds
    // both or neither. Bounded, and stopped as soon as the backup is done.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0i64;
            while !AtomicBool::load(&stop, Ordering::Relaxed) && n < 20_000 {
                n += 1;
                let now = Utc::now().naive_utc();
                let r: Result<(), diesel::result::Error> = with_conn_tx(&db, n, now).await;
                r.expect("load write");
            }
            n
        })
    };
    // Let the writer get going before the snapshot (wait for rows, not for time).
    while count(&db).await? < 40 + 3 {
        tokio::task::yield_now().await;
    }
    let out = dir.path().join("backups");
    let (d, url, o) = (
        dir.path().to_path_buf(),
        source.url().to_string(),
        out.clone(),
    );
    let file = tokio::task::spawn_blocking(move || create(&d, &url, &o, &[])).await?;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await?;
    assert!(written > 0);

    let (counts, rows) = contents(&file);
    let load_providers = rows
        .iter()
        .filter(|l| l.contains("\"name\":\"load-"))
        .count();
    let load_keys = rows
        .iter()
        .filter(|l| l.contains("\"label\":\"load-"))
        .count();
    assert!(
        load_providers > 0,
        "the backup ran while rows were being written"
    );
    assert_eq!(
        load_providers, load_keys,
        "a half-applied transaction in the backup"
    );
    assert_eq!(
        counts[0]["rows"].as_u64().unwrap() as usize,
        3 + load_providers
    );

    let o = backup_cmd(
        dir.path(),
        source.url(),
        &["verify", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", proc::stderr(&o));

    for target in TestDb::all().await {
        restore_and_compare(&file, &target).await?;
    }
    Ok(())
}

async fn with_conn_tx(db: &Db, n: i64, now: NaiveDateTime) -> Result<(), diesel::result::Error> {
    use diesel_async::AsyncConnection;
    let result: Result<(), llm_orchestrator::db::DbError> = async {
        with_conn!(db, conn => {
            conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                diesel::insert_into(providers::table)
                    .values((
                        providers::name.eq(format!("load-{n}")),
                        providers::kind.eq("openai"),
                        providers::base_url.eq("http://127.0.0.1:9"),
                        providers::enabled.eq(true),
                        providers::weight.eq(1),
                        providers::priority.eq(0),
                        providers::extra_headers.eq("{}"),
                        providers::param_overrides.eq("{}"),
                        providers::stream_include_usage.eq(false),
                        providers::created_at.eq(now),
                        providers::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                let pid: i64 = providers::table
                    .filter(providers::name.eq(format!("load-{n}")))
                    .select(providers::id)
                    .first(conn)
                    .await?;
                diesel::insert_into(provider_keys::table)
                    .values((
                        provider_keys::provider_id.eq(pid),
                        provider_keys::label.eq(format!("load-{n}")),
                        provider_keys::key_ciphertext.eq(test_ciphertext()),
                        provider_keys::key_hint.eq("x"),
                        provider_keys::enabled.eq(true),
                        provider_keys::weight.eq(1),
                        provider_keys::created_at.eq(now),
                        provider_keys::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                Ok(())
            })
            .await?;
        });
        Ok(())
    }
    .await;
    result.map_err(|e| match e {
        llm_orchestrator::db::DbError::Query(q) => q,
        other => panic!("{other}"),
    })
}

/// On every backend: a backup of that backend restores into a fresh database of the same
/// backend and into SQLite with identical rows (the MySQL/PostgreSQL export path).
async fn round_trip_keeps_every_row(db: TestDb) -> TestResult {
    let pool = db.migrated().await;
    seed(&pool).await?;
    let dir = tempfile::tempdir()?;
    let file = create(dir.path(), db.url(), &dir.path().join("out"), &[]);
    let (counts, rows) = contents(&file);
    assert_eq!(counts[5]["rows"], 25, "request_logs");
    assert_eq!(rows.len(), 3 + 4 + 1 + 1 + 1 + 25 + 1 + 1);
    if let Some(fresh) = TestDb::new(db.backend()).await {
        restore_and_compare(&file, &fresh).await?;
    }
    restore_and_compare(&file, &TestDb::sqlite()).await?;
    Ok(())
}

backend_tests!(round_trip_keeps_every_row);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_or_tampered_backups_are_rejected_by_verify_and_restore() -> TestResult {
    let source = TestDb::sqlite();
    seed(&source.migrated().await).await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    let plain = create(dir.path(), source.url(), &out, &[]);
    let gz = create_later(dir.path(), source.url(), &out, &["--compress"]);
    let text = std::fs::read(&plain)?;
    let gz_bytes = std::fs::read(&gz)?;

    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad)?;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated mid-line", text[..text.len() / 2].to_vec()),
        (
            "truncated before the trailer",
            text[..text.len() - text.rsplit(|b| *b == b'\n').nth(1).unwrap().len() - 1].to_vec(),
        ),
        (
            "a value changed",
            String::from_utf8(text.clone())?
                .replacen("\"weight\":10", "\"weight\":11", 1)
                .into_bytes(),
        ),
        ("gzip truncated", gz_bytes[..gz_bytes.len() - 20].to_vec()),
        ("empty", Vec::new()),
    ];
    let target = TestDb::sqlite();
    for (what, bytes) in &cases {
        assert_ne!(
            bytes, &text,
            "{what}: the case must differ from the original"
        );
        let f = bad.join("case.jsonl");
        std::fs::write(&f, bytes)?;
        let o = backup_cmd(dir.path(), target.url(), &["verify", f.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "verify, {what}: {}",
            proc::stderr(&o)
        );
        let o = backup_cmd(
            dir.path(),
            target.url(),
            &["restore", f.to_str().unwrap(), "--yes"],
        );
        assert_eq!(
            o.status.code(),
            Some(1),
            "restore, {what}: {}",
            proc::stderr(&o)
        );
    }
    // Nothing reached the target.
    let db = target.connect().await;
    let st = db.migration_status().await?;
    assert!(
        st.migrations.iter().all(|m| !m.applied),
        "restore wrote before verifying"
    );

    // The intact files pass.
    for f in [&plain, &gz] {
        let o = backup_cmd(dir.path(), target.url(), &["verify", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", proc::stderr(&o));
    }
    Ok(())
}

/// Backup names have one-second resolution; a second backup into the same directory waits
/// for the next second by retrying on the "already exists" refusal.
fn create_later(dir: &Path, url: &str, out: &Path, extra: &[&str]) -> PathBuf {
    loop {
        let mut args = vec!["create", "--json", "--dir", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = backup_cmd(dir, url, &args);
        if o.status.code() == Some(0) {
            let v: serde_json::Value = serde_json::from_str(&proc::stdout(&o)).unwrap();
            return PathBuf::from(v["file"].as_str().unwrap());
        }
        assert!(
            proc::stderr(&o).contains("already exists"),
            "{}",
            proc::stderr(&o)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_non_empty_database_without_yes_and_replaces_it_with_yes() -> TestResult {
    let source = TestDb::sqlite();
    seed(&source.migrated().await).await?;
    let dir = tempfile::tempdir()?;
    let file = create(dir.path(), source.url(), &dir.path().join("out"), &[]);

    let target = TestDb::sqlite();
    let tdb = target.migrated().await;
    with_conn!(tdb, conn => {
        diesel::insert_into(system_settings::table)
            .values((
                system_settings::name.eq("only-in-target"),
                system_settings::value.eq("x"),
                system_settings::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
            .await?;
    });
    let o = backup_cmd(
        dir.path(),
        target.url(),
        &["restore", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(proc::stderr(&o).contains("--yes"), "{}", proc::stderr(&o));
    assert_eq!(
        tdb.get_setting("only-in-target").await?.as_deref(),
        Some("x")
    );

    let o = backup_cmd(
        dir.path(),
        target.url(),
        &["restore", file.to_str().unwrap(), "--yes"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", proc::stderr(&o));
    assert_eq!(tdb.get_setting("only-in-target").await?, None);
    assert_eq!(
        tdb.get_setting("admin_key_sha256").await?.as_deref(),
        Some("00ff")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_backup_from_a_newer_schema_version() -> TestResult {
    let source = TestDb::sqlite();
    source.migrated().await;
    let dir = tempfile::tempdir()?;
    let file = create(dir.path(), source.url(), &dir.path().join("out"), &[]);
    // A well-formed file with a valid checksum, as a newer binary would write it.
    let text = std::fs::read_to_string(&file)?;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.pop();
    let mut header: serde_json::Value = serde_json::from_str(&lines[0])?;
    header["schema_version"] = "99991231000000".into();
    lines[0] = header.to_string();
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let sha = hex::encode(sha2::Sha256::digest(body.as_bytes()));
    let newer = dir.path().join("newer.jsonl");
    std::fs::write(
        &newer,
        format!("{body}{{\"trailer\":true,\"sha256\":\"{sha}\"}}\n"),
    )?;

    let target = TestDb::sqlite();
    let o = backup_cmd(
        dir.path(),
        target.url(),
        &["verify", newer.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", proc::stderr(&o));
    let o = backup_cmd(
        dir.path(),
        target.url(),
        &["restore", newer.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        proc::stderr(&o).contains("newer schema"),
        "{}",
        proc::stderr(&o)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_backups_older_than_keep_days_and_nothing_else() -> TestResult {
    let source = TestDb::sqlite();
    source.migrated().await;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    std::fs::create_dir(&out)?;
    let now = Utc::now();
    let name = |age: chrono::Duration, ext: &str| {
        format!("llmo-backup-{}.{ext}", (now - age).format("%Y%m%dT%H%M%SZ"))
    };
    let day = chrono::Duration::days(1);
    let minute = chrono::Duration::minutes(1);
    let keep = [
        name(day, "jsonl"),
        name(day * 2, "jsonl.gz"),
        name(day * 3 - minute * 5, "jsonl"),
    ];
    let delete = [
        name(day * 3 + minute * 5, "jsonl"),
        name(day * 10, "jsonl.gz"),
        name(day * 40, "jsonl.partial"),
    ];
    let unrelated = [
        "notes.txt",
        "llmo-backup-old.sql",
        "other-20200101T000000Z.jsonl",
    ];
    for f in keep
        .iter()
        .chain(&delete)
        .map(String::as_str)
        .chain(unrelated)
    {
        std::fs::write(out.join(f), "x")?;
    }
    let new = create(dir.path(), source.url(), &out, &["--keep-days", "3"]);
    let mut left: Vec<String> = std::fs::read_dir(&out)?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want: Vec<String> = keep
        .iter()
        .cloned()
        .chain(unrelated.iter().map(|s| s.to_string()))
        .collect();
    want.push(new.file_name().unwrap().to_string_lossy().into_owned());
    want.sort();
    assert_eq!(left, want);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_refuses_a_database_holding_a_table_it_does_not_cover_and_leaves_no_file(
) -> TestResult {
    let source = TestDb::sqlite();
    let db = source.migrated().await;
    with_conn!(db, conn => {
        diesel::sql_query("CREATE TABLE surprise (id INTEGER PRIMARY KEY)").execute(conn).await?;
    });
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    let o = backup_cmd(
        dir.path(),
        source.url(),
        &["create", "--dir", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        proc::stderr(&o).contains("surprise"),
        "{}",
        proc::stderr(&o)
    );
    let files: Vec<_> = std::fs::read_dir(&out)?.collect();
    assert!(files.is_empty(), "{files:?}");
    Ok(())
}
