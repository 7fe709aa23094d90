#!/usr/bin/env bash
# The main job, on a fresh machine: `scripts/demo.sh [BLUEPRINT]`.
#
# Starts a local AWS emulator (moto, installed into .venv when missing) on a free port,
# applies the reference SOC (blueprints/soc-reference.yaml, or the blueprint given), shows
# what was built, its detection tests and coverage, plans again to show nothing is left to
# do, then destroys it and proves nothing is left. Nothing touches a real AWS account: the
# endpoint is the local emulator and the credentials are dummies.
set -euo pipefail
cd "$(dirname "$0")/.."
blueprint="${1:-blueprints/soc-reference.yaml}"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/socform-target}"
# shellcheck source=scripts/tools.sh
. scripts/tools.sh
ensure_tools
lock_target

# Bold headings on a terminal only: a demo saved to a file (`scripts/demo.sh > demo.log`)
# gets no escape codes, and NO_COLOR turns them off as it does socform's colours.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
    step() { printf '\n==> %s\n' "$*"; }
fi

step "building socform (the first build compiles the AWS SDK: several minutes)"
cargo build --quiet --locked
socform="$CARGO_TARGET_DIR/debug/socform"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
work="$(mktemp -d)"
step "starting moto on 127.0.0.1:$port"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$SOCFORM_MOTO_SERVER" -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 9>&- &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1 && break
    sleep 0.2
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export SOCFORM_DEPENDENCY_WAIT_SECONDS=10
# moto has no Security Hub standards API and no Logs Insights saved queries: the reference lab
# enables Security Hub with no standard and saves no query (see README, "Compatibility").
export SOCFORM_VAR_securityhub_standards=
export SOCFORM_VAR_investigation_queries=false
unset AWS_PROFILE
state="$work/state.json"

step "validate $blueprint"
"$socform" validate "$blueprint"

step "socform test: every detection against its sample events"
"$socform" test "$blueprint"

step "coverage: CIS monitoring controls and ATT&CK techniques"
"$socform" coverage "$blueprint"

step "apply"
"$socform" apply "$blueprint" --state "$state" --auto-approve -q
echo "applied: $("$socform" state list --state "$state" | wc -l) resources"

step "what was built (state list)"
"$socform" state list --state "$state"

step "plan again: AWS matches the blueprint"
"$socform" plan "$blueprint" --state "$state" --detailed-exitcode -v

if grep -q '^detections:' "$blueprint"; then
    step "drill: each detection's path checked link by link (what moto can answer; see README)"
    "$socform" drill "$blueprint" --state "$state" --wiring-only | tail -n 9
    "$socform" drill "$blueprint" --state "$state" --wiring-only --format json > "$work/drill.json" || true
    drill_arg=(--drill "$work/drill.json")
else
    drill_arg=()
fi

page="${TMPDIR:-/tmp}/socform-demo-$(basename "$blueprint" .yaml).html"
step "the lab's page: its picture, how to reach each host, every detection and its drill verdict"
"$socform" report "$blueprint" --state "$state" --out "$page" "${drill_arg[@]}" --offline
echo "open it in a browser: $page (it needs no network; it stays after the demo)"

step "destroy, and look for anything left"
"$socform" destroy "$blueprint" --state "$state" --auto-approve 2>&1 | tail -2
