//! `completions SHELL`: shell completion scripts generated from the clap definitions.
//!
//! The scripts are committed under `completions/` (the .deb installs them) and a test fails
//! when they drift from this output, so adding a flag means regenerating them
//! (`scripts/gen-files.sh`). Nothing here reads the configuration.

use std::path::PathBuf;

use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::{Generator, Shell};

use super::Cli;
use crate::error::AppError;

pub const BIN_NAME: &str = "llm-orchestrator";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for (all four with --dir and no shell)
    #[arg(value_enum, required_unless_present = "dir")]
    pub shell: Option<ShellArg>,
    /// Write `<dir>/<shell's file name>` instead of printing to stdout
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The shells we ship completions for (clap_complete also knows elvish; we do not package it).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl ShellArg {
    const ALL: [ShellArg; 4] = [
        ShellArg::Bash,
        ShellArg::Zsh,
        ShellArg::Fish,
        ShellArg::Powershell,
    ];

    fn shell(self) -> Shell {
        match self {
            ShellArg::Bash => Shell::Bash,
            ShellArg::Zsh => Shell::Zsh,
            ShellArg::Fish => Shell::Fish,
            ShellArg::Powershell => Shell::PowerShell,
        }
    }

    /// The conventional file name: `llm-orchestrator.bash`, `_llm-orchestrator`, ...
    pub fn file_name(self) -> String {
        self.shell().file_name(BIN_NAME)
    }
}

/// The clap command as documentation generators should see it: environment values hidden, so
/// the output does not depend on the shell it was generated from.
pub fn doc_command() -> clap::Command {
    fn scrub(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|a| a.hide_env_values(true))
            .mut_subcommands(scrub)
    }
    scrub(Cli::command())
}

/// The completion script for `shell`.
pub fn script(shell: ShellArg) -> Vec<u8> {
    let mut cmd = doc_command();
    let mut out = Vec::new();
    clap_complete::generate(shell.shell(), &mut cmd, BIN_NAME, &mut out);
    out
}

pub fn run(_cli: &Cli, args: &CompletionsArgs) -> Result<(), AppError> {
    let Some(dir) = &args.dir else {
        let shell = args.shell.expect("clap requires a shell without --dir");
        use std::io::Write;
        std::io::stdout()
            .write_all(&script(shell))
            .map_err(|e| AppError::io("cannot write to stdout", e))?;
        return Ok(());
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::io(format!("cannot create {}", dir.display()), e))?;
    let shells = match args.shell {
        Some(s) => vec![s],
        None => ShellArg::ALL.to_vec(),
    };
    for shell in shells {
        let path = dir.join(shell.file_name());
        std::fs::write(&path, script(shell))
            .map_err(|e| AppError::io(format!("cannot write {}", path.display()), e))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
