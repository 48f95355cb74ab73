//! Release builds link the functions listed in `packaging/link-order.txt` first in `.text`
//! (lld's `--symbol-ordering-file`; the toolchain links with rust-lld on x86_64 Linux): the
//! code a running server uses then shares a few MiB of pages instead of being spread over
//! all 20 MiB, which the kernel's fault-around would map (RSS). `scripts/link-order.sh`
//! regenerates the list; names it has that a build lacks are skipped, silently.
//! `LLMO_LINK_ORDER=off` links without it (for comparisons), or names another file.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LLMO_LINK_ORDER");
    let order = match std::env::var("LLMO_LINK_ORDER") {
        Ok(v) if v == "off" => return,
        Ok(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("packaging/link-order.txt"),
    };
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    // The one target whose default linker is lld (GNU ld has no such option).
    let lld = std::env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu");
    if !(release && lld) {
        return; // nor watch the list: a new one must not rebuild builds that do not use it
    }
    println!("cargo:rerun-if-changed={}", order.display());
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bin=llm-orchestrator=-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
            order.display()
        );
    }
}
