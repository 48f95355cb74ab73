//! The catalog store on real databases: CRUD for every resource, filters and paging, batch
//! calls that are all or nothing, the 404 / 409 / invalid cases, cascades, provider keys
//! encrypted at rest and never read back, client key issue / rotate / revoke, the snapshot,
//! and import / export (idempotence, dry run, prune, errors that name the entry, key_env).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use llm_orchestrator::catalog::model::*;
use llm_orchestrator::catalog::{Store, StoreError};
use llm_orchestrator::db::schema::{client_keys, provider_keys};
use llm_orchestrator::security::secrets::Secrets;
use llm_orchestrator::with_conn;
use serde_json::json;

use crate::util::backends::backend_tests;
use crate::util::{TestDb, TestResult};

backend_tests!(
    providers_round_trip_through_create_get_update_list_and_delete,
    provider_lists_filter_by_enabled_kind_and_name_and_page,
    a_batch_with_one_bad_item_writes_nothing_and_names_the_item,
    batch_delete_and_enable_are_all_or_nothing,
    missing_duplicate_and_invalid_inputs_are_not_found_conflict_and_invalid,
    deleting_a_provider_removes_its_keys_and_routes,
    provider_keys_get_default_labels_unique_labels_and_new_secrets,
    provider_keys_are_encrypted_at_rest_and_never_read_back,
    models_share_one_namespace_of_names_and_aliases,
    routes_resolve_by_id_or_name_and_filter_by_model_provider_and_enabled,
    client_keys_are_stored_as_hashes_and_can_be_rotated_and_revoked,
    the_snapshot_holds_decrypted_keys_and_client_key_hashes,
    import_then_export_then_import_again_changes_nothing,
    a_dry_run_reports_exactly_what_a_real_run_does_and_writes_nothing,
    prune_deletes_what_the_file_does_not_list,
    a_bad_file_changes_nothing_and_the_error_names_the_entry,
    key_env_reads_the_secret_from_the_environment_at_import_time,
);

const LEAK: &str = "sk-LEAKCHECK-0123456789abcdef";

async fn store(t: &TestDb) -> Store {
    Store::new(t.migrated().await, Secrets::random())
}

fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("test input parses")
}

fn provider(name: &str) -> NewProvider {
    from(json!({"name": name, "kind": "openai"}))
}

fn model(name: &str) -> NewModel {
    from(json!({"name": name}))
}

fn key(label: &str, secret: &str) -> NewProviderKey {
    from(json!({"label": label, "key": secret}))
}

fn route(model: &str, provider: &str) -> NewRoute {
    from(json!({"model": model, "provider": provider}))
}

fn client_key(name: &str) -> NewClientKey {
    from(json!({"name": name}))
}

fn all() -> Paging {
    Paging::default()
}

fn expect_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, message: &str) {
    match r {
        Err(StoreError::NotFound(m)) => assert_eq!(m, message),
        other => panic!("expected NotFound({message}), got {other:?}"),
    }
}

fn expect_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, message: &str) {
    match r {
        Err(StoreError::Conflict(m)) => assert_eq!(m, message),
        other => panic!("expected Conflict({message}), got {other:?}"),
    }
}

fn expect_invalid<T: std::fmt::Debug>(r: Result<T, StoreError>, text: &str) {
    match r {
        Err(e @ StoreError::Invalid(_)) => assert_eq!(e.to_string(), text),
        other => panic!("expected Invalid({text}), got {other:?}"),
    }
}

async fn counts(s: &Store) -> Result<(usize, usize, usize, usize), StoreError> {
    let snap = s.load_snapshot().await?;
    Ok((
        snap.providers.len(),
        snap.keys.len(),
        snap.models.len(),
        snap.routes.len(),
    ))
}

async fn providers_round_trip_through_create_get_update_list_and_delete(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let mut new: NewProvider = from(json!({
        "name": "openai-main", "kind": "openai", "base_url": "https://api.example.com/v1",
        "weight": 7, "priority": -2, "connect_timeout_ms": 1500,
        "extra_headers": {"X-Org": "acme"}, "param_overrides": {"temperature": 0.5},
        "stream_include_usage": false,
    }));
    new.keys = vec![key("k1", LEAK), key("k2", "sk-second-key-000000")];
    let created = s.create_provider(new.clone()).await?;
    assert_eq!(created.name, "openai-main");
    assert_eq!(created.kind, ProviderKind::OpenAi);
    assert_eq!((created.weight, created.priority), (7, -2));
    assert_eq!(created.connect_timeout_ms, Some(1500));
    assert_eq!(created.extra_headers["X-Org"], "acme");
    assert_eq!(created.param_overrides["temperature"], json!(0.5));
    assert!(!created.stream_include_usage);
    let labels: Vec<&str> = created.keys.iter().map(|k| k.label.as_str()).collect();
    assert_eq!(labels, ["k1", "k2"]);
    assert_eq!(created.keys[0].key_hint, mask_secret(LEAK));
    assert_eq!(s.get_provider(created.id).await?, created);

    let patch: ProviderPatch = from(json!({
        "name": "openai-2", "weight": 9, "connect_timeout_ms": null, "enabled": false,
    }));
    let updated = s.update_provider(created.id, patch).await?;
    assert_eq!(updated.name, "openai-2");
    assert_eq!(updated.weight, 9);
    assert_eq!(updated.connect_timeout_ms, None, "null clears");
    assert_eq!(updated.priority, -2, "absent keeps");
    assert!(!updated.enabled);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(updated.keys, created.keys);

    let page = s.list_providers(&ProviderFilter::default(), all()).await?;
    assert_eq!(page.total, 1);
    assert_eq!(page.data, vec![updated.clone()]);

    s.delete_provider(created.id).await?;
    expect_not_found(
        s.get_provider(created.id).await,
        &format!("provider {} not found", created.id),
    );
    Ok(())
}

async fn provider_lists_filter_by_enabled_kind_and_name_and_page(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let mut items = Vec::new();
    for i in 0..7 {
        let mut p = provider(&format!("OpenAI-{i}"));
        p.enabled = i % 2 == 0;
        items.push(p);
    }
    items.push(from(json!({"name": "claude", "kind": "anthropic"})));
    items.push(from(json!({"name": "under_score", "kind": "gemini"})));
    s.create_providers(items).await?;

    let f = |v: serde_json::Value| -> ProviderFilter { from(v) };
    let page = s
        .list_providers(&f(json!({"enabled": false})), all())
        .await?;
    assert_eq!(page.total, 3);
    assert!(page.data.iter().all(|p| !p.enabled));
    let page = s
        .list_providers(&f(json!({"kind": "anthropic"})), all())
        .await?;
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].name, "claude");
    // Substring, any ASCII case; LIKE wildcards in `q` are literal.
    let page = s.list_providers(&f(json!({"q": "openai-"})), all()).await?;
    assert_eq!(page.total, 7);
    let page = s.list_providers(&f(json!({"q": "_"})), all()).await?;
    assert_eq!(page.total, 1);
    let page = s.list_providers(&f(json!({"q": "%"})), all()).await?;
    assert_eq!(page.total, 0);
    let page = s
        .list_providers(&f(json!({"q": "openai", "enabled": true})), all())
        .await?;
    assert_eq!(page.total, 4);

    let paging = Paging::new(Some(3), Some(2))?;
    let page = s.list_providers(&ProviderFilter::default(), paging).await?;
    assert_eq!((page.total, page.limit, page.offset), (9, 3, 2));
    let names: Vec<&str> = page.data.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["OpenAI-2", "OpenAI-3", "OpenAI-4"]);
    let page = s
        .list_providers(&ProviderFilter::default(), Paging::new(Some(5), Some(100))?)
        .await?;
    assert_eq!((page.total, page.data.len()), (9, 0));
    Ok(())
}

async fn a_batch_with_one_bad_item_writes_nothing_and_names_the_item(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let mut bad = provider("p3");
    bad.weight = -1;
    let r = s
        .create_providers(vec![provider("p1"), provider("p2"), bad])
        .await;
    expect_invalid(r, "[2].weight: must be from 0 to 1000000");
    // A duplicate inside the batch is a conflict of the later item.
    let r = s
        .create_providers(vec![provider("p1"), provider("p1")])
        .await;
    expect_conflict(r, "[1]: a provider named `p1` already exists");
    // A bad inline key names the provider and the key.
    let mut with_keys = provider("p4");
    with_keys.keys = vec![key("ok", "sk-good-key-1234"), key("bad", " ")];
    let r = s.create_providers(vec![provider("p5"), with_keys]).await;
    expect_invalid(
        r,
        "[1].keys[1].key: a non-empty key without control characters",
    );
    assert_eq!(counts(&s).await?, (0, 0, 0, 0));

    let r = s.create_models(vec![model("m1"), model("bad name")]).await;
    expect_invalid(r, "[1].name: 1-200 characters, no whitespace");
    let p = s.create_provider(provider("p")).await?;
    let r = s
        .create_provider_keys(
            p.id,
            vec![key("a", "sk-aaaaaaaaaaaa"), key("a", "sk-bbbbbbbbbbbb")],
        )
        .await;
    expect_conflict(r, "[1]: provider `p` already has a key labelled `a`");
    let r = s.create_routes(vec![route("nope", "p")]).await;
    expect_not_found(r, "[0]: model `nope` not found");
    assert_eq!(counts(&s).await?, (1, 0, 0, 0));

    let made = s.create_models(vec![model("m1"), model("m2")]).await?;
    assert_eq!(made.len(), 2);
    Ok(())
}

async fn batch_delete_and_enable_are_all_or_nothing(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let made = s
        .create_models(vec![model("a"), model("b"), model("c")])
        .await?;
    let ids: Vec<i64> = made.iter().map(|m| m.id).collect();

    let r = s.delete_models(&[ids[0], 999_999]).await;
    expect_not_found(r, "model 999999 not found");
    let r = s.set_models_enabled(&[ids[1], 999_998], false).await;
    expect_not_found(r, "model 999998 not found");
    let page = s.list_models(&ModelFilter::default(), all()).await?;
    assert_eq!(page.total, 3);
    assert!(page.data.iter().all(|m| m.enabled), "nothing was disabled");

    assert_eq!(
        s.set_models_enabled(&[ids[0], ids[1], ids[0]], false)
            .await?,
        2
    );
    let disabled: ModelFilter = from(json!({"enabled": false}));
    assert_eq!(s.list_models(&disabled, all()).await?.total, 2);
    assert_eq!(s.set_models_enabled(&[ids[0]], true).await?, 1);
    assert_eq!(s.list_models(&disabled, all()).await?.total, 1);

    assert_eq!(s.delete_models(&[ids[0], ids[2]]).await?, 2);
    let left = s.list_models(&ModelFilter::default(), all()).await?;
    assert_eq!(left.data.len(), 1);
    assert_eq!(left.data[0].name, "b");

    // The same shape for every other resource.
    let p = s
        .create_providers(vec![provider("x"), provider("y")])
        .await?;
    assert_eq!(
        s.set_providers_enabled(&[p[0].id, p[1].id], false).await?,
        2
    );
    assert_eq!(s.delete_providers(&[p[0].id]).await?, 1);
    expect_not_found(
        s.delete_providers(&[p[0].id]).await,
        &format!("provider {} not found", p[0].id),
    );
    let k = s
        .create_provider_keys(p[1].id, vec![key("k", "sk-kkkkkkkkkkkk")])
        .await?;
    assert_eq!(s.set_provider_keys_enabled(&[k[0].id], false).await?, 1);
    assert!(!s.get_provider_key(k[0].id).await?.enabled);
    assert_eq!(s.delete_provider_keys(&[k[0].id]).await?, 1);
    let r = s.create_route(route("b", "y")).await?;
    assert_eq!(s.set_routes_enabled(&[r.id], false).await?, 1);
    assert_eq!(s.delete_routes(&[r.id]).await?, 1);
    let c = s.create_client_key(client_key("ck")).await?;
    assert_eq!(
        s.set_client_keys_enabled(&[c.client_key.id], false).await?,
        1
    );
    assert_eq!(s.delete_client_keys(&[c.client_key.id]).await?, 1);
    expect_not_found(
        s.delete_client_key(c.client_key.id).await,
        &format!("client key {} not found", c.client_key.id),
    );
    Ok(())
}

async fn missing_duplicate_and_invalid_inputs_are_not_found_conflict_and_invalid(
    t: TestDb,
) -> TestResult {
    let s = store(&t).await;
    expect_not_found(s.get_provider(42).await, "provider 42 not found");
    expect_not_found(s.get_provider_key(42).await, "provider key 42 not found");
    expect_not_found(s.get_model(42).await, "model 42 not found");
    expect_not_found(s.get_route(42).await, "route 42 not found");
    expect_not_found(s.get_client_key(42).await, "client key 42 not found");
    expect_not_found(
        s.update_model(42, ModelPatch::default()).await,
        "model 42 not found",
    );
    expect_not_found(s.delete_route(42).await, "route 42 not found");
    expect_not_found(s.rotate_client_key(42).await, "client key 42 not found");
    expect_not_found(s.revoke_client_key(42).await, "client key 42 not found");
    expect_not_found(
        s.create_provider_key(42, key("k", "sk-kkkkkkkkkkkk")).await,
        "provider 42 not found",
    );
    expect_not_found(s.list_provider_keys(42).await, "provider 42 not found");

    let a = s.create_provider(provider("a")).await?;
    let b = s.create_provider(provider("b")).await?;
    expect_conflict(
        s.create_provider(provider("a")).await,
        "a provider named `a` already exists",
    );
    let rename: ProviderPatch = from(json!({"name": "a"}));
    expect_conflict(
        s.update_provider(b.id, rename).await,
        "a provider named `a` already exists",
    );
    let same: ProviderPatch = from(json!({"name": "a"}));
    s.update_provider(a.id, same).await?;

    expect_invalid(
        s.create_provider(from(json!({"name": "bad name", "kind": "openai"})))
            .await,
        "name: 1-100 characters of letters, digits, `.`, `_` or `-`",
    );
    // The combination is checked after a patch too.
    let to_azure: ProviderPatch = from(json!({"kind": "azure_openai"}));
    expect_invalid(
        s.update_provider(a.id, to_azure).await,
        "base_url: azure_openai needs the resource's URL",
    );
    let bad_route: NewRoute = from(json!({"model": "m", "provider": "a", "price_input": -1.0}));
    expect_invalid(
        s.create_route(bad_route).await,
        "price_input: a price per million tokens, 0 or more",
    );
    expect_invalid(
        s.create_client_key(client_key("")).await,
        "name: 1-100 printable characters",
    );
    assert_eq!(s.get_provider(a.id).await?.kind, ProviderKind::OpenAi);
    Ok(())
}

async fn deleting_a_provider_removes_its_keys_and_routes(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let mut p = provider("gone");
    p.keys = vec![key("k1", "sk-111111111111"), key("k2", "sk-222222222222")];
    let gone = s.create_provider(p).await?;
    let stays = s.create_provider(provider("stays")).await?;
    s.create_model(model("m")).await?;
    s.create_routes(vec![route("m", "gone"), route("m", "stays")])
        .await?;
    assert_eq!(counts(&s).await?, (2, 2, 1, 2));

    s.delete_provider(gone.id).await?;
    assert_eq!(counts(&s).await?, (1, 0, 1, 1));
    expect_not_found(
        s.get_provider_key(gone.keys[0].id).await,
        &format!("provider key {} not found", gone.keys[0].id),
    );
    let routes = s.list_routes(&RouteFilter::default(), all()).await?;
    assert_eq!(routes.data[0].provider_id, stays.id);

    // Deleting a model takes its routes too.
    let m = s.list_models(&ModelFilter::default(), all()).await?.data[0].id;
    s.delete_model(m).await?;
    assert_eq!(counts(&s).await?, (1, 0, 0, 0));
    Ok(())
}

async fn provider_keys_get_default_labels_unique_labels_and_new_secrets(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let p = s.create_provider(provider("p")).await?;
    let unlabelled = |secret: &str| -> NewProviderKey { from(json!({"key": secret})) };
    let k1 = s
        .create_provider_key(p.id, unlabelled("sk-first-000000001"))
        .await?;
    assert_eq!(k1.label, "key-1");
    s.create_provider_key(p.id, key("key-3", "sk-third-00000003"))
        .await?;
    let k = s
        .create_provider_key(p.id, unlabelled("sk-next-000000004"))
        .await?;
    assert_eq!(k.label, "key-4", "skips labels in use");
    expect_conflict(
        s.create_provider_key(p.id, key("key-1", "sk-dup-0000000001"))
            .await,
        "provider `p` already has a key labelled `key-1`",
    );
    // Another provider may use the same label.
    let q = s.create_provider(provider("q")).await?;
    s.create_provider_key(q.id, key("key-1", "sk-other-00000001"))
        .await?;

    let relabel: ProviderKeyPatch = from(json!({"label": "key-3"}));
    expect_conflict(
        s.update_provider_key(k1.id, relabel).await,
        "provider `p` already has a key labelled `key-3`",
    );
    let patch: ProviderKeyPatch =
        from(json!({"label": "primary", "key": "sk-replaced-99999999", "weight": 5}));
    let updated = s.update_provider_key(k1.id, patch).await?;
    assert_eq!(updated.label, "primary");
    assert_eq!(updated.weight, 5);
    assert_eq!(updated.key_hint, mask_secret("sk-replaced-99999999"));
    let secret = s
        .load_snapshot()
        .await?
        .keys
        .into_iter()
        .find(|(k, _)| k.id == k1.id)
        .map(|(_, secret)| secret);
    assert_eq!(secret.as_deref(), Some("sk-replaced-99999999"));

    let listed = s.list_provider_keys(p.id).await?;
    let labels: Vec<&str> = listed.iter().map(|k| k.label.as_str()).collect();
    assert_eq!(labels, ["primary", "key-3", "key-4"]);
    s.delete_provider_key(k1.id).await?;
    assert_eq!(s.list_provider_keys(p.id).await?.len(), 2);
    Ok(())
}

async fn provider_keys_are_encrypted_at_rest_and_never_read_back(t: TestDb) -> TestResult {
    let db = t.migrated().await;
    let s = Store::new(db.clone(), Secrets::random());
    let mut p = provider("p");
    p.keys = vec![key("k1", LEAK)];
    let created = s.create_provider(p).await?;
    s.create_provider_key(created.id, key("k2", LEAK)).await?;
    let patch: ProviderKeyPatch = from(json!({"key": LEAK}));
    s.update_provider_key(created.keys[0].id, patch).await?;

    let stored: Vec<(String, String)> = with_conn!(db, conn => {
        provider_keys::table
            .select((provider_keys::key_ciphertext, provider_keys::key_hint))
            .load(conn)
            .await?
    });
    assert_eq!(stored.len(), 2);
    assert_ne!(stored[0].0, stored[1].0, "a new nonce for each value");
    for (cipher, hint) in &stored {
        assert!(cipher.starts_with("v1:") && !cipher.contains("LEAKCHECK"));
        assert!(!hint.contains("LEAKCHECK"));
    }

    let provider = s.get_provider(created.id).await?;
    let listed = s.list_providers(&ProviderFilter::default(), all()).await?;
    let keys = s.list_provider_keys(created.id).await?;
    let export = s.export_catalog(false).await?;
    let snapshot = s.load_snapshot().await?;
    let texts = [
        format!("{provider:?}"),
        serde_json::to_string(&provider)?,
        format!("{listed:?}"),
        format!("{keys:?}"),
        format!("{export:?}"),
        serde_json::to_string(&export)?,
        format!("{snapshot:?}"),
        format!("{:?}", key("k", LEAK)),
        format!(
            "{:?}",
            ProviderKeyPatch {
                key: Some(LEAK.into()),
                ..Default::default()
            }
        ),
        format!("{s:?}"),
    ];
    for text in &texts {
        assert!(!text.contains("LEAKCHECK"), "leaked in: {text}");
    }
    assert!(snapshot.keys.iter().all(|(_, secret)| secret == LEAK));
    let with_secrets = s.export_catalog(true).await?;
    assert_eq!(with_secrets.providers[0].keys[0].key.as_deref(), Some(LEAK));

    // Another master key: reads that do not decrypt still work; decrypting fails cleanly.
    let other = Store::new(db, Secrets::random());
    assert_eq!(other.get_provider(created.id).await?.keys.len(), 2);
    for r in [
        other.load_snapshot().await.map(drop),
        other.export_catalog(true).await.map(drop),
    ] {
        match r {
            Err(StoreError::Secret(m)) => {
                assert!(m.starts_with("provider `p` key `k1`: "), "{m}");
                assert!(m.contains("master key does not match"), "{m}");
                assert!(!m.contains("LEAKCHECK"));
            }
            other => panic!("expected a Secret error, got {other:?}"),
        }
    }
    Ok(())
}

async fn models_share_one_namespace_of_names_and_aliases(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let gpt: NewModel = from(json!({
        "name": "gpt-4o", "aliases": ["gpt4o", "4o"], "description": "omni",
        "present_requested_name": true,
    }));
    let m = s.create_model(gpt).await?;
    assert_eq!(m.aliases, ["gpt4o", "4o"]);
    assert!(m.present_requested_name && m.enabled);
    assert_eq!(s.get_model(m.id).await?, m);

    expect_conflict(
        s.create_model(model("gpt-4o")).await,
        "a model named `gpt-4o` already exists",
    );
    expect_conflict(
        s.create_model(model("4o")).await,
        "`4o` is already an alias of model `gpt-4o`",
    );
    let clash: NewModel = from(json!({"name": "other", "aliases": ["gpt-4o"]}));
    expect_conflict(
        s.create_model(clash).await,
        "a model named `gpt-4o` already exists",
    );
    let twice: NewModel = from(json!({"name": "other", "aliases": ["x", "x"]}));
    expect_invalid(
        s.create_model(twice).await,
        "aliases[1]: `x` is listed twice",
    );

    let other = s.create_model(model("other")).await?;
    let steal: ModelPatch = from(json!({"aliases": ["gpt4o"]}));
    expect_conflict(
        s.update_model(other.id, steal).await,
        "`gpt4o` is already an alias of model `gpt-4o`",
    );
    // A model may keep its own names when patched.
    let patch: ModelPatch = from(json!({"aliases": ["4o", "omni"], "enabled": false}));
    let updated = s.update_model(m.id, patch).await?;
    assert_eq!(updated.aliases, ["4o", "omni"]);
    assert!(!updated.enabled);
    // The freed alias is available again.
    let reuse: ModelPatch = from(json!({"aliases": ["gpt4o"]}));
    s.update_model(other.id, reuse).await?;

    let f = |v: serde_json::Value| -> ModelFilter { from(v) };
    assert_eq!(
        s.list_models(&f(json!({"q": "OMNI"})), all()).await?.total,
        1
    );
    assert_eq!(
        s.list_models(&f(json!({"q": "gpt"})), all()).await?.total,
        2
    );
    assert_eq!(
        s.list_models(&f(json!({"enabled": true})), all())
            .await?
            .total,
        1
    );
    s.delete_model(other.id).await?;
    assert_eq!(
        s.list_models(&ModelFilter::default(), all()).await?.total,
        1
    );
    Ok(())
}

async fn routes_resolve_by_id_or_name_and_filter_by_model_provider_and_enabled(
    t: TestDb,
) -> TestResult {
    let s = store(&t).await;
    let p1 = s.create_provider(provider("p1")).await?;
    let p2 = s.create_provider(provider("p2")).await?;
    let m1 = s.create_model(model("m1")).await?;
    let m2 = s.create_model(model("m2")).await?;

    let r1 = s.create_route(route("m1", "p1")).await?;
    assert_eq!((r1.model.as_str(), r1.provider.as_str()), ("m1", "p1"));
    assert_eq!(r1.upstream_model, "m1", "defaults to the model's name");
    assert_eq!(r1.capabilities, Capability::DEFAULT);
    assert_eq!(r1.weight, 1);
    let by_id: NewRoute = from(json!({
        "model": m1.id, "provider": p2.id, "upstream_model": "vendor/m1-2024",
        "weight": 3, "priority": 1, "capabilities": ["vision", "tools", "vision"],
        "param_overrides": {"top_p": 0.9}, "price_input": 2.5, "price_output": 10.0,
        "price_cached_input": 1.25, "max_tokens_default": 4096, "enabled": false,
    }));
    let r2 = s.create_route(by_id).await?;
    assert_eq!(r2.provider, "p2");
    assert_eq!(r2.capabilities, [Capability::Tools, Capability::Vision]);
    assert_eq!(
        (r2.price_input, r2.price_output, r2.price_cached_input),
        (2.5, 10.0, Some(1.25))
    );
    assert_eq!(r2.max_tokens_default, Some(4096));
    assert_eq!(r2.param_overrides["top_p"], json!(0.9));
    assert_eq!(s.get_route(r2.id).await?, r2);
    let r3 = s.create_route(route("m2", "p1")).await?;

    expect_conflict(
        s.create_route(route("m1", "p1")).await,
        "a route `m1 -> p1:m1` already exists",
    );
    expect_not_found(
        s.create_route(route("m1", "nope")).await,
        "provider `nope` not found",
    );
    let missing: NewRoute = from(json!({"model": 999, "provider": "p1"}));
    expect_not_found(s.create_route(missing).await, "model 999 not found");

    let f = |v: serde_json::Value| -> RouteFilter { from(v) };
    let ids = |page: Page<Route>| page.data.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.list_routes(&f(json!({"model_id": m1.id})), all()).await?),
        [r1.id, r2.id]
    );
    assert_eq!(
        ids(s
            .list_routes(&f(json!({"provider_id": p1.id})), all())
            .await?),
        [r1.id, r3.id]
    );
    assert_eq!(
        ids(s.list_routes(&f(json!({"enabled": false})), all()).await?),
        [r2.id]
    );
    assert_eq!(
        ids(s
            .list_routes(&f(json!({"model_id": m2.id, "provider_id": p1.id})), all())
            .await?),
        [r3.id]
    );
    let page = s
        .list_routes(&RouteFilter::default(), Paging::new(Some(1), Some(1))?)
        .await?;
    assert_eq!((page.total, ids(page)), (3, vec![r2.id]));

    let clash: RoutePatch = from(json!({"upstream_model": "m1"}));
    let r4 = s
        .create_route(from(
            json!({"model": "m1", "provider": "p1", "upstream_model": "alt"}),
        ))
        .await?;
    expect_conflict(
        s.update_route(r4.id, clash).await,
        "a route `m1 -> p1:m1` already exists",
    );
    let patch: RoutePatch = from(json!({
        "weight": 8, "price_cached_input": null, "capabilities": ["streaming"], "enabled": true,
    }));
    let updated = s.update_route(r2.id, patch).await?;
    assert_eq!(updated.weight, 8);
    assert_eq!(updated.price_cached_input, None);
    assert_eq!(updated.capabilities, [Capability::Streaming]);
    assert!(updated.enabled);
    assert_eq!(updated.upstream_model, "vendor/m1-2024");
    s.delete_route(r4.id).await?;
    assert_eq!(
        s.list_routes(&RouteFilter::default(), all()).await?.total,
        3
    );
    Ok(())
}

async fn client_keys_are_stored_as_hashes_and_can_be_rotated_and_revoked(t: TestDb) -> TestResult {
    let db = t.migrated().await;
    let s = Store::new(db.clone(), Secrets::random());
    let new: NewClientKey = from(json!({
        "name": "team-a", "allowed_models": ["gpt-4o"], "note": "for the batch jobs",
        "expires_at": "2030-01-02T03:04:05.123456Z",
    }));
    let issued = s.create_client_key(new).await?;
    let key = issued.key.clone();
    assert!(key.starts_with("sk-llmo-") && key.len() == 48, "{key}");
    let ck = &issued.client_key;
    assert_eq!(ck.key_prefix, &key[..12]);
    assert_eq!(ck.allowed_models, ["gpt-4o"]);
    assert_eq!(ck.note.as_deref(), Some("for the batch jobs"));
    assert_eq!(
        ck.expires_at.unwrap().to_rfc3339(),
        "2030-01-02T03:04:05.123456+00:00"
    );
    assert!(ck.enabled && ck.last_used_at.is_none());
    assert_eq!(&s.get_client_key(ck.id).await?, ck);

    let stored: Vec<(String, String)> = with_conn!(db, conn => {
        client_keys::table
            .select((client_keys::key_hash, client_keys::key_prefix))
            .load(conn)
            .await?
    });
    let expected_hash = hex::encode(llm_orchestrator::security::sha256(&key));
    assert_eq!(stored, vec![(expected_hash.clone(), key[..12].to_string())]);
    let snap = s.load_snapshot().await?;
    assert_eq!(snap.client_keys, vec![(ck.clone(), expected_hash.clone())]);

    let rotated = s.rotate_client_key(ck.id).await?;
    assert_ne!(rotated.key, key);
    assert_eq!(rotated.client_key.id, ck.id);
    assert_eq!(rotated.client_key.name, "team-a");
    assert_eq!(rotated.client_key.allowed_models, ck.allowed_models);
    assert_eq!(rotated.client_key.key_prefix, &rotated.key[..12]);
    let (_, new_hash) = &s.load_snapshot().await?.client_keys[0];
    assert_ne!(new_hash, &expected_hash);
    assert_eq!(
        new_hash,
        &hex::encode(llm_orchestrator::security::sha256(&rotated.key))
    );

    let revoked = s.revoke_client_key(ck.id).await?;
    assert!(!revoked.enabled);
    assert_eq!(
        s.list_client_keys(&ClientKeyFilter::default(), all())
            .await?
            .total,
        1
    );

    let patch: ClientKeyPatch = from(json!({"name": "team-b", "note": null, "expires_at": null}));
    let updated = s.update_client_key(ck.id, patch).await?;
    assert_eq!(updated.name, "team-b");
    assert_eq!((updated.note, updated.expires_at), (None, None));
    assert_eq!(updated.key_prefix, rotated.client_key.key_prefix);

    s.create_client_key(client_key("ops")).await?;
    let f = |v: serde_json::Value| -> ClientKeyFilter { from(v) };
    assert_eq!(
        s.list_client_keys(&f(json!({"q": "TEAM"})), all())
            .await?
            .total,
        1
    );
    assert_eq!(
        s.list_client_keys(&f(json!({"q": "sk-llmo"})), all())
            .await?
            .total,
        2
    );
    assert_eq!(
        s.list_client_keys(&f(json!({"enabled": true})), all())
            .await?
            .total,
        1
    );
    s.delete_client_key(ck.id).await?;
    assert_eq!(
        s.list_client_keys(&ClientKeyFilter::default(), all())
            .await?
            .total,
        1
    );
    Ok(())
}

async fn the_snapshot_holds_decrypted_keys_and_client_key_hashes(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let mut p = provider("p");
    p.keys = vec![key("a", "sk-aaaaaaaaaaaa"), key("b", "sk-bbbbbbbbbbbb")];
    s.create_provider(p).await?;
    s.create_model(model("m")).await?;
    s.create_route(route("m", "p")).await?;
    s.create_client_key(client_key("c")).await?;
    let snap = s.load_snapshot().await?;
    assert_eq!(snap.providers.len(), 1);
    assert_eq!(snap.providers[0].keys.len(), 2);
    let secrets: Vec<(&str, &str)> = snap
        .keys
        .iter()
        .map(|(k, secret)| (k.label.as_str(), secret.as_str()))
        .collect();
    assert_eq!(
        secrets,
        [("a", "sk-aaaaaaaaaaaa"), ("b", "sk-bbbbbbbbbbbb")]
    );
    assert_eq!(snap.models[0].name, "m");
    assert_eq!(snap.routes[0].provider, "p");
    assert_eq!(snap.client_keys[0].1.len(), 64, "hex sha256");
    Ok(())
}

fn sample_doc() -> CatalogDoc {
    from(json!({
        "providers": [
            {"name": "openai-main", "kind": "openai", "weight": 5,
             "extra_headers": {"X-Org": "acme"},
             "keys": [{"label": "k1", "key": LEAK}, {"label": "k2", "key": "sk-second-0000000", "weight": 3}]},
            {"name": "claude", "kind": "anthropic", "connect_timeout_ms": 2000,
             "keys": [{"label": "main", "key": "sk-ant-000000000000"}]},
        ],
        "models": [
            {"name": "gpt-4o", "aliases": ["4o"], "description": "omni"},
            {"name": "sonnet", "present_requested_name": true},
        ],
        "routes": [
            {"model": "gpt-4o", "provider": "openai-main"},
            {"model": "gpt-4o", "provider": "openai-main", "upstream_model": "gpt-4o-2024-08-06",
             "capabilities": ["vision", "tools"], "price_input": 2.5},
            {"model": "sonnet", "provider": "claude", "upstream_model": "claude-sonnet-4",
             "param_overrides": {"max_tokens": 1024}},
        ],
    }))
}

fn actions(r: &ImportReport) -> Vec<String> {
    r.changes
        .iter()
        .map(|c| {
            let fields = if c.fields.is_empty() {
                String::new()
            } else {
                format!(" {}", c.fields.join(","))
            };
            format!("{} {} {}{fields}", c.action, c.resource, c.name)
        })
        .collect()
}

fn opts(dry_run: bool, prune: bool) -> ImportOptions {
    ImportOptions { dry_run, prune }
}

async fn import_then_export_then_import_again_changes_nothing(t: TestDb) -> TestResult {
    let s = store(&t).await;
    let first = s.import_catalog(&sample_doc(), opts(false, false)).await?;
    assert_eq!(
        actions(&first),
        [
            "create provider openai-main",
            "create provider_key openai-main/k1",
            "create provider_key openai-main/k2",
            "create provider claude",
            "create provider_key claude/main",
            "create model gpt-4o",
            "create model sonnet",
            "create route gpt-4o -> openai-main:gpt-4o",
            "create route gpt-4o -> openai-main:gpt-4o-2024-08-06",
            "create route sonnet -> claude:claude-sonnet-4",
        ]
    );
    assert_eq!(first.unchanged, 0);
    assert!(!first.dry_run);

    let exported = s.export_catalog(false).await?;
    assert!(!serde_json::to_string(&exported)?.contains("LEAKCHECK"));
    let names: Vec<&str> = exported.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["claude", "openai-main"], "by name");
    assert_eq!(
        exported.providers[1].keys[0].key_hint.as_deref(),
        Some(mask_secret(LEAK).as_str())
    );
    assert_eq!(
        exported.routes[0].upstream_model, None,
        "the default is left out"
    );

    let again = s.import_catalog(&exported, opts(false, false)).await?;
    assert_eq!(actions(&again), Vec::<String>::new());
    assert_eq!(again.unchanged, 10);
    // The original file (with secrets) is unchanged too: the secrets compare equal.
    let same = s.import_catalog(&sample_doc(), opts(false, false)).await?;
    assert_eq!(actions(&same), Vec::<String>::new());
    // And so is an export with secrets, which imports into a fresh database identically.
    let full = s.export_catalog(true).await?;
    let t2 = TestDb::new(t.backend()).await.expect("the same backend");
    let s2 = store(&t2).await;
    s2.import_catalog(&full, opts(false, false)).await?;
    assert_eq!(s2.export_catalog(true).await?, full);

    // Changes are reported field by field, without secret values.
    let mut doc = sample_doc();
    doc.providers[0].weight = 6;
    doc.providers[0].keys[0].key = Some("sk-rotated-11111111".into());
    doc.providers[0].keys[1].enabled = false;
    doc.models[0].aliases.push("omni".into());
    doc.routes[2].price_output = 15.0;
    let changed = s.import_catalog(&doc, opts(false, false)).await?;
    assert_eq!(
        actions(&changed),
        [
            "update provider openai-main weight",
            "update provider_key openai-main/k1 key",
            "update provider_key openai-main/k2 enabled",
            "update model gpt-4o aliases",
            "update route sonnet -> claude:claude-sonnet-4 price_output",
        ]
    );
    assert_eq!(changed.unchanged, 5);
    assert!(!format!("{changed:?}").contains("rotated"));
    let snap = s.load_snapshot().await?;
    assert!(snap
        .keys
        .iter()
        .any(|(_, secret)| secret == "sk-rotated-11111111"));
    Ok(())
}

async fn a_dry_run_reports_exactly_what_a_real_run_does_and_writes_nothing(
    t: TestDb,
) -> TestResult {
    let s = store(&t).await;
    s.create_provider(provider("stale")).await?;
    let dry = s.import_catalog(&sample_doc(), opts(true, true)).await?;
    assert!(dry.dry_run);
    assert_eq!(
        s.export_catalog(false).await?.providers.len(),
        1,
        "nothing written"
    );
    assert_eq!(counts(&s).await?, (1, 0, 0, 0));
    let real = s.import_catalog(&sample_doc(), opts(false, true)).await?;
    assert!(!real.dry_run);
    assert_eq!(dry.changes, real.changes);
    assert_eq!(dry.unchanged, real.unchanged);
    assert!(actions(&real).contains(&"delete provider stale".to_string()));
    Ok(())
}

async fn prune_deletes_what_the_file_does_not_list(t: TestDb) -> TestResult {
    let s = store(&t).await;
    s.import_catalog(&sample_doc(), opts(false, false)).await?;
    let mut doc = sample_doc();
    doc.providers.remove(1); // claude, its key and the sonnet route
    doc.providers[0].keys.remove(1); // openai-main/k2
    doc.models.remove(1); // sonnet
    doc.routes.truncate(1); // keeps gpt-4o -> openai-main:gpt-4o
    let kept = s.import_catalog(&doc, opts(false, false)).await?;
    assert!(kept.changes.is_empty(), "without prune nothing is deleted");

    let pruned = s.import_catalog(&doc, opts(false, true)).await?;
    assert_eq!(
        actions(&pruned),
        [
            "delete provider_key openai-main/k2",
            "delete route gpt-4o -> openai-main:gpt-4o-2024-08-06",
            "delete route sonnet -> claude:claude-sonnet-4",
            "delete model sonnet",
            "delete provider_key claude/main",
            "delete provider claude",
        ]
    );
    assert_eq!(counts(&s).await?, (1, 1, 1, 1));
    let again = s.import_catalog(&doc, opts(false, true)).await?;
    assert!(again.changes.is_empty());
    Ok(())
}

async fn a_bad_file_changes_nothing_and_the_error_names_the_entry(t: TestDb) -> TestResult {
    let s = store(&t).await;
    s.import_catalog(&sample_doc(), opts(false, false)).await?;
    let before = s.export_catalog(true).await?;

    type Edit = Box<dyn Fn(&mut CatalogDoc)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| d.providers[1].keys.push(from(json!({"label": "k3"})))),
            "providers[1].keys[1]: new key `k3` needs key or key_env",
        ),
        (
            Box::new(|d| {
                d.routes
                    .push(from(json!({"model": "gpt-4o", "provider": "x"})))
            }),
            "routes[3].provider: no provider `x` in the file or the database",
        ),
        (
            Box::new(|d| {
                d.routes
                    .push(from(json!({"model": "nope", "provider": "claude"})))
            }),
            "routes[3].model: no model `nope` in the file or the database",
        ),
        (
            Box::new(|d| d.providers[0].weight = -5),
            "providers[0].weight: must be from 0 to 1000000",
        ),
        (
            Box::new(|d| {
                let dup = d.providers[0].clone();
                d.providers.push(dup)
            }),
            "providers[2].name: listed twice (also providers[0])",
        ),
        (
            Box::new(|d| d.models[1].aliases = vec!["4o".into()]),
            "models[1].aliases[0]: `4o` is already an alias of model `gpt-4o`",
        ),
        (
            Box::new(|d| {
                let dup = d.routes[0].clone();
                d.routes.push(dup)
            }),
            "routes[3]: listed twice (also routes[0])",
        ),
        (
            Box::new(|d| d.providers[0].keys[1].key_env = Some("X".into())),
            "providers[0].keys[1]: set key or key_env, not both",
        ),
    ];
    for (i, (edit, message)) in cases.iter().enumerate() {
        let mut doc = sample_doc();
        // A valid change before the bad entry: it must be rolled back too.
        doc.providers[0].weight = 77;
        doc.models.push(from(json!({"name": format!("new-{i}")})));
        edit(&mut doc);
        let r = s.import_catalog(&doc, opts(false, false)).await;
        expect_invalid(r, message);
    }
    // Under prune, only the file resolves names.
    s.create_model(model("db-only")).await?;
    let mut doc = sample_doc();
    doc.routes
        .push(from(json!({"model": "db-only", "provider": "claude"})));
    assert!(s.import_catalog(&doc, opts(false, false)).await.is_ok());
    s.delete_routes(&[s.list_routes(&RouteFilter::default(), all()).await?.data[3].id])
        .await?;
    expect_invalid(
        s.import_catalog(&doc, opts(false, true)).await,
        "routes[3].model: no model `db-only` in the file (with prune, routes may only name what the file lists)",
    );
    s.delete_model(
        s.list_models(&from(json!({"q": "db-only"})), all())
            .await?
            .data[0]
            .id,
    )
    .await?;
    assert_eq!(s.export_catalog(true).await?, before, "nothing changed");
    Ok(())
}

async fn key_env_reads_the_secret_from_the_environment_at_import_time(t: TestDb) -> TestResult {
    let s = store(&t).await;
    // One variable per backend: the three tests of this function run in parallel.
    let var = format!(
        "LLMO_TEST_IMPORT_KEY_{}",
        t.backend().as_str().to_uppercase()
    );
    let doc: CatalogDoc = from(json!({
        "providers": [{"name": "p", "kind": "openai", "keys": [{"label": "env", "key_env": var}]}],
    }));
    std::env::remove_var(&var);
    expect_invalid(
        s.import_catalog(&doc, opts(false, false)).await,
        &format!("providers[0].keys[0].key_env: environment variable `{var}` is not set"),
    );
    std::env::set_var(&var, "sk-from-env-12345678");
    let report = s.import_catalog(&doc, opts(false, false)).await?;
    assert_eq!(
        actions(&report),
        ["create provider p", "create provider_key p/env"]
    );
    let snap = s.load_snapshot().await?;
    assert_eq!(snap.keys[0].1, "sk-from-env-12345678");
    // Same value again: unchanged; a new value: an update of the key.
    assert!(s
        .import_catalog(&doc, opts(false, false))
        .await?
        .changes
        .is_empty());
    std::env::set_var(&var, "sk-from-env-87654321");
    let report = s.import_catalog(&doc, opts(false, false)).await?;
    assert_eq!(actions(&report), ["update provider_key p/env key"]);
    std::env::remove_var(&var);
    // The exported form (no secret) keeps the stored key.
    let exported = s.export_catalog(false).await?;
    assert!(s
        .import_catalog(&exported, opts(false, false))
        .await?
        .changes
        .is_empty());
    Ok(())
}
