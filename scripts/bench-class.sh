#!/usr/bin/env bash
# A class on moto (BENCHMARKS.md, "A class of ten labs"): an organization of twenty member
# accounts; ten labs of BLUEPRINT applied and destroyed one account at a time, then ten more,
# in ten other accounts, all at once (a recycled account still holds the last lab's secrets,
# pending deletion, so each round has accounts of its own); the second ten are also listed
# (ls), priced (cost) and reaped by name before their destroy, and boto3 checks every account
# is empty after the reap.
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
timed() {
    local what="$1"; shift
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    echo "$what: $(echo "$end - $start" | bc) s" >&2
}
name=$(python3 -c 'import sys, re; print(re.search(r"^blueprint:\s*(\S+)", open(sys.argv[1]).read(), re.M).group(1))' "$blueprint")
for p in 1 10; do
    timed "apply, --parallel-accounts $p" \
        "$socform" apply "$blueprint" --accounts "pool$p.yaml" --auto-approve --parallel-accounts "$p" -q
    if [ "$p" = 10 ]; then
        # The class listed and priced across the pool (boto3 is not needed: these are JSON
        # documents), then reaped by name: every account checked empty by boto3 after.
        timed "ls, --parallel-accounts 10" \
            "$socform" ls --accounts pool10.yaml --parallel-accounts 10 --format json > ls.json
        timed "cost, --parallel-accounts 10" \
            "$socform" cost "$blueprint" --accounts pool10.yaml --parallel-accounts 10 --format json > cost.json
        python3 - "$name" <<'PY'
import json, sys
ls, cost = json.load(open("ls.json")), json.load(open("cost.json"))
labs = [l for a in ls["accounts"] for l in a["output"]["labs"] if l["blueprint"] == sys.argv[1]]
assert len(labs) == 10, f"ls lists {len(labs)} labs, not 10"
monthly = sum(a["output"]["monthly"] for a in cost["accounts"])
hourly = sum(l["hourly_usd"] for l in labs)
print(f"ls: 10 labs, ${hourly:.4f}/hour as they run (ls's hourly_usd); cost: ${monthly:.2f}/month for the class", file=sys.stderr)
PY
        timed "reap by name, --parallel-accounts 10" \
            "$socform" reap "$name" --yes --empty-buckets --accounts pool10.yaml --parallel-accounts 10 -q
        for a in $(python3 -c 'import json; print(" ".join(a["id"] for a in json.load(open("ls.json"))["accounts"]))'); do
            left=$(SOCFORM_TOOL_ACCOUNT="$a" "$root/.venv/bin/python" "$root/tests/support/aws_tool.py" "$AWS_ENDPOINT_URL" us-east-1 list "$name")
            [ "$(echo "$left" | tr -d '[:space:]')" = "[]" ] || { echo "account $a: $left" >&2; exit 1; }
        done
        echo "reaped: nothing of $name left in any of the ten accounts (boto3)" >&2
    fi
    timed "destroy, --parallel-accounts $p" \
        "$socform" destroy "$blueprint" --accounts "pool$p.yaml" --auto-approve --parallel-accounts "$p" -q
done
