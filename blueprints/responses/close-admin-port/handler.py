"""Closes security-group rules that open an admin port to the whole internet, and tells the SOC.

The response phase of the Wazuh write-up (seed 001): EventBridge invokes this function with a
CloudTrail "AWS API Call via CloudTrail" event for AuthorizeSecurityGroupIngress or
ModifySecurityGroupRules. The function does not trust the event's copy of the rule: it reads
the group's rules as they are now and revokes every ingress rule that lets any address
(a /0 block, IPv4 or IPv6) reach an admin port, so running it twice changes nothing more.

Environment:
  ADMIN_PORTS  comma-separated TCP ports (default "22,3389")
  TOPIC_ARN    SNS topic told what was closed, by whom and from where (optional)
"""

import ipaddress
import json
import os

import boto3


def admin_ports():
    return {int(p) for p in os.environ.get("ADMIN_PORTS", "22,3389").split(",") if p.strip()}


def is_world(cidr):
    """Whether a CIDR block is the whole address space (0.0.0.0/0, ::/0, or any x/0)."""
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except (TypeError, ValueError):
        return False


def opens_admin_port(rule, ports):
    """Whether an ingress rule (DescribeSecurityGroupRules' shape) lets anyone reach a port."""
    if rule.get("IsEgress"):
        return False
    if not (is_world(rule.get("CidrIpv4")) or is_world(rule.get("CidrIpv6"))):
        return False
    protocol = str(rule.get("IpProtocol"))
    if protocol == "-1":
        return True
    if protocol not in ("tcp", "6"):
        return False
    low, high = rule.get("FromPort", -1), rule.get("ToPort", -1)
    return any(low <= p <= high for p in ports)


def group_ids(detail):
    """The security groups an AuthorizeSecurityGroupIngress or ModifySecurityGroupRules call touched."""
    params = detail.get("requestParameters") or {}
    ids = set()
    if params.get("groupId"):
        ids.add(params["groupId"])
    modify = params.get("ModifySecurityGroupRulesRequest") or {}
    if modify.get("GroupId"):
        ids.add(modify["GroupId"])
    items = ((detail.get("responseElements") or {}).get("securityGroupRuleSet") or {}).get("items") or []
    ids.update(i["groupId"] for i in items if i.get("groupId"))
    return sorted(ids)


def lambda_handler(event, context, ec2=None, sns=None):
    ec2 = ec2 or boto3.client("ec2")
    detail = event.get("detail") or {}
    ports = admin_ports()
    closed = []
    for group in group_ids(detail):
        try:
            rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
                "SecurityGroupRules"
            ]
        except ec2.exceptions.ClientError as e:
            # A group deleted since the call leaves nothing to close.
            if "NotFound" in e.response.get("Error", {}).get("Code", ""):
                continue
            raise
        bad = [r for r in rules if opens_admin_port(r, ports)]
        if not bad:
            continue
        ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in bad])
        for r in bad:
            closed.append(
                {
                    "group": group,
                    "rule": r["SecurityGroupRuleId"],
                    "protocol": r.get("IpProtocol"),
                    "ports": [r.get("FromPort"), r.get("ToPort")],
                    "from": r.get("CidrIpv4") or r.get("CidrIpv6"),
                }
            )
    identity = detail.get("userIdentity") or {}
    report = {
        "closed": closed,
        "who": identity.get("arn") or identity.get("type"),
        "from": detail.get("sourceIPAddress"),
        "call": detail.get("eventName"),
        "when": detail.get("eventTime"),
        "event": detail.get("eventID"),
    }
    topic = os.environ.get("TOPIC_ARN")
    if closed and topic:
        sns = sns or boto3.client("sns")
        groups = ", ".join(sorted({c["group"] for c in closed}))
        sns.publish(
            TopicArn=topic,
            Subject=f"socform response: closed an admin port open to the internet on {groups}"[:100],
            Message=json.dumps(report, indent=2),
        )
    print(json.dumps(report))
    return report
