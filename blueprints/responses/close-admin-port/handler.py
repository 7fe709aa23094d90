"""Closes security-group rules that open an admin port to the internet, and tells the SOC.

The response phase of the Wazuh write-up (seed 001): EventBridge invokes this function with a
CloudTrail "AWS API Call via CloudTrail" event for AuthorizeSecurityGroupIngress or
ModifySecurityGroupRules. The function does not trust the event's copy of the rule: it reads
the group's rules as they are now, so running it twice changes nothing more.

"Open to the internet" is socform's one meaning (src/model/exposure.rs, used by lint SOC001
and the review): the rules of a group that let an admin service in (TCP 22 and 3389, UDP
3389, all traffic), taken together with managed prefix lists resolved, reach at least a /8's
worth of public IPv4 addresses or a /16's worth of global IPv6 ones. Private and reserved
ranges count for nothing. So the world written as two /1 halves, four /2 blocks,
`::/1` + `8000::/1`, `2000::/3` or a prefix list holding 0.0.0.0/0 is the internet. When it
is, every one of those rules that reaches more than a /24 of public IPv4 (a /48 of IPv6) is
revoked; an admin's single address or an office's /24 beside them stays.

EventBridge sees only the calls of its own region: this function guards the region it is
deployed in, while a multi-region trail records every region (socform lint SOC024 says so).

Environment:
  ADMIN_PORTS      comma-separated TCP ports (default "22,3389")
  ADMIN_UDP_PORTS  comma-separated UDP ports (default "3389": RDP over UDP)
  TOPIC_ARN        SNS topic told what was closed, by whom and from where (optional)
"""

import ipaddress
import json
import os

import boto3

# Addresses that are not the public internet (RFC 6890 and friends): IPv4 this network,
# private, shared, loopback, link-local, IETF, documentation, benchmarking, multicast and
# reserved; IPv6 reserved (loopback, IPv4-mapped), unique local, link-local, multicast,
# documentation. The same list as src/model/exposure.rs.
NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",
        "::/8",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
        "2001:db8::/32",
    )
]
WIDE_V4 = 1 << 24  # a /8 of public IPv4
WIDE_V6 = 1 << 112  # a /16 of public IPv6
NARROW_V4 = 1 << 8  # a /24: an office, kept
NARROW_V6 = 1 << 80  # a /48, kept


def ports(name, default):
    return {int(p) for p in os.environ.get(name, default).split(",") if p.strip()}


def admin_services():
    """(protocol, port) pairs that must not be open to the internet."""
    return sorted({("tcp", p) for p in ports("ADMIN_PORTS", "22,3389")} | {("udp", p) for p in ports("ADMIN_UDP_PORTS", "3389")})


def public_addresses(cidrs):
    """How many public IPv4 and IPv6 addresses a set of CIDR blocks reaches, together."""
    nets = {4: [], 6: []}
    for c in cidrs:
        try:
            n = ipaddress.ip_network(c, strict=False)
        except (TypeError, ValueError):
            continue
        nets[n.version].append(n)
    totals = {4: 0, 6: 0}
    for version, found in nets.items():
        for n in ipaddress.collapse_addresses(found):
            here = n.num_addresses
            for x in (x for x in NOT_PUBLIC if x.version == version):
                if x.subnet_of(n):
                    here -= x.num_addresses
                elif n.subnet_of(x):
                    here = 0
            totals[version] += here
    return totals[4], totals[6]


def is_internet(cidrs):
    v4, v6 = public_addresses(cidrs)
    return v4 >= WIDE_V4 or v6 >= WIDE_V6


def is_world(cidr):
    """Whether one CIDR block is the internet by itself."""
    return is_internet([cidr])


def covers(rule, protocol, port):
    """Whether a rule (DescribeSecurityGroupRules' shape) lets protocol/port through."""
    p = str(rule.get("IpProtocol"))
    if p not in ("-1", protocol, {"tcp": "6", "udp": "17"}[protocol]):
        return False
    low, high = rule.get("FromPort", -1), rule.get("ToPort", -1)
    return p == "-1" or low == -1 or low <= port <= high


def prefix_list_cidrs(ec2, prefix_list_id):
    cidrs = []
    token = None
    while True:
        kw = {"PrefixListId": prefix_list_id}
        if token:
            kw["NextToken"] = token
        page = ec2.get_managed_prefix_list_entries(**kw)
        cidrs += [e["Cidr"] for e in page.get("Entries", [])]
        token = page.get("NextToken")
        if not token:
            return cidrs


def blocks(rule, ec2):
    """The CIDR blocks a rule lets in, a managed prefix list resolved to its entries."""
    if rule.get("CidrIpv4") or rule.get("CidrIpv6"):
        return [rule.get("CidrIpv4") or rule.get("CidrIpv6")]
    if rule.get("PrefixListId"):
        return prefix_list_cidrs(ec2, rule["PrefixListId"])
    return []


def to_close(rules, ec2, services=None):
    """The ingress rules of one group to revoke: for each admin service the group's rules open
    to the internet together, every one of them wider than a /24 (/48) of public addresses."""
    services = services or admin_services()
    ingress = [r for r in rules if not r.get("IsEgress")]
    reach = {r["SecurityGroupRuleId"]: blocks(r, ec2) for r in ingress}
    bad = {}
    for protocol, port in services:
        through = [r for r in ingress if covers(r, protocol, port)]
        if not is_internet(b for r in through for b in reach[r["SecurityGroupRuleId"]]):
            continue
        for r in through:
            v4, v6 = public_addresses(reach[r["SecurityGroupRuleId"]])
            if v4 > NARROW_V4 or v6 > NARROW_V6:
                bad[r["SecurityGroupRuleId"]] = r
    return [bad[k] for k in sorted(bad)]


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
        bad = to_close(rules, ec2)
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
                    "from": r.get("CidrIpv4") or r.get("CidrIpv6") or r.get("PrefixListId"),
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
