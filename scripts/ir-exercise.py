#!/usr/bin/env python3
"""The incident-response exercise of the Wazuh write-up (seed 001), against a real account.

A high-risk change is simulated, and the script reports whether it was detected and undone,
and how fast: it makes a throw-away security group in the lab's VPC, opens SSH (22) on it to
the whole internet, then watches
  - detected:   the response function's log group gets the function's report naming the
                group (Lambda ships a function's stdout there);
  - remediated: the rule is gone from the group (read with DescribeSecurityGroupRules).
The group is deleted at the end, whatever happened (also after Ctrl-C).

usage: scripts/ir-exercise.py --vpc VPC_ID --function NAME [--region R] [--within 60]
                              [--timeout 300] [--endpoint-url URL]

Prints one JSON report; exit 0 when the change was detected and remediated within --within
seconds, 1 otherwise. Run it after `socform apply blueprints/wazuh-segmented-vpc.yaml`; the
function is `wazuh-segmented-vpc-close-world-open-admin-port`, the VPC `socform output`'s.
"""

import argparse
import json
import sys
import time

import boto3

WORLD = "0.0.0.0/0"


def open_ssh_to_the_world(ec2, vpc, stamp):
    group = ec2.create_security_group(
        GroupName=f"socform-ir-exercise-{stamp}",
        Description="socform incident-response exercise: deleted when the exercise ends",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "socform:exercise", "Value": stamp}]}],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": WORLD}]}]
    )
    return group


def world_open_ssh(ec2, group):
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    return [r for r in rules if not r["IsEgress"] and r.get("CidrIpv4") == WORLD and r.get("FromPort", -1) <= 22 <= r.get("ToPort", -1)]


def remediated(ec2, group):
    return not world_open_ssh(ec2, group)


def detected(logs, function, group, since_ms):
    """Whether the function's log group has a line naming the group since `since_ms`."""
    try:
        out = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", startTime=since_ms, filterPattern=f'"{group}"')
    except logs.exceptions.ResourceNotFoundException:
        return False
    return bool(out.get("events"))


def watch(checks, timeout, clock=time.monotonic, sleep=time.sleep, every=2.0):
    """Polls each check until it holds or `timeout` passes: seconds each took, or None."""
    start = clock()
    took = {name: None for name in checks}
    while clock() - start <= timeout and any(v is None for v in took.values()):
        for name, check in checks.items():
            if took[name] is None and check():
                took[name] = round(clock() - start, 1)
        if any(v is None for v in took.values()):
            sleep(every)
    return took


def run(ec2, logs, vpc, function, within, timeout, clock=time.monotonic, sleep=time.sleep):
    stamp = time.strftime("%Y%m%dT%H%M%S")
    since_ms = int(time.time() * 1000) - 5000
    group = open_ssh_to_the_world(ec2, vpc, stamp)
    try:
        took = watch(
            {"detected": lambda: detected(logs, function, group, since_ms), "remediated": lambda: remediated(ec2, group)},
            timeout,
            clock,
            sleep,
        )
    finally:
        ec2.delete_security_group(GroupId=group)
    ok = all(v is not None and v <= within for v in took.values())
    return {
        "change": f"tcp/22 opened to {WORLD} on {group} (a throw-away group, now deleted)",
        "detected_after_s": took["detected"],
        "remediated_after_s": took["remediated"],
        "within_s": within,
        "verdict": "pass" if ok else "fail",
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vpc", required=True)
    p.add_argument("--function", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--within", type=float, default=60.0)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--endpoint-url")
    a = p.parse_args(argv)
    kw = {"region_name": a.region, **({"endpoint_url": a.endpoint_url} if a.endpoint_url else {})}
    report = run(boto3.client("ec2", **kw), boto3.client("logs", **kw), a.vpc, a.function, a.within, a.timeout)
    print(json.dumps(report, indent=2))
    return 0 if report["verdict"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
