#!/usr/bin/env bash
# A class on moto (BENCHMARKS.md, "A class of ten labs"): an organization of twenty member
# accounts; ten labs of BLUEPRINT applied and destroyed one account at a time, then ten more,
# in ten other accounts, all at once (a recycled account still holds the last lab's secrets,
# pending deletion, so each round has accounts of its own).
#
# usage: scripts/bench-class.sh BLUEPRINT   (after scripts/test.sh or scripts/demo.sh built socform)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
blueprint="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
socform="${CARGO_TARGET_DIR:-$HOME/.cache/socform-target}/debug/socform"
work="$(mktemp -d)"
cd "$work"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" > moto.log 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1 && break
    sleep 0.2
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export SOCFORM_DEPENDENCY_WAIT_SECONDS=10
# As the demo: moto has no Security Hub standards and no saved queries.
export SOCFORM_VAR_securityhub_standards='' SOCFORM_VAR_investigation_queries=false
ids=$("$root/.venv/bin/python" "$root/tests/support/aws_tool.py" "$AWS_ENDPOINT_URL" us-east-1 create-org 20)
python3 - "$ids" <<'PY'
import json, sys
ids = json.loads(sys.argv[1])
for k, name in enumerate(["pool1.yaml", "pool10.yaml"]):
    with open(name, "w") as f:
        f.write("accounts:\n" + "".join(f'  - {{ id: "{a}", name: student-{i:02} }}\n' for i, a in enumerate(ids[k * 10:k * 10 + 10])))
PY
for p in 1 10; do
    for command in apply destroy; do
        start=$(date +%s.%N)
        "$socform" "$command" "$blueprint" --accounts "pool$p.yaml" --auto-approve --parallel-accounts "$p" -q
        end=$(date +%s.%N)
        echo "$command, --parallel-accounts $p: $(echo "$end - $start" | bc) s"
    done
done
