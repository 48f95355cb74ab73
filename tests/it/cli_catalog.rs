//! `catalog export|import` and `keys create|list|revoke|rotate`, by running the binary on a
//! fresh SQLite database: round trips through every format, dry runs and bad files that
//! change nothing, a workbook from the Python version, and provider keys that never show up
//! in any output unless `--include-secrets` asked for them.

use std::path::{Path, PathBuf};
use std::process::Output;

use llm_orchestrator::catalog::formats::{self, Format};
use llm_orchestrator::catalog::model::{CatalogDoc, ProviderKind};
use rust_xlsxwriter::Workbook;
use serde_json::Value;

use crate::util::proc;
use crate::util::TestDb;

/// Every provider secret in these tests starts with this; no output may contain it unless a
/// test asked for secrets.
const LEAK: &str = "sk-LEAKCHECK";

const CATALOG_TOML: &str = r#"
[[providers]]
name = "openai-main"
kind = "openai"
weight = 100
keys = [
  { label = "k1", key_env = "OPENAI_KEY_1" },
  { label = "k2", key_env = "OPENAI_KEY_2", weight = 3 },
]

[[providers]]
name = "claude"
kind = "anthropic"
base_url = "https://api.anthropic.com"
priority = 1
keys = [{ label = "default", key_env = "ANTHROPIC_KEY" }]

[[models]]
name = "gpt-4o"
aliases = ["gpt4o"]
description = "General purpose"

[[models]]
name = "sonnet"

[[routes]]
model = "gpt-4o"
provider = "openai-main"
upstream_model = "gpt-4o-2024-08-06"
weight = 2
capabilities = ["tools", "vision", "json_schema", "streaming"]
price_input = 2.5
price_output = 10.0

[[routes]]
model = "sonnet"
provider = "claude"
upstream_model = "claude-sonnet-4-5"
priority = 1
capabilities = ["tools", "streaming"]
"#;

/// One test's working directory and database.
struct Env {
    dir: tempfile::TempDir,
    db: TestDb,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            db: TestDb::sqlite(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        std::fs::write(self.path(name), bytes).unwrap();
        name.to_string()
    }

    /// Runs the binary; fails the test if a provider secret appears in its output.
    fn run(&self, args: &[&str]) -> Output {
        let out = self.run_leaky(args);
        for (stream, text) in [
            ("stdout", proc::stdout(&out)),
            ("stderr", proc::stderr(&out)),
        ] {
            assert!(
                !text.contains(LEAK),
                "a provider key leaked to {stream} of {args:?}:\n{text}"
            );
        }
        out
    }

    /// Runs the binary without the leak check (for `--include-secrets` to stdout).
    fn run_leaky(&self, args: &[&str]) -> Output {
        let mut c = proc::cmd(self.dir.path());
        c.args(args)
            .env("DATABASE_URL", self.db.url())
            .env("OPENAI_KEY_1", "sk-LEAKCHECK-openai-1-0123456789")
            .env("OPENAI_KEY_2", "sk-LEAKCHECK-openai-2-0123456789")
            .env("ANTHROPIC_KEY", "sk-LEAKCHECK-anthropic-0123456789");
        proc::run(&mut c)
    }

    /// Runs and expects exit 0; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?} failed:\nstdout: {}\nstderr: {}",
            proc::stdout(&out),
            proc::stderr(&out)
        );
        proc::stdout(&out)
    }

    /// Runs and expects exit 2; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} should fail with 2:\nstdout: {}\nstderr: {}",
            proc::stdout(&out),
            proc::stderr(&out)
        );
        proc::stderr(&out)
    }

    fn import_json(&self, file: &str, extra: &[&str]) -> Value {
        let mut args = vec!["catalog", "import", file, "--json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&self.ok(&args)).expect("import --json prints JSON")
    }

    /// The stored catalog, via `catalog export -` (TOML on stdout).
    fn exported(&self) -> CatalogDoc {
        let out = self.ok(&["catalog", "export", "-"]);
        formats::parse(Format::Toml, out.as_bytes()).unwrap().doc
    }
}

/// What a file and an export of it share: secrets, their env names and hints aside, order
/// and set-like lists normalised.
fn comparable(doc: &CatalogDoc) -> CatalogDoc {
    let mut doc = formats::canonical_order(doc);
    for p in &mut doc.providers {
        for k in &mut p.keys {
            k.key = None;
            k.key_env = None;
            k.key_hint = None;
        }
    }
    for m in &mut doc.models {
        m.aliases.sort();
    }
    for r in &mut doc.routes {
        r.capabilities.sort();
    }
    doc
}

fn changes(report: &Value) -> &Vec<Value> {
    report["changes"].as_array().expect("changes is a list")
}

#[test]
fn an_imported_toml_file_exports_back_the_same_catalog() {
    let env = Env::new();
    let file = env.write("catalog.toml", CATALOG_TOML);
    let report = env.import_json(&file, &[]);
    assert_eq!(report["dry_run"], false);
    assert!(changes(&report).len() >= 7, "{report}");

    let exported = env.exported();
    let original = formats::parse(Format::Toml, CATALOG_TOML.as_bytes())
        .unwrap()
        .doc;
    assert_eq!(comparable(&exported), comparable(&original));
    // Masked hints instead of secrets.
    let k1 = &exported
        .providers
        .iter()
        .find(|p| p.name == "openai-main")
        .unwrap()
        .keys[0];
    assert!(k1.key.is_none() && k1.key_hint.is_some(), "{k1:?}");

    // The export imports without changes, to a file too.
    env.ok(&["catalog", "export", "again.toml"]);
    let again = env.import_json("again.toml", &[]);
    assert!(changes(&again).is_empty(), "{again}");

    // The table form says so.
    let table = env.ok(&["catalog", "import", "again.toml"]);
    assert!(table.starts_with("no changes"), "{table}");
}

#[test]
fn a_dry_run_reports_changes_and_writes_nothing() {
    let env = Env::new();
    let file = env.write("catalog.toml", CATALOG_TOML);
    let report = env.import_json(&file, &["--dry-run"]);
    assert_eq!(report["dry_run"], true);
    assert!(!changes(&report).is_empty());
    assert_eq!(env.exported(), CatalogDoc::default());

    let table = env.ok(&["catalog", "import", &file, "--dry-run"]);
    assert!(
        table.contains("create") && table.contains("openai-main"),
        "{table}"
    );
    assert!(table.contains("nothing was written"), "{table}");
    assert_eq!(env.exported(), CatalogDoc::default());
}

#[test]
fn a_bad_file_exits_2_naming_the_entry_and_changes_nothing() {
    let env = Env::new();
    let file = env.write("catalog.toml", CATALOG_TOML);
    env.import_json(&file, &[]);
    let before = env.exported();

    let bad_kind = CATALOG_TOML.replace("kind = \"anthropic\"", "kind = \"cohere\"");
    let bad = env.write("bad.toml", bad_kind);
    let err = env.fails(&["catalog", "import", &bad]);
    assert!(err.contains("providers[1].kind"), "{err}");
    assert!(err.contains("cohere"), "{err}");

    // Parses, but names a provider that exists nowhere: the store refuses the whole file,
    // including the weight change it also carries.
    let dangling = format!(
        "{CATALOG_TOML}\n[[routes]]\nmodel = \"sonnet\"\nprovider = \"nope\"\n\
         upstream_model = \"x\"\n"
    )
    .replace("weight = 2", "weight = 5");
    let dangling = env.write("dangling.toml", dangling);
    let err = env.fails(&["catalog", "import", &dangling]);
    assert!(err.contains("nope"), "{err}");

    let unknown_format = env.write("catalog.yaml", "x: 1");
    let err = env.fails(&["catalog", "import", &unknown_format]);
    assert!(err.contains("--format"), "{err}");

    assert_eq!(env.exported(), before, "nothing changed");
}

#[test]
fn an_xlsx_export_imports_back_without_changes() {
    let env = Env::new();
    let file = env.write("catalog.toml", CATALOG_TOML);
    env.import_json(&file, &[]);

    let out = env.ok(&["catalog", "export", "catalog.xlsx"]);
    assert!(out.contains("2 provider(s) with 3 key(s)"), "{out}");
    let bytes = std::fs::read(env.path("catalog.xlsx")).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(LEAK));
    let report = env.import_json("catalog.xlsx", &[]);
    assert!(changes(&report).is_empty(), "{report}");

    // JSON, for good measure, with an explicit format on an odd name.
    env.ok(&["catalog", "export", "catalog.out", "--format", "json"]);
    let report = env.import_json("catalog.out", &["--format", "json"]);
    assert!(changes(&report).is_empty(), "{report}");
}

#[test]
fn secrets_are_exported_only_when_asked_and_then_privately() {
    let env = Env::new();
    let file = env.write("catalog.toml", CATALOG_TOML);
    env.import_json(&file, &[]);

    let out = env.run(&["catalog", "export", "secret.toml", "--include-secrets"]);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    assert!(
        proc::stderr(&out).contains("secret.toml"),
        "the warning names the file"
    );
    let text = std::fs::read_to_string(env.path("secret.toml")).unwrap();
    assert!(text.contains("sk-LEAKCHECK-openai-1-0123456789"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.path("secret.toml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");

    let out = env.run_leaky(&["catalog", "export", "-", "--include-secrets"]);
    assert!(proc::stdout(&out).contains("sk-LEAKCHECK-anthropic"));

    // A file with secrets moves them to another installation.
    let other = Env::new();
    std::fs::copy(env.path("secret.toml"), other.path("secret.toml")).unwrap();
    let mut c = proc::cmd(other.dir.path());
    c.args(["catalog", "import", "secret.toml", "--json"])
        .env("DATABASE_URL", other.db.url());
    let out = proc::run(&mut c);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    assert!(!proc::stdout(&out).contains(LEAK));
    let out = other.run_leaky(&[
        "catalog",
        "export",
        "-",
        "--format",
        "json",
        "--include-secrets",
    ]);
    assert!(proc::stdout(&out).contains("sk-LEAKCHECK-openai-2-0123456789"));
}

/// A workbook as the Python version wrote and people edited it.
fn python_workbook(path: &Path) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Providers").unwrap();
    for (c, h) in [
        "name", "type", "api_key", "base_url", "priority", "weight", "enabled",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "OpenAI-Main").unwrap();
    ws.write_string(1, 1, "openai").unwrap();
    ws.write_string(1, 2, "sk-LEAKCHECK-python-0123456789")
        .unwrap();
    ws.write_string(1, 3, "https://api.openai.com/v1").unwrap();
    ws.write_number(1, 4, 100.0).unwrap();
    ws.write_number(1, 5, 100.0).unwrap();
    ws.write_string(1, 6, "true").unwrap();
    ws.write_string(2, 0, "Anthropic-Main").unwrap();
    ws.write_string(2, 1, "anthropic").unwrap();
    ws.write_string(2, 2, "sk-LEAKCHECK-python-ant-0123456789")
        .unwrap();
    ws.write_number(2, 4, 0.0).unwrap();
    ws.write_number(2, 5, 0.0).unwrap();
    ws.write_boolean(2, 6, false).unwrap();

    let ws = wb.add_worksheet();
    ws.set_name("Models").unwrap();
    for (c, h) in ["name", "remark", "max_retry", "timeout"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "gpt-4o").unwrap();
    ws.write_string(1, 1, "GPT-4 Optimized").unwrap();
    ws.write_number(1, 2, 0.0).unwrap();
    ws.write_number(1, 3, 60.0).unwrap();
    ws.write_string(2, 0, "claude-3.5-sonnet").unwrap();

    let ws = wb.add_worksheet();
    ws.set_name("Associations").unwrap();
    for (c, h) in [
        "model_name",
        "provider_name",
        "provider_model",
        "supports_tools",
        "supports_vision",
        "weight",
        "enabled",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        ["gpt-4o", "OpenAI-Main", "gpt-4o-2024-05-13"],
        [
            "claude-3.5-sonnet",
            "Anthropic-Main",
            "claude-3-5-sonnet-20241022",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r, c as u16, *v).unwrap();
        }
    }
    ws.write_boolean(1, 3, true).unwrap();
    ws.write_string(1, 4, "TRUE").unwrap();
    ws.write_number(1, 5, 100.0).unwrap();
    ws.write_string(1, 6, "true").unwrap();
    ws.write_boolean(2, 3, false).unwrap();
    ws.write_boolean(2, 4, false).unwrap();
    ws.write_number(2, 5, 0.0).unwrap();
    ws.write_boolean(2, 6, false).unwrap();
    wb.save(path).unwrap();
}

#[test]
fn a_python_version_workbook_imports_with_false_and_zero_kept() {
    let env = Env::new();
    python_workbook(&env.path("python.xlsx"));
    let out = env.run(&["catalog", "import", "python.xlsx", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    assert!(
        proc::stderr(&out).contains("max_retry"),
        "the dead columns are warned about: {}",
        proc::stderr(&out)
    );
    let report: Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert!(!changes(&report).is_empty());

    let doc = env.exported();
    let ant = doc
        .providers
        .iter()
        .find(|p| p.name == "Anthropic-Main")
        .unwrap();
    assert_eq!(ant.kind, ProviderKind::Anthropic);
    assert!(!ant.enabled, "FALSE stays false");
    assert_eq!(ant.weight, 0, "0 stays 0");
    assert_eq!(ant.keys.len(), 1);
    assert_eq!(ant.keys[0].label, "default");
    let gpt = doc.models.iter().find(|m| m.name == "gpt-4o").unwrap();
    assert_eq!(gpt.description, "GPT-4 Optimized");
    let route = doc
        .routes
        .iter()
        .find(|r| r.provider == "Anthropic-Main")
        .unwrap();
    assert_eq!(route.weight, 0);
    assert!(!route.enabled);
    assert!(!route.capabilities.iter().any(|c| c.as_str() == "tools"));

    // Imported again: nothing to do.
    let again = env.import_json("python.xlsx", &[]);
    assert!(changes(&again).is_empty(), "{again}");
}

#[test]
fn a_bad_workbook_lists_every_bad_cell_and_changes_nothing() {
    let env = Env::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Providers").unwrap();
    ws.write_string(0, 0, "name").unwrap();
    ws.write_string(0, 1, "type").unwrap();
    ws.write_string(0, 2, "weight").unwrap();
    ws.write_string(1, 0, "p").unwrap();
    ws.write_string(1, 1, "openai").unwrap();
    ws.write_string(1, 2, "abc").unwrap();
    ws.write_string(2, 0, "q").unwrap();
    ws.write_string(2, 1, "openai").unwrap();
    ws.write_number(2, 2, 1.5).unwrap();
    wb.add_worksheet().set_name("Models").unwrap();
    wb.add_worksheet().set_name("Associations").unwrap();
    wb.save(env.path("bad.xlsx")).unwrap();

    let err = env.fails(&["catalog", "import", "bad.xlsx"]);
    assert!(
        err.contains("Providers row 2, column weight: expected a whole number, got \"abc\""),
        "{err}"
    );
    assert!(
        err.contains("Providers row 3, column weight: expected a whole number, got 1.5"),
        "{err}"
    );
    assert_eq!(env.exported(), CatalogDoc::default());
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn client_keys_are_created_listed_revoked_and_rotated() {
    let env = Env::new();
    let created = json(&env.ok(&[
        "keys",
        "create",
        "--name",
        "ci-bot",
        "--models",
        "gpt-4o,o3",
        "--expires",
        "30d",
        "--note",
        "for CI",
        "--json",
    ]));
    let id = created["id"].as_i64().expect("an id");
    assert_eq!(created["name"], "ci-bot");
    let key = created["key"].as_str().expect("the key").to_string();
    assert!(key.len() >= 20, "{key}");
    assert_eq!(
        created["allowed_models"],
        serde_json::json!(["gpt-4o", "o3"])
    );
    assert!(created["expires_at"].is_string());

    let text = env.ok(&["keys", "create", "--name", "other"]);
    assert!(text.contains("not shown again"), "{text}");

    let listed = json(&env.ok(&["keys", "list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let listed_text = env.ok(&["keys", "list"]);
    assert!(listed_text.contains("ci-bot") && listed_text.contains("active"));
    assert!(!listed_text.contains(&key) && !listed.to_string().contains(&key));

    let out = env.ok(&["keys", "revoke", &id.to_string()]);
    assert!(out.contains("revoked client key"), "{out}");
    let listed = json(&env.ok(&["keys", "list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let all = json(&env.ok(&["keys", "list", "--all", "--json"]));
    let revoked = all
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .expect("revoked keys are listed with --all");
    assert_eq!(revoked["enabled"], false);

    let other_id = listed[0]["id"].as_i64().unwrap();
    let rotated = json(&env.ok(&["keys", "rotate", &other_id.to_string(), "--json"]));
    assert_eq!(rotated["id"], other_id);
    assert_eq!(rotated["name"], "other");
    assert!(rotated["key"]
        .as_str()
        .is_some_and(|k| !k.is_empty() && k != key));

    let err = env.fails(&["keys", "revoke", "9999"]);
    assert!(err.contains("client key 9999 not found"), "{err}");
    let err = env.fails(&["keys", "rotate", "9999"]);
    assert!(err.contains("client key 9999 not found"), "{err}");
    let err = env.fails(&["keys", "create", "--name", "x", "--expires", "2001-01-01"]);
    assert!(err.contains("not in the future"), "{err}");
}

#[test]
fn the_readme_catalog_example_imports() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("### Catalog files").expect("the section")..];
    let start = section.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let env = Env::new();
    let file = env.write("readme.toml", example);
    let mut c = proc::cmd(env.dir.path());
    c.args(["catalog", "import", &file, "--json"])
        .env("DATABASE_URL", env.db.url())
        .env("OPENAI_KEY_1", "sk-LEAKCHECK-r1-0123456789")
        .env("OPENAI_KEY_2", "sk-LEAKCHECK-r2-0123456789")
        .env("DEEPSEEK_API_KEY", "sk-LEAKCHECK-r3-0123456789")
        .env("ANTHROPIC_API_KEY", "sk-LEAKCHECK-r4-0123456789");
    let out = proc::run(&mut c);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    let report: Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert_eq!(changes(&report).len(), 12, "{report}");
}
