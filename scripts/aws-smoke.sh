#!/usr/bin/env bash
# A smoke test in a real AWS account, for a person who has one: `scripts/aws-smoke.sh`.
#
# Never run by CI. It prints the region, what the lab costs and the preflight (which names the
# caller whose permissions it checked), asks before anything is made, applies a small lab (blueprints/cloudtrail-alarms.yaml: a trail, its
# bucket and log group, four detections and their alarms, a topic) as its own `--lab` with a
# one-hour expiry (so `socform reap --expired` removes it if this script is killed), runs the
# live drill until each alarm fires, destroys the lab, checks that nothing of it remains, and
# writes everything it printed to a transcript. The lab is destroyed on every exit, failures
# and Ctrl-C included.
#
# usage: scripts/aws-smoke.sh [--yes] [--blueprint FILE] [--region REGION] [--transcript FILE]
#   --yes          do not ask (for a person who has read this far)
#   credentials and region come as for the AWS CLI (AWS_PROFILE, AWS_REGION, ...).
#   SOCFORM        the socform binary (default: built here, release profile)
#   SOCFORM_SMOKE_DRILL  extra arguments for `socform drill` (the tests against moto, where no
#                  alarm can fire, pass --wiring-only)
set -euo pipefail
cd "$(dirname "$0")/.."

yes=false
blueprint=blueprints/cloudtrail-alarms.yaml
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
transcript="aws-smoke-$(date -u +%Y%m%dT%H%M%SZ).log"
while [ $# -gt 0 ]; do
    case "$1" in
        --yes) yes=true ;;
        --blueprint) blueprint="$2"; shift ;;
        --region) region="$2"; shift ;;
        --transcript) transcript="$2"; shift ;;
        *) echo "usage: scripts/aws-smoke.sh [--yes] [--blueprint FILE] [--region REGION] [--transcript FILE]" >&2; exit 2 ;;
    esac
    shift
done

if [ -z "${SOCFORM:-}" ]; then
    cargo build --quiet --locked --release
    SOCFORM="${CARGO_TARGET_DIR:-target}/release/socform"
fi
lab="smoke-$(date -u +%H%M%S)"
state="$(mktemp -d)/state.json"
drill_args=()
if [ -n "${SOCFORM_SMOKE_DRILL:-}" ]; then
    read -r -a drill_args <<< "$SOCFORM_SMOKE_DRILL"
fi
run() { "$SOCFORM" "$@" --region "$region" --state "$state" --lab "$lab"; }

# Everything below goes to the terminal and to the transcript.
exec > >(tee -a "$transcript") 2>&1
echo "socform aws smoke test, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "blueprint: $blueprint   lab: $lab   region: $region   transcript: $transcript"

echo "== what it costs"
"$SOCFORM" cost "$blueprint" --region "$region"

echo "== preflight (the account, the quotas, the permissions)"
run preflight "$blueprint"

if ! $yes; then
    read -r -p "Apply lab $lab of $blueprint in $region, with the credentials above? [y/N] " answer
    case "$answer" in
        y | Y | yes) ;;
        *) echo "nothing was made"; exit 0 ;;
    esac
fi

destroyed=false
destroy() {
    if ! $destroyed; then
        destroyed=true
        echo "== destroy"
        run destroy "$blueprint" --auto-approve
    fi
}
trap destroy EXIT

echo "== apply (expires in one hour)"
run apply "$blueprint" --auto-approve --expires-in 1h

echo "== plan again: nothing to do"
run plan "$blueprint" --detailed-exitcode

echo "== drill: each detection until its alarm fires"
run drill "$blueprint" --timeout 15m "${drill_args[@]}"

destroy
trap - EXIT

echo "== nothing of the lab remains"
if "$SOCFORM" ls --region "$region" --format json | grep -q -- "$lab"; then
    echo "FAIL: socform ls still lists lab $lab"
    exit 1
fi
echo "PASS: applied, drilled and destroyed; nothing of lab $lab remains"
