//! Tests for the catalog file formats: parsing, error messages, and round trips. Workbooks
//! are built here with rust_xlsxwriter, including one shaped like the Python version's.

use std::collections::BTreeMap;
use std::path::Path;

use rust_xlsxwriter::Workbook;
use serde_json::json;

use super::*;
use crate::catalog::model::{Capability, KeyDoc, ModelDoc, ProviderDoc, ProviderKind, RouteDoc};

const README_TOML: &str = r#"
[[providers]]
name = "openai-main"
kind = "openai"
keys = [
  { label = "k1", key_env = "OPENAI_KEY_1" },
  { label = "k2", key_env = "OPENAI_KEY_2", weight = 2 },
]

[[providers]]
name = "anthropic"
kind = "anthropic"
keys = [{ label = "default", key_env = "ANTHROPIC_API_KEY" }]

[[models]]
name = "gpt-4o"
aliases = ["gpt4o", "default"]
description = "General purpose"

[[routes]]
model = "gpt-4o"
provider = "openai-main"
upstream_model = "gpt-4o-2024-08-06"
priority = 0
weight = 3
capabilities = ["tools", "vision", "json_schema", "streaming"]

[[routes]]
model = "gpt-4o"
provider = "anthropic"
upstream_model = "claude-sonnet-4-5"
priority = 1
"#;

/// A catalog that uses every field, in canonical order.
fn rich_doc() -> CatalogDoc {
    let mut headers = BTreeMap::new();
    headers.insert("X-Org".to_string(), "acme".to_string());
    let mut overrides = serde_json::Map::new();
    overrides.insert("temperature".into(), json!(0.2));
    overrides.insert("stop".into(), json!(["###"]));
    CatalogDoc {
        providers: vec![
            ProviderDoc {
                name: "azure-eu".into(),
                kind: ProviderKind::AzureOpenAi,
                base_url: "https://acme.openai.azure.com".into(),
                enabled: false,
                weight: 0,
                priority: -5,
                connect_timeout_ms: Some(2_000),
                first_token_timeout_ms: Some(15_000),
                idle_timeout_ms: None,
                total_timeout_ms: Some(600_000),
                extra_headers: headers,
                param_overrides: overrides.clone(),
                stream_include_usage: false,
                keys: vec![],
            },
            ProviderDoc {
                name: "openai-main".into(),
                kind: ProviderKind::OpenAi,
                base_url: String::new(),
                enabled: true,
                weight: 100,
                priority: 0,
                connect_timeout_ms: None,
                first_token_timeout_ms: None,
                idle_timeout_ms: None,
                total_timeout_ms: None,
                extra_headers: BTreeMap::new(),
                param_overrides: serde_json::Map::new(),
                stream_include_usage: true,
                keys: vec![
                    KeyDoc {
                        label: "k1".into(),
                        key: None,
                        key_env: Some("OPENAI_KEY_1".into()),
                        key_hint: Some("sk-…abcd".into()),
                        enabled: true,
                        weight: 1,
                    },
                    KeyDoc {
                        label: "k2".into(),
                        key: None,
                        key_env: None,
                        key_hint: Some("sk-…wxyz".into()),
                        enabled: false,
                        weight: 7,
                    },
                ],
            },
        ],
        models: vec![
            ModelDoc {
                name: "gpt-4o".into(),
                aliases: vec!["gpt4o".into(), "default".into()],
                description: "General purpose, 128k".into(),
                enabled: true,
                present_requested_name: true,
            },
            ModelDoc {
                name: "o3".into(),
                aliases: vec![],
                description: String::new(),
                enabled: false,
                present_requested_name: false,
            },
        ],
        routes: vec![
            RouteDoc {
                model: "gpt-4o".into(),
                provider: "openai-main".into(),
                upstream_model: Some("gpt-4o-2024-08-06".into()),
                weight: 3,
                priority: 0,
                capabilities: Capability::ALL.to_vec(),
                param_overrides: overrides,
                price_input: 2.5,
                price_output: 10.0,
                price_cached_input: Some(1.25),
                max_tokens_default: Some(4096),
                enabled: true,
            },
            RouteDoc {
                model: "gpt-4o".into(),
                provider: "azure-eu".into(),
                upstream_model: None,
                weight: 1,
                priority: 1,
                capabilities: vec![],
                param_overrides: serde_json::Map::new(),
                price_input: 0.15,
                price_output: 0.6,
                price_cached_input: None,
                max_tokens_default: None,
                enabled: false,
            },
        ],
    }
}

fn with_secrets(mut doc: CatalogDoc) -> CatalogDoc {
    for p in &mut doc.providers {
        for k in &mut p.keys {
            k.key = Some(format!("sk-LEAKCHECK-{}-0123456789", k.label));
        }
    }
    doc
}

fn doc_error(format: Format, text: &str) -> String {
    parse(format, text.as_bytes()).unwrap_err().to_string()
}

// --- Format -------------------------------------------------------------------------------

#[test]
fn the_format_comes_from_the_extension_unless_named() {
    assert_eq!(Format::from_path(Path::new("c.toml")), Some(Format::Toml));
    assert_eq!(Format::from_path(Path::new("C.JSON")), Some(Format::Json));
    assert_eq!(
        Format::from_path(Path::new("dir/c.xlsx")),
        Some(Format::Xlsx)
    );
    assert_eq!(Format::from_path(Path::new("c.txt")), None);
    assert_eq!(Format::from_path(Path::new("-")), None);
    assert_eq!(
        Format::resolve(Path::new("c.txt"), Some(Format::Json)),
        Ok(Format::Json)
    );
    let e = Format::resolve(Path::new("c.txt"), None).unwrap_err();
    assert!(e.to_string().contains("--format"), "{e}");
    assert_eq!("Excel".parse::<Format>(), Ok(Format::Xlsx));
    assert!("yaml"
        .parse::<Format>()
        .unwrap_err()
        .contains("toml, json or xlsx"));
}

// --- TOML ---------------------------------------------------------------------------------

#[test]
fn the_readme_toml_example_parses_with_defaults_filled_in() {
    let parsed = parse(Format::Toml, README_TOML.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty());
    let doc = parsed.doc;
    assert_eq!(doc.providers.len(), 2);
    let p = &doc.providers[0];
    assert_eq!(p.kind, ProviderKind::OpenAi);
    assert_eq!(p.weight, 100);
    assert!(p.enabled && p.stream_include_usage);
    assert_eq!(p.keys[0].key_env.as_deref(), Some("OPENAI_KEY_1"));
    assert_eq!(p.keys[0].key, None);
    assert_eq!(p.keys[1].weight, 2);
    assert_eq!(doc.models[0].aliases, ["gpt4o", "default"]);
    assert_eq!(doc.routes[0].capabilities, Capability::ALL);
    assert_eq!(doc.routes[1].capabilities, Capability::DEFAULT);
    assert_eq!(doc.routes[1].weight, 1);
}

#[test]
fn a_bad_toml_value_names_its_path_line_and_column() {
    let text = "\
[[providers]]
name = \"a\"
kind = \"openai\"

[[providers]]
name = \"b\"
kind = \"cohere\"
";
    let e = doc_error(Format::Toml, text);
    assert!(
        e.starts_with("providers[1].kind: unknown variant `cohere`"),
        "{e}"
    );
    assert!(e.contains("azure_openai"), "{e}");
    assert!(e.ends_with("(line 7, column 8)"), "{e}");
}

#[test]
fn an_unknown_toml_field_is_an_error_naming_it() {
    let text = "[[models]]\nname = \"m\"\nremark = \"old name\"\n";
    let e = doc_error(Format::Toml, text);
    assert!(e.contains("unknown field `remark`"), "{e}");
    assert!(e.contains("models[0]"), "{e}");
    assert!(e.contains("(line "), "{e}");
}

#[test]
fn toml_syntax_errors_have_a_position() {
    let e = doc_error(Format::Toml, "[[providers]]\nname = \n");
    assert!(e.starts_with("invalid toml: "), "{e}");
    assert!(e.contains("(line 2, column"), "{e}");
}

#[test]
fn a_toml_export_says_what_it_is_and_whether_it_holds_secrets() {
    let out = String::from_utf8(render(Format::Toml, &rich_doc()).unwrap()).unwrap();
    assert!(out.starts_with("# llm-orchestrator catalog"), "{out}");
    assert!(out.contains("not included"), "{out}");
    assert!(out.contains("--include-secrets"), "{out}");
    let secret =
        String::from_utf8(render(Format::Toml, &with_secrets(rich_doc())).unwrap()).unwrap();
    assert!(secret.contains("IN CLEAR"), "{secret}");
    assert!(secret.contains("sk-LEAKCHECK-k1"), "{secret}");
}

#[test]
fn toml_and_json_round_trip_and_are_stable() {
    for format in [Format::Toml, Format::Json] {
        for doc in [rich_doc(), with_secrets(rich_doc()), CatalogDoc::default()] {
            let bytes = render(format, &doc).unwrap();
            let back = parse(format, &bytes).unwrap().doc;
            assert_eq!(back, doc, "{format}:\n{}", String::from_utf8_lossy(&bytes));
            assert_eq!(render(format, &back).unwrap(), bytes, "{format} is stable");
        }
    }
}

#[test]
fn rendering_sorts_so_exports_diff_well() {
    let mut shuffled = rich_doc();
    shuffled.providers.reverse();
    shuffled.providers[1].keys.reverse();
    shuffled.models.reverse();
    shuffled.routes.reverse();
    assert_eq!(
        render(Format::Toml, &shuffled).unwrap(),
        render(Format::Toml, &rich_doc()).unwrap()
    );
}

#[test]
fn secrets_are_written_only_when_the_document_carries_them() {
    for format in Format::ALL {
        let bytes = render(format, &rich_doc()).unwrap();
        let doc = parse(format, &bytes).unwrap().doc;
        assert!(doc
            .providers
            .iter()
            .flat_map(|p| &p.keys)
            .all(|k| k.key.is_none()));
    }
}

// --- JSON ---------------------------------------------------------------------------------

#[test]
fn a_bad_json_value_names_its_path_line_and_column() {
    let text = r#"{
  "providers": [
    { "name": "a", "kind": "openai" },
    { "name": "b", "kind": "openai", "weight": "heavy" }
  ]
}"#;
    let e = doc_error(Format::Json, text);
    assert!(
        e.starts_with("providers[1].weight: invalid type: string"),
        "{e}"
    );
    assert!(e.ends_with("(line 4, column 54)"), "{e}");
    assert!(!e.contains(" at line "), "{e}");
}

#[test]
fn json_rejects_unknown_fields_and_trailing_garbage() {
    let e = doc_error(Format::Json, r#"{"routes": [], "extra": 1}"#);
    assert!(e.contains("unknown field `extra`"), "{e}");
    let e = doc_error(Format::Json, r#"{"routes": []} x"#);
    assert!(e.starts_with("invalid json: trailing characters"), "{e}");
}

#[test]
fn an_empty_document_is_allowed_but_warned_about() {
    let parsed = parse(Format::Json, b"{}").unwrap();
    assert_eq!(parsed.doc, CatalogDoc::default());
    assert_eq!(parsed.warnings.len(), 1);
}

// --- Excel --------------------------------------------------------------------------------

/// A cell for a test workbook.
#[derive(Clone)]
enum C {
    S(&'static str),
    N(f64),
    B(bool),
    E,
}
use C::*;

fn workbook(sheets: &[(&str, Vec<Vec<C>>)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    S(s) => {
                        ws.write_string(r, c, *s).unwrap();
                    }
                    N(n) => {
                        ws.write_number(r, c, *n).unwrap();
                    }
                    B(b) => {
                        ws.write_boolean(r, c, *b).unwrap();
                    }
                    E => {}
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn header(names: &[&'static str]) -> Vec<C> {
    names.iter().map(|n| S(n)).collect()
}

/// The Python version's workbook, as its export wrote it (strings for booleans) and as
/// people edit it (real FALSE cells, 0, 100.0, Chinese yes/no).
fn python_workbook() -> Vec<u8> {
    workbook(&[
        (
            "Providers",
            vec![
                header(&[
                    "name", "type", "api_key", "base_url", "priority", "weight", "enabled",
                ]),
                vec![
                    S("OpenAI-Main"),
                    S("openai"),
                    S("sk-LEAKCHECK-python-0001"),
                    S("https://api.openai.com/v1"),
                    N(100.0),
                    N(100.0),
                    S("true"),
                ],
                vec![
                    S("Anthropic-Main"),
                    S("Anthropic"),
                    E,
                    E,
                    N(0.0),
                    S("0"),
                    B(false),
                ],
                vec![S("Gemini"), S("gemini"), S("g-key"), E, E, E, S("否")],
            ],
        ),
        (
            "Models",
            vec![
                header(&["name", "remark", "max_retry", "timeout"]),
                vec![S("gpt-4o"), S("GPT-4 Optimized"), N(0.0), N(60.0)],
                vec![S("claude-3.5-sonnet"), E, N(3.0), N(60.0)],
            ],
        ),
        (
            "Associations",
            vec![
                header(&[
                    "model_name",
                    "provider_name",
                    "provider_model",
                    "supports_tools",
                    "supports_vision",
                    "weight",
                    "enabled",
                ]),
                vec![
                    S("gpt-4o"),
                    S("OpenAI-Main"),
                    S("gpt-4o-2024-05-13"),
                    S("true"),
                    S("TRUE"),
                    N(100.0),
                    S("true"),
                ],
                vec![
                    S("claude-3.5-sonnet"),
                    S("Anthropic-Main"),
                    S("claude-3-5-sonnet-20241022"),
                    B(false),
                    E,
                    N(0.0),
                    B(false),
                ],
                vec![S("gpt-4o"), S("Gemini"), E, S("是"), S("no"), E, S("1")],
            ],
        ),
        ("Notes", vec![vec![S("anything here is ignored")]]),
    ])
}

#[test]
fn a_python_workbook_imports_with_false_and_zero_kept() {
    let parsed = parse(Format::Xlsx, &python_workbook()).unwrap();
    let doc = parsed.doc;

    let p = &doc.providers;
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].name, "OpenAI-Main");
    assert_eq!((p[0].weight, p[0].priority, p[0].enabled), (100, 100, true));
    assert_eq!(p[0].keys.len(), 1);
    assert_eq!(p[0].keys[0].label, "default");
    assert_eq!(
        p[0].keys[0].key.as_deref(),
        Some("sk-LEAKCHECK-python-0001")
    );
    assert_eq!(p[1].kind, ProviderKind::Anthropic);
    assert_eq!((p[1].weight, p[1].priority), (0, 0), "0 stays 0");
    assert!(!p[1].enabled, "a FALSE cell is false");
    assert_eq!(p[1].base_url, "");
    assert_eq!(p[1].keys[0].label, "default");
    assert_eq!(
        p[1].keys[0].key, None,
        "a blank api_key keeps the stored one"
    );
    assert_eq!(p[2].kind, ProviderKind::Gemini);
    assert_eq!(p[2].weight, 100, "blank takes the default");
    assert!(!p[2].enabled, "否 is false");

    let m = &doc.models;
    assert_eq!(m[0].description, "GPT-4 Optimized");
    assert!(m[0].enabled && m[1].enabled);
    assert_eq!(m[1].description, "");

    let r = &doc.routes;
    assert_eq!(r[0].upstream_model.as_deref(), Some("gpt-4o-2024-05-13"));
    assert_eq!(r[0].weight, 100);
    assert!(r[0].capabilities.contains(&Capability::Vision));
    assert!(r[0].capabilities.contains(&Capability::Tools));
    assert!(
        !r[1].capabilities.contains(&Capability::Tools),
        "FALSE tools"
    );
    assert!(r[1].capabilities.contains(&Capability::JsonSchema));
    assert!(r[1].capabilities.contains(&Capability::Streaming));
    assert!(!r[1].capabilities.contains(&Capability::Vision));
    assert_eq!(r[1].weight, 0);
    assert!(!r[1].enabled);
    assert_eq!(r[2].upstream_model, None);
    assert_eq!(r[2].weight, 1, "blank takes our default");
    assert!(r[2].capabilities.contains(&Capability::Tools));
    assert!(!r[2].capabilities.contains(&Capability::Vision));
    assert!(r[2].enabled);

    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    let w = &parsed.warnings[0];
    assert!(
        w.starts_with("Models:") && w.contains("max_retry, timeout"),
        "{w}"
    );
}

#[test]
fn every_bad_cell_is_reported_with_sheet_row_and_column() {
    // Rows 2-6 are fine; 7 and 8 are not.
    let mut routes = vec![header(&[
        "model",
        "provider",
        "upstream_model",
        "weight",
        "enabled",
    ])];
    for up in ["a", "b", "c", "d", "e"] {
        routes.push(vec![S("m"), S("p"), S(up), N(1.0), B(true)]);
    }
    routes.push(vec![S("m"), S("p"), S("f"), S("abc"), S("maybe")]); // row 7
    routes.push(vec![S("m"), E, S("g"), N(1.5), E]); // row 8
    let bytes = workbook(&[
        (
            "Providers",
            vec![
                header(&["name", "kind", "weight"]),
                vec![S("p"), S("cohere"), N(1.0)],
                vec![S("bad name"), S("openai"), E],
                vec![S("q"), E, N(-1.0)],
            ],
        ),
        (
            "Models",
            vec![header(&["name"]), vec![S("m")], vec![S("m")]],
        ),
        ("Associations", routes),
    ]);
    let FormatError::Rows(errors) = parse(Format::Xlsx, &bytes).unwrap_err() else {
        panic!("expected row errors");
    };
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "Providers row 2, column kind: unknown provider kind `cohere`, expected one of \
             openai, anthropic, gemini, azure_openai",
            "Providers row 3, column name: 1-100 characters of letters, digits, `.`, `_` or `-`",
            "Providers row 4, column weight: must be from 0 to 1000000",
            "Providers row 4, column kind: required, but the cell is blank",
            "Models row 3, column name: model `m` is already listed on row 2",
            "Associations row 7, column weight: expected a whole number, got \"abc\"",
            "Associations row 7, column enabled: expected true or false (also yes/no, 1/0, \
             是/否), got \"maybe\"",
            "Associations row 8, column provider: required, but the cell is blank",
            "Associations row 8, column weight: expected a whole number, got 1.5",
        ]
    );
}

#[test]
fn a_missing_sheet_is_named() {
    let bytes = workbook(&[
        ("Providers", vec![header(&["name", "kind"])]),
        ("Associations", vec![header(&["model", "provider"])]),
    ]);
    assert_eq!(
        parse(Format::Xlsx, &bytes).unwrap_err(),
        FormatError::MissingSheet("Models".into())
    );
    assert_eq!(
        FormatError::MissingSheet("Models".into()).to_string(),
        "the workbook has no `Models` sheet"
    );
}

#[test]
fn columns_are_found_by_header_in_any_order_and_case() {
    let bytes = workbook(&[
        (
            "providers",
            vec![
                header(&[" Weight ", "Kind", "Name", "Base URL", "shoe size"]),
                vec![
                    N(7.0),
                    S("OPENAI"),
                    S("x"),
                    S("http://localhost:8000/v1"),
                    N(44.0),
                ],
            ],
        ),
        (
            "Models",
            vec![
                header(&["Model Name", "Aliases"]),
                vec![S("m"), S("a, b\nc")],
            ],
        ),
        (
            "Associations",
            vec![header(&["provider", "model"]), vec![S("x"), S("m")]],
        ),
    ]);
    let parsed = parse(Format::Xlsx, &bytes).unwrap();
    let p = &parsed.doc.providers[0];
    assert_eq!((p.name.as_str(), p.weight), ("x", 7));
    assert_eq!(p.base_url, "http://localhost:8000/v1");
    assert!(p.keys.is_empty(), "our layout: no key columns, no keys");
    assert_eq!(parsed.doc.models[0].aliases, ["a", "b", "c"]);
    assert_eq!(parsed.doc.routes[0].provider, "x");
    assert_eq!(
        parsed.warnings,
        ["Providers: unknown column(s) shoe size ignored"]
    );
}

#[test]
fn two_headers_meaning_the_same_column_are_an_error() {
    let bytes = workbook(&[
        (
            "Providers",
            vec![
                header(&["name", "type", "kind"]),
                vec![S("x"), S("openai"), S("gemini")],
            ],
        ),
        ("Models", vec![]),
        ("Associations", vec![]),
    ]);
    let e = parse(Format::Xlsx, &bytes).unwrap_err().to_string();
    assert_eq!(
        e,
        "Providers row 1, column kind: means the same as column `type`; keep one of them"
    );
}

#[test]
fn a_missing_required_column_is_an_error() {
    let bytes = workbook(&[
        ("Providers", vec![header(&["name"]), vec![S("x")]]),
        ("Models", vec![]),
        ("Associations", vec![]),
    ]);
    let e = parse(Format::Xlsx, &bytes).unwrap_err().to_string();
    assert_eq!(
        e,
        "Providers row 1: the header has no `kind` or `type` column"
    );
}

#[test]
fn extra_rows_of_a_provider_add_keys_and_must_agree_with_the_first() {
    let cols = header(&["name", "kind", "weight", "key_label", "key_env"]);
    let bytes = workbook(&[
        (
            "Providers",
            vec![
                cols.clone(),
                vec![S("p"), S("openai"), N(5.0), S("k1"), S("K1")],
                vec![S("p"), E, E, S("k2"), S("K2")],
                vec![S("p"), S("openai"), N(5.0), S("k3"), E],
            ],
        ),
        ("Models", vec![]),
        ("Associations", vec![]),
    ]);
    let doc = parse(Format::Xlsx, &bytes).unwrap().doc;
    let labels: Vec<_> = doc.providers[0]
        .keys
        .iter()
        .map(|k| k.label.as_str())
        .collect();
    assert_eq!(labels, ["k1", "k2", "k3"]);
    assert_eq!(doc.providers[0].weight, 5);

    let bytes = workbook(&[
        (
            "Providers",
            vec![
                cols,
                vec![S("p"), S("openai"), N(5.0), S("k1"), E],
                vec![S("p"), S("gemini"), N(6.0), S("k1"), E],
            ],
        ),
        ("Models", vec![]),
        ("Associations", vec![]),
    ]);
    let e = parse(Format::Xlsx, &bytes).unwrap_err();
    let lines = e.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("Providers row 3, column kind: differs from row 2"));
    assert!(lines[1].starts_with("Providers row 3, column weight: differs from row 2"));
    assert_eq!(
        lines[2],
        "Providers row 3, column key_label: provider `p` already has a key labelled `k1` on \
         an earlier row"
    );
}

#[test]
fn a_catalog_round_trips_through_xlsx() {
    for doc in [rich_doc(), with_secrets(rich_doc()), CatalogDoc::default()] {
        let bytes = render(Format::Xlsx, &doc).unwrap();
        let parsed = parse(Format::Xlsx, &bytes).unwrap();
        assert_eq!(parsed.doc, doc);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    }
}

#[test]
fn xlsx_reading_rejects_what_is_not_a_workbook() {
    let e = parse(Format::Xlsx, b"name,kind\nx,openai\n").unwrap_err();
    assert!(matches!(e, FormatError::Workbook(_)), "{e:?}");
}

#[test]
fn many_row_errors_display_as_one_block() {
    let e = FormatError::Rows(vec![
        RowError {
            sheet: "Models".into(),
            row: 2,
            column: Some("name".into()),
            message: "required, but the cell is blank".into(),
        },
        RowError {
            sheet: "Models".into(),
            row: 3,
            column: None,
            message: "x".into(),
        },
    ]);
    assert_eq!(
        e.to_string(),
        "2 problems in the workbook:\n  Models row 2, column name: required, but the cell is \
         blank\n  Models row 3: x"
    );
}
