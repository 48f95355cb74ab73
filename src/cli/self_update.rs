//! `self-update [--check] [--yes] [--json] [--install-path PATH]`: replace this binary with the
//! newest release from a Gitea/Forgejo-style release server (`update.url`, `update.repo`).
//!
//! A release carries one tarball per target (its name contains the target triple, e.g.
//! `llm-orchestrator-0.2.0-x86_64-unknown-linux-gnu.tar.gz`, holding `llm-orchestrator` at the
//! top level) and a `SHA256SUMS` asset listing it. The download is checked against that sum
//! before anything is extracted; a release without the sums file, without an entry for the
//! tarball, or with a wrong sum is refused and the installed binary stays as it was. The new
//! binary is put in place by rename, so the path holds the old or the new file, never half.
//!
//! Exit codes: 0 done / up to date; 1 `--check` found a newer release; 2 anything else
//! (no `update.url`, server unreachable, no asset for this target, checksum refused, declined).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use ::self_update::backends::gitea;
use ::self_update::errors::Error as UpdateError;
use ::self_update::update::Release;
use clap::Args;
use serde_json::json;

use super::{init_logging, load_config, Cli};
use crate::config::UpdateConfig;
use crate::error::AppError;
use crate::telemetry::LogTarget;

/// The binary's name inside the release tarball.
const BIN_NAME: &str = "llm-orchestrator";
/// The release asset holding `sha256  file` lines for the release's tarballs.
const SUMS_ASSET: &str = "SHA256SUMS";
const CURRENT: &str = env!("CARGO_PKG_VERSION");
/// Per request; a release tarball is tens of MB, so this is generous rather than tight.
const HTTP_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Args)]
pub struct SelfUpdateArgs {
    /// Only compare the running version with the newest release (exit 1 if an update exists)
    #[arg(long)]
    pub check: bool,
    /// Replace the binary without asking (required when stdin is not a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    /// Replace this file instead of the running binary
    #[arg(long, value_name = "PATH")]
    pub install_path: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &SelfUpdateArgs) -> Result<(), AppError> {
    let loaded = load_config(cli, Vec::new())?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config.update;
    let Some(url) = config.url.clone() else {
        return Err(AppError::Runtime(
            "update.url is not set: self-update needs the release server's base URL, e.g. \
             update.url = \"https://git.example.com\" in the config file or LLMO_UPDATE__URL"
                .into(),
        ));
    };
    let install_path = match &args.install_path {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .map_err(|e| AppError::io("cannot tell where the running binary is", e))?,
    };
    let target = ::self_update::get_target();
    let updater = updater(&url, &config, target, &install_path)?;

    let latest = updater
        .get_latest_release()
        .map_err(|e| fail(&url, &config, e))?
        .latest()
        .cloned()
        .ok_or_else(|| AppError::Runtime(format!("{}: no releases", repo_url(&url, &config))))?;
    let newer = ::self_update::version::bump_is_greater(CURRENT, latest.version())
        .map_err(|e| AppError::Runtime(format!("cannot compare versions: {e}")))?;
    // An update with nothing to install for this machine is an error, not "up to date": the
    // operator should hear that the release is incomplete.
    let asset = if newer {
        Some(asset_name(&latest, target)?)
    } else {
        None
    };
    let report = |updated: bool| {
        json!({
            "current": CURRENT,
            "latest": latest.version(),
            "update_available": newer && !updated,
            "updated": updated,
            "asset": asset,
            "install_path": install_path,
        })
    };

    if !newer {
        if args.json {
            println!("{}", report(false));
        } else {
            println!(
                "up to date: running {CURRENT}, newest release {}",
                latest.version()
            );
        }
        return Ok(());
    }
    if args.check {
        if args.json {
            println!("{}", report(false));
        } else {
            println!(
                "update available: running {CURRENT}, newest release {}",
                latest.version()
            );
        }
        return Err(AppError::CheckFailed(format!(
            "{} is newer than {CURRENT}; run `llm-orchestrator self-update` to install it",
            latest.version()
        )));
    }

    if !args.yes && !confirm(&install_path, latest.version())? {
        return Err(AppError::Runtime("not updated: declined".into()));
    }
    // The crate fetches the listing again and installs the newest release; between the check
    // above and this call that can only have moved forward, and whatever is installed is
    // checked against its own SHA256SUMS either way.
    let status = updater
        .update_extended()
        .map_err(|e| fail(&url, &config, e))?;
    let installed = status
        .updated_release()
        .map(|r| r.version().to_string())
        .unwrap_or_else(|| latest.version().to_string());
    if args.json {
        let mut out = report(true);
        out["installed"] = json!(installed);
        println!("{out}");
    } else {
        println!(
            "updated {} from {CURRENT} to {installed} (sha256 verified)",
            install_path.display()
        );
    }
    Ok(())
}

fn updater(
    url: &str,
    config: &UpdateConfig,
    target: &str,
    install_path: &std::path::Path,
) -> Result<gitea::Update, AppError> {
    let mut b = gitea::Update::configure();
    b.host(url)
        .repo_owner(&config.owner)
        .repo_name(&config.repo)
        .bin_name(BIN_NAME)
        .target(target)
        .current_version(CURRENT)
        .bin_install_path(install_path)
        .checksum_from_asset(SUMS_ASSET)
        // We print our own report and ask our own question (which refuses without a TTY
        // instead of reading EOF from a closed stdin).
        .show_output(false)
        .show_download_progress(false)
        .no_confirm(true)
        .timeout(HTTP_TIMEOUT);
    if let Some(token) = &config.token {
        b.auth_token(token.expose());
    }
    b.build()
        .map_err(|e| AppError::Runtime(format!("cannot set up the updater: {e}")))
}

/// The tarball for `target` in `release`, checked the same way the crate will pick it.
fn asset_name(release: &Release, target: &str) -> Result<String, AppError> {
    release
        .asset_for(target, None)
        .map(|a| a.name().to_string())
        .ok_or_else(|| {
            AppError::Runtime(format!(
                "release {} has no asset for {target} (assets: {})",
                release.version(),
                release
                    .assets()
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Asks on the terminal; without one, refuses rather than waiting on input that never comes.
fn confirm(install_path: &std::path::Path, version: &str) -> Result<bool, AppError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(AppError::Runtime(
            "stdin is not a terminal, so self-update cannot ask before replacing the binary; \
             pass --yes"
                .into(),
        ));
    }
    eprint!(
        "Replace {} ({CURRENT}) with {version}? [y/N] ",
        install_path.display()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| AppError::io("cannot read the answer", e))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn repo_url(url: &str, config: &UpdateConfig) -> String {
    format!("{url} ({}/{})", config.owner, config.repo)
}

/// One line naming what failed; for a refused download it also says nothing was replaced,
/// because that is the first thing an operator wants to know.
fn fail(url: &str, config: &UpdateConfig, e: UpdateError) -> AppError {
    let untouched = "the installed binary was not changed";
    let msg = match &e {
        UpdateError::ChecksumMismatch { .. } => {
            format!("refused: the download does not match SHA256SUMS ({e}); {untouched}")
        }
        UpdateError::ChecksumSourceInvalid { .. } => {
            format!("refused: no usable SHA-256 checksum in the release ({e}); {untouched}")
        }
        _ => format!("self-update via {}: {e}", repo_url(url, config)),
    };
    AppError::Runtime(msg)
}
