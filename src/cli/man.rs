//! `man`: manual pages generated from the clap definitions.
//!
//! Without `--dir` it prints the main page (`llm-orchestrator.1`) to stdout; with `--dir` it
//! writes one page per command and subcommand (`llm-orchestrator-migrate-run.1`, ...). The
//! pages are committed under `man/` (the .deb installs them) and a test fails when they drift.

use std::path::PathBuf;

use clap::Args;

use super::completions::doc_command;
use super::Cli;
use crate::error::AppError;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page into DIR instead of printing the main page
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Every page as (file name, roff text), the main page first.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>, AppError> {
    fn walk(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut buf = Vec::new();
        man.render(&mut buf)?;
        out.push((man.get_filename(), buf));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub.clone(), out)?;
        }
        Ok(())
    }
    // Built once so subcommands carry their full `llm-orchestrator-migrate-run` names, as
    // clap_mangen's own generate_to does; `help` is not a page.
    let mut cmd = doc_command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(cmd, &mut out).map_err(|e| AppError::io("cannot render the man pages", e))?;
    Ok(out)
}

pub fn run(_cli: &Cli, args: &ManArgs) -> Result<(), AppError> {
    let pages = pages()?;
    let Some(dir) = &args.dir else {
        use std::io::Write;
        std::io::stdout()
            .write_all(&pages[0].1)
            .map_err(|e| AppError::io("cannot write to stdout", e))?;
        return Ok(());
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::io(format!("cannot create {}", dir.display()), e))?;
    for (name, text) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| AppError::io(format!("cannot write {}", path.display()), e))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
