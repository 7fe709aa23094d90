#!/usr/bin/env bash
# The scanner auditors run, against a lab built from blueprints/soc-reference.yaml on moto:
# prowler's CloudWatch metric-filter checks (CIS 4.1-4.15; Security Hub CloudWatch.1-14 check
# the same filters). Installs prowler into .venv-prowler (once), starts moto on a free port,
# applies, runs the checks, destroys, and exits 1 when any check fails.
#
# usage: scripts/prowler.sh        (needs python3 and network access to PyPI the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
PROWLER_VERSION=5.46.0
# shellcheck source=scripts/tools.sh
. scripts/tools.sh
ensure_tools
if [ ! -x .venv-prowler/bin/prowler ]; then
    python3 -m venv .venv-prowler
    .venv-prowler/bin/pip install -q "prowler==$PROWLER_VERSION"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/socform-target}"
cargo build -q
bin="$CARGO_TARGET_DIR/debug/socform"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$SOCFORM_MOTO_SERVER" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/moto-api/" >/dev/null && break; sleep 0.2; done

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
"$bin" apply blueprints/soc-reference.yaml --state "$work/state.json" --auto-approve -q

checks=(
    cloudwatch_log_metric_filter_unauthorized_api_calls
    cloudwatch_log_metric_filter_sign_in_without_mfa
    cloudwatch_log_metric_filter_root_usage
    cloudwatch_log_metric_filter_policy_changes
    cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled
    cloudwatch_log_metric_filter_authentication_failures
    cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk
    cloudwatch_log_metric_filter_for_s3_bucket_policy_changes
    cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled
    cloudwatch_log_metric_filter_security_group_changes
    cloudwatch_changes_to_network_acls_alarm_configured
    cloudwatch_changes_to_network_gateways_alarm_configured
    cloudwatch_changes_to_network_route_tables_alarm_configured
    cloudwatch_changes_to_vpcs_alarm_configured
    cloudwatch_log_metric_filter_aws_organizations_changes
)
status=0
.venv-prowler/bin/prowler aws --checks "${checks[@]}" -f us-east-1 --output-formats json-ocsf \
    -o "$work/out" --no-banner >"$work/prowler.log" 2>&1 || true
python3 - "$work"/out/*.ocsf.json <<'PY' || status=1
import json, sys
findings = json.load(open(sys.argv[1]))
for f in findings:
    print(f"{f['status_code']:5} {f['metadata']['event_code']}")
failed = [f for f in findings if f["status_code"] != "PASS"]
print(f"\nprowler: {len(findings) - len(failed)}/{len(findings)} passed")
sys.exit(1 if failed or len(findings) < 15 else 0)
PY
"$bin" destroy blueprints/soc-reference.yaml --state "$work/state.json" --auto-approve -q >/dev/null
exit $status
