#!/usr/bin/env bash
# The whole test suite, from a fresh clone: `scripts/test.sh`.
#
# - Builds into $CARGO_TARGET_DIR (default ~/.cache/socform-target, outside the work tree)
#   so that later runs and CI reuse the compiled AWS SDK.
# - Installs moto (the AWS API emulator the integration tests start on free ports) into
#   .venv when it is missing. Set SOCFORM_MOTO_SERVER to use another moto_server binary.
# - Checks formatting, then runs every test (unit, integration, CLI snapshots).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/socform-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

ensure_moto() {
    if [ -n "${SOCFORM_MOTO_SERVER:-}" ] && [ -x "${SOCFORM_MOTO_SERVER}" ]; then
        return
    fi
    if [ ! -x .venv/bin/moto_server ]; then
        echo "==> installing moto into .venv (first run only)"
        python3 -m venv .venv
        .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]'
    fi
    SOCFORM_MOTO_SERVER="$(pwd)/.venv/bin/moto_server"
    export SOCFORM_MOTO_SERVER
}

ensure_moto
echo "==> moto: $("${SOCFORM_MOTO_SERVER}" --version 2>/dev/null || echo "${SOCFORM_MOTO_SERVER}")"

echo "==> cargo fmt --check"
cargo fmt --check

echo "==> cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --locked "$@" 2>&1 | tee "$log"
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
