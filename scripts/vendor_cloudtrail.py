#!/usr/bin/env python3
"""Vendors real CloudTrail events published by others into tests/fixtures/cloudtrail/, for the
catalog's fixture tests (src/detect/catalog.rs, tests/it/catalog_events.rs).

usage: scripts/vendor_cloudtrail.py PANTHER_CHECKOUT STRATUS_CHECKOUT

Sources (both Apache-2.0; see tests/fixtures/cloudtrail/ATTRIBUTION.md):
- panther-labs/panther-analysis: the `Log` of every test case of the rules listed in PANTHER;
- DataDog/stratus-red-team: the detonation log of every AWS technique (docs/detonation-logs/aws.*.json).
Each output file is a JSON list of {"source", "case", "event"}. Run again to refresh; the
result is deterministic.
"""
import json
import pathlib
import sys

import yaml

PANTHER = [
    "aws_cloudtrail_stopped", "aws_cloudtrail_event_selectors_disabled", "aws_cloudtrail_attempt_to_leave_org",
    "aws_console_login_without_mfa", "aws_console_root_login", "aws_console_root_login_failed", "aws_root_activity",
    "aws_unauthorized_api_call", "aws_iam_policy_modified", "aws_kms_cmk_loss", "aws_config_service_disabled_deleted",
    "aws_ec2_security_group_modified", "aws_ec2_network_acl_modified", "aws_ec2_gateway_modified",
    "aws_ec2_route_table_modified", "aws_ec2_vpc_modified", "aws_s3_bucket_policy_modified",
    "aws_s3_delete_public_access_block", "aws_secretsmanager_retrieve_secrets",
    "aws_secretsmanager_retrieve_secrets_batch", "aws_cloudtrail_password_spraying",
    "aws_cloudtrail_unsuccessful_mfa_attempt",
]
# Every AWS technique's detonation log: the Stratus pack (src/detect/stratus.rs) is judged on all.
STRATUS_GLOB = "aws.*.json"


def main(panther, stratus):
    out = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/cloudtrail"
    out.mkdir(parents=True, exist_ok=True)
    cases = []
    for rule in PANTHER:
        doc = yaml.safe_load((pathlib.Path(panther) / "rules/aws_cloudtrail_rules" / f"{rule}.yml").read_text())
        for t in doc.get("Tests", []):
            log = t.get("Log")
            if isinstance(log, dict) and "eventName" in log:
                cases.append({"source": f"panther-analysis/{rule}.yml", "case": t["Name"], "event": log})
    (out / "panther.json").write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n")
    cases = []
    for path in sorted((pathlib.Path(stratus) / "docs/detonation-logs").glob(STRATUS_GLOB)):
        name = path.stem
        events = json.loads(path.read_text())
        for i, e in enumerate(events):
            cases.append({"source": f"stratus-red-team/{name}.json", "case": f"event {i}", "event": e})
    (out / "stratus.json").write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
