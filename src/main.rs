//! The `llm-orchestrator` binary: parse the command line, run it, map the result to an exit
//! code (0 ok, 1 check said no, 2 error). Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use llm_orchestrator::cli::{self, Cli};

/// mimalloc instead of glibc malloc: measurably less CPU per request and lower RSS under
/// load with many threads (README › Benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // One TLS crypto provider for every client in the process (ureq, later reqwest).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    if !matches!(cli.command, cli::Command::Serve(_)) {
        // CLI tools write to stdout; `llm-orchestrator config check | head` must end quietly
        // like any Unix tool instead of panicking on a closed pipe. Not for `serve`, where
        // writes to closed sockets must stay errors, not signals.
        // SAFETY: called before any thread is started; SIG_DFL is always a valid disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
