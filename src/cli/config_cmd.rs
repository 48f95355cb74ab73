//! `config check`: validate the configuration and show every effective value with the layer
//! it came from (default, file, .env, environment, flag). Secrets print as `***`.
//! `config keys`: the reference of every key, generated from the registry (README's table
//! is this output, and a test keeps the two in step).
//! `config example`: the commented example file shipped as `packaging/config.example.toml`.

use clap::{Args, Subcommand};
use serde_json::json;

use super::{load_config, Cli};
use crate::config::keys::KEYS;
use crate::error::AppError;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate the configuration and print the effective values and their origins
    Check {
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// List every configuration key with its default and environment names
    Keys {
        /// Print a Markdown table (the README's configuration reference)
        #[arg(long)]
        markdown: bool,
    },
    /// Print an example config file: every key, its doc line and its default (commented out)
    Example,
}

pub fn run(cli: &Cli, args: &ConfigArgs) -> Result<(), AppError> {
    let json = match args.action {
        ConfigAction::Check { json } => json,
        ConfigAction::Keys { markdown } => {
            print!("{}", keys_reference(markdown));
            return Ok(());
        }
        ConfigAction::Example => {
            print!("{}", crate::config::example_toml());
            return Ok(());
        }
    };
    let loaded = load_config(cli, Vec::new())?;
    let file = loaded.file.as_ref().map(|p| p.display().to_string());
    if json {
        let keys: Vec<_> = loaded
            .report
            .iter()
            .map(|e| json!({ "key": e.key, "value": e.value, "origin": e.origin.to_string() }))
            .collect();
        println!(
            "{}",
            json!({ "valid": true, "file": file, "warnings": loaded.warnings, "keys": keys })
        );
        return Ok(());
    }
    println!("configuration is valid");
    println!("config file: {}", file.as_deref().unwrap_or("(none)"));
    for w in &loaded.warnings {
        println!("warning: {w}");
    }
    let key_w = loaded.report.iter().map(|e| e.key.len()).max().unwrap_or(0);
    let val_w = loaded
        .report
        .iter()
        .map(|e| e.value.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    for e in &loaded.report {
        println!("{:<key_w$}  {:<val_w$}  # {}", e.key, e.value, e.origin);
    }
    Ok(())
}

/// The key reference, as a Markdown table or plain text.
pub fn keys_reference(markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out.push_str("| key | default | environment | meaning |\n|---|---|---|---|\n");
    }
    for k in KEYS {
        let default = match k.default {
            Some(d) if !d.is_empty() => d,
            _ => "(unset)",
        };
        let env = k.env_names().join(", ");
        if markdown {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} |\n",
                k.path,
                default,
                env.split(", ")
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(" "),
                k.doc.replace('|', "\\|")
            ));
        } else {
            out.push_str(&format!(
                "{}\n    default: {default}\n    env: {env}\n    {}\n",
                k.path, k.doc
            ));
        }
    }
    out
}
