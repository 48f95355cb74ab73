#!/usr/bin/env bash
# Regenerates every committed file the binary produces: shell completions, man pages, the
# example config and README's configuration table. Tests in tests/it/generated.rs and
# tests/it/docs.rs fail until this has been run after a CLI or config-key change.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/llm-orchestrator"
# A clean environment: generated text must not depend on the caller's shell.
run() { env -i PATH="$PATH" "$bin" "$@"; }
rm -rf completions man
run completions --dir completions >/dev/null
run man --dir man >/dev/null
run config example > packaging/config.example.toml
python3 - "$bin" <<'PY'
import re, subprocess, sys, os
table = subprocess.run([sys.argv[1], "config", "keys", "--markdown"], check=True,
                       capture_output=True, text=True, env={"PATH": os.environ["PATH"]}).stdout
readme = open("README.md").read()
begin = readme.index("<!-- config-keys:begin")
begin = readme.index("-->\n", begin) + 4
end = readme.index("<!-- config-keys:end -->")
open("README.md", "w").write(readme[:begin] + table + readme[end:])
PY
echo "regenerated completions/, man/, packaging/config.example.toml, README key table"
