#!/usr/bin/env python3
"""An independent look at what exists, for the integration tests: boto3, not socform.

usage: aws_tool.py ENDPOINT REGION COMMAND [ARGS...]
  list BLUEPRINT            JSON list of every resource tagged socform:blueprint=BLUEPRINT
  revoke-ingress GROUP_ID   revoke every ingress rule of a group
  stop-logging TRAIL        stop a trail
  delete-alarm NAME         delete an alarm
  set-retention GROUP DAYS  change a log group's retention
  trail-logging TRAIL       print true or false
  subnet-cidr SUBNET_ID     print the subnet's CIDR
  role-policies ROLE        JSON list of the attached managed policy ARNs
  role-inline ROLE          JSON {name: document} of the role's inline policies
  put-object BUCKET KEY BODY, count-objects BUCKET, create-role NAME
  bucket-tags BUCKET        JSON {key: value} of a bucket's tags ({} when it has none)
  delete-log-group NAME     delete a log group
  create-sg NAME KEY=VALUE...  a security group in the default VPC with those tags
  set-alarm-state NAME STATE REASON, alarm-state NAME (JSON [state, reason]),
  create-log-stream GROUP NAME, ec2-tags ID (JSON tags of an EC2 resource)
  inventory                 JSON sorted list of "TYPE ID" for everything of every kind socform
                            makes, with no filter on tags or names (what a test compares
                            before and after, trusting nothing socform wrote)
  create-topic NAME [EMAIL], create-alarm NAME [TAGKEY=VALUE...], create-log-group NAME,
  create-filter GROUP NAME, create-secret NAME VALUE, secret-value NAME,
  hand-config NAME RULE, delete-hand-config NAME, config-snapshot, vpc-defaults, alarm-metric NAME, filter-pattern GROUP NAME,
  tag-topic NAME KEY=VALUE..., subscriptions TOPIC_NAME
  credentials ACCOUNT       JSON credentials of another account (STS AssumeRole)
  delete-filter GROUP NAME, remove-alarm-actions NAME, unsubscribe-all TOPIC_NAME,
  set-filter-pattern GROUP NAME PATTERN, set-threshold ALARM VALUE, delete-topic NAME,
  log-streams GROUP         JSON sorted list of the group's stream names
  responses                 JSON: event rules and targets, functions and their policies,
                            GuardDuty detectors, Security Hub, dashboards
  test-pattern PATTERN EVENT, role-trust ROLE, create-detector, enable-hub, create-rule NAME,
  put-dashboard NAME
  create-vpc CIDR           a VPC made by hand (prints its id)
  create-subnet VPC CIDR    a subnet made by hand (prints its id)
  central-team              the singletons a central team owns, made as it would: a GuardDuty
                            detector (SIX_HOURS), Security Hub, a Config recorder and delivery
                            channel with their own role and bucket, recording
  org-trail NAME GROUP      a trail a central team made: its bucket, a log group GROUP and a
                            role, the trail delivering to both (what lookups read)
  singletons                JSON of every account-level singleton and its settings (detectors,
                            hub, recorders with status, channels, EBS encryption by default)
"""
import json
import sys

import boto3

endpoint, region, command, *args = sys.argv[1:]


def client(name):
    # SOCFORM_TOOL_ACCOUNT: the calls are made in that member account of the organization,
    # through its OrganizationAccountAccessRole (moto keeps each account's resources apart).
    account = __import__("os").environ.get("SOCFORM_TOOL_ACCOUNT")
    if account:
        c = boto3.client("sts", endpoint_url=endpoint, region_name=region).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="aws-tool")["Credentials"]
        return boto3.client(name, endpoint_url=endpoint, region_name=region, aws_access_key_id=c["AccessKeyId"],
                            aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    return boto3.client(name, endpoint_url=endpoint, region_name=region)


# The tag keys of the last resource `tagged` found to be the blueprint's; `add` records them.
LAST_KEYS = []


def tagged(tags, bp):
    global LAST_KEYS
    ours = any(t.get("Key") == "socform:blueprint" and t.get("Value") == bp for t in tags or [])
    if ours:
        LAST_KEYS = sorted(t["Key"] for t in tags)
    return ours


def add(found, entry):
    global LAST_KEYS
    entry["tag_keys"], LAST_KEYS = LAST_KEYS, []
    found.append(entry)


def address(tags):
    return next((t["Value"] for t in tags or [] if t.get("Key") == "socform:address"), None)


def list_owned(bp):
    global LAST_KEYS
    found = []
    ec2 = client("ec2")
    # Resource by resource: moto's DescribeTags keeps the tags of deleted resources.
    def each(method, key, id_key, kind, **kw):
        for page in ec2.get_paginator(method).paginate(**kw):
            for item in page[key]:
                if tagged(item.get("Tags"), bp):
                    add(found, {"service": "ec2", "type": kind, "id": item[id_key]})
    each("describe_vpcs", "Vpcs", "VpcId", "vpc")
    each("describe_subnets", "Subnets", "SubnetId", "subnet")
    each("describe_internet_gateways", "InternetGateways", "InternetGatewayId", "internet-gateway")
    each("describe_route_tables", "RouteTables", "RouteTableId", "route-table")
    each("describe_network_acls", "NetworkAcls", "NetworkAclId", "network-acl")
    each("describe_security_groups", "SecurityGroups", "GroupId", "security-group")
    each("describe_security_group_rules", "SecurityGroupRules", "SecurityGroupRuleId", "security-group-rule")
    each("describe_flow_logs", "FlowLogs", "FlowLogId", "vpc-flow-log")
    each("describe_volumes", "Volumes", "VolumeId", "volume")
    for page in ec2.get_paginator("describe_instances").paginate():
        for r in page["Reservations"]:
            for i in r["Instances"]:
                if tagged(i.get("Tags"), bp) and i["State"]["Name"] not in ("terminated", "shutting-down"):
                    add(found, {"service": "ec2", "type": "instance", "id": i["InstanceId"]})
    iam = client("iam")
    for r in (r for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]):
        if tagged(iam.list_role_tags(RoleName=r["RoleName"])["Tags"], bp):
            add(found, {"service": "iam", "type": "role", "id": r["RoleName"]})
    for p in iam.list_instance_profiles()["InstanceProfiles"]:
        if tagged(p.get("Tags"), bp) or p["InstanceProfileName"].startswith(bp + "-"):
            add(found, {"service": "iam", "type": "instance-profile", "id": p["InstanceProfileName"]})
    # KMS keys, but for those scheduled for deletion (AWS deletes none at once).
    kms = client("kms")
    for k in kms.list_keys()["Keys"]:
        if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion":
            continue
        tags = [{"Key": t["TagKey"], "Value": t["TagValue"]} for t in kms.list_resource_tags(KeyId=k["KeyId"])["Tags"]]
        if tagged(tags, bp):
            add(found, {"service": "kms", "type": "key", "id": k["KeyId"]})
    s3 = client("s3")
    for b in s3.list_buckets()["Buckets"]:
        try:
            tags = s3.get_bucket_tagging(Bucket=b["Name"])["TagSet"]
        except Exception:
            tags = []
        if tagged(tags, bp):
            add(found, {"service": "s3", "type": "bucket", "id": b["Name"]})
    logs = client("logs")
    for g in (g for page in logs.get_paginator("describe_log_groups").paginate() for g in page["logGroups"]):
        tags = logs.list_tags_for_resource(resourceArn=g["arn"].rstrip(":*").rstrip(":"))["tags"]
        if tags.get("socform:blueprint") == bp:
            LAST_KEYS = sorted(tags)
            add(found, {"service": "logs", "type": "log-group", "id": g["logGroupName"]})
    for f in logs.describe_metric_filters()["metricFilters"]:
        if f["filterName"].startswith(bp + "-"):
            add(found, {"service": "logs", "type": "metric-filter", "id": f["filterName"]})
    cw = client("cloudwatch")
    for a in cw.describe_alarms()["MetricAlarms"]:
        if tagged(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"], bp):
            add(found, {"service": "cloudwatch", "type": "alarm", "id": a["AlarmName"]})
    ct = client("cloudtrail")
    trails = ct.describe_trails()["trailList"]
    if trails:
        for r in ct.list_tags(ResourceIdList=[t["TrailARN"] for t in trails])["ResourceTagList"]:
            if tagged(r.get("TagsList"), bp):
                add(found, {"service": "cloudtrail", "type": "trail", "id": r["ResourceId"]})
    sns = client("sns")
    for t in sns.list_topics()["Topics"]:
        if tagged(sns.list_tags_for_resource(ResourceArn=t["TopicArn"])["Tags"], bp):
            add(found, {"service": "sns", "type": "topic", "id": t["TopicArn"]})
    ssm = client("ssm")
    for p in (p for page in ssm.get_paginator("describe_parameters").paginate() for p in page["Parameters"]):
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p["Name"])["TagList"]
        if tagged(tags, bp):
            add(found, {"service": "ssm", "type": "parameter", "id": p["Name"]})
    sm = client("secretsmanager")
    for s in sm.list_secrets()["SecretList"]:
        if tagged(s.get("Tags"), bp) and not s.get("DeletedDate"):
            add(found, {"service": "secretsmanager", "type": "secret", "id": s["Name"]})
    cfg = client("config")
    for r in cfg.describe_config_rules()["ConfigRules"]:
        if r["ConfigRuleName"].startswith(bp + "-"):
            add(found, {"service": "config", "type": "config-rule", "id": r["ConfigRuleName"]})
    for r in cfg.describe_configuration_recorders()["ConfigurationRecorders"]:
        if r["name"] == bp:
            add(found, {"service": "config", "type": "config-recorder", "id": r["name"]})
    ev = client("events")
    for r in ev.list_rules()["Rules"]:
        if tagged(ev.list_tags_for_resource(ResourceARN=r["Arn"])["Tags"], bp):
            add(found, {"service": "events", "type": "event-rule", "id": r["Name"]})
    lam = client("lambda")
    for f in (f for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]):
        tags = lam.list_tags(Resource=f["FunctionArn"]).get("Tags", {})
        if tags.get("socform:blueprint") == bp:
            add(found, {"service": "lambda", "type": "function", "id": f["FunctionName"]})
            try:
                for st in json.loads(lam.get_policy(FunctionName=f["FunctionName"])["Policy"])["Statement"]:
                    add(found, {"service": "lambda", "type": "lambda-permission", "id": f["FunctionName"] + "/" + st["Sid"]})
            except lam.exceptions.ResourceNotFoundException:
                pass
    gd = client("guardduty")
    for d in gd.list_detectors()["DetectorIds"]:
        if (gd.get_detector(DetectorId=d).get("Tags") or {}).get("socform:blueprint") == bp:
            add(found, {"service": "guardduty", "type": "detector", "id": d})
    # moto lists no Security Hub tags: a hub is this blueprint's when its state says so; the
    # tests check the hub through `inventory` (enabled or not) instead.
    cw_dash = client("cloudwatch")
    for d in cw_dash.list_dashboards()["DashboardEntries"]:
        body = cw_dash.get_dashboard(DashboardName=d["DashboardName"])["DashboardBody"]
        if f"socform:blueprint={bp} " in body:
            add(found, {"service": "cloudwatch", "type": "dashboard", "id": d["DashboardName"]})
    return found


def inventory():
    out = []
    ec2 = client("ec2")
    default_vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")}

    def each(method, key, id_key, kind, keep=lambda item: True):
        for page in ec2.get_paginator(method).paginate():
            for item in page[key]:
                if keep(item):
                    out.append(f"{kind} {item[id_key]}")
    not_default = lambda item: item.get("VpcId") not in default_vpcs
    each("describe_vpcs", "Vpcs", "VpcId", "vpc", lambda v: v["VpcId"] not in default_vpcs)
    each("describe_subnets", "Subnets", "SubnetId", "subnet", not_default)
    each("describe_internet_gateways", "InternetGateways", "InternetGatewayId", "internet-gateway",
         lambda g: not any(a["VpcId"] in default_vpcs for a in g.get("Attachments", [])))
    each("describe_route_tables", "RouteTables", "RouteTableId", "route-table", not_default)
    each("describe_security_groups", "SecurityGroups", "GroupId", "security-group", not_default)
    groups_in_default = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"] if g.get("VpcId") in default_vpcs}
    each("describe_security_group_rules", "SecurityGroupRules", "SecurityGroupRuleId", "security-group-rule",
         lambda r: r["GroupId"] not in groups_in_default)
    each("describe_flow_logs", "FlowLogs", "FlowLogId", "flow-log")
    # What a forgotten instance leaves billing: its volumes and network interfaces.
    each("describe_volumes", "Volumes", "VolumeId", "volume")
    # moto keeps a terminated instance's primary interface, "in-use" and attached (AWS deletes
    # it with the instance): those are skipped, any other interface counts.
    terminated = {i["InstanceId"] for page in ec2.get_paginator("describe_instances").paginate()
                  for r in page["Reservations"] for i in r["Instances"] if i["State"]["Name"] == "terminated"}
    each("describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId", "network-interface",
         lambda n: not_default(n) and n.get("Attachment", {}).get("InstanceId") not in terminated)
    # An account setting: listed while it is on.
    if ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]:
        out.append("ebs-encryption-by-default on")
    for a in ec2.describe_addresses()["Addresses"]:
        out.append(f"elastic-ip {a.get('AllocationId', a.get('PublicIp'))}")
    for page in ec2.get_paginator("describe_instances").paginate():
        for r in page["Reservations"]:
            for i in r["Instances"]:
                if i["State"]["Name"] not in ("terminated", "shutting-down"):
                    out.append(f"instance {i['InstanceId']}")
    # Network ACLs outside the default VPC, with their rules (a VPC's default ACL has AWS's).
    # moto keeps a deleted VPC's default ACL (AWS deletes it with the VPC): only the ACLs of
    # VPCs that exist count.
    vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    for page in ec2.get_paginator("describe_network_acls").paginate():
        for acl in page["NetworkAcls"]:
            if acl["VpcId"] in default_vpcs or acl["VpcId"] not in vpcs:
                continue
            rules = sorted(f"{'out' if e['Egress'] else 'in'}:{e['RuleNumber']}:{e['RuleAction']}:{e['Protocol']}:"
                           f"{e.get('CidrBlock', e.get('Ipv6CidrBlock'))}:{e.get('PortRange', {}).get('From', '')}-"
                           f"{e.get('PortRange', {}).get('To', '')}" for e in acl["Entries"])
            out.append(f"network-acl {acl['NetworkAclId']}")
            out.append(f"network-acl-rules {acl['NetworkAclId']}{' (default)' if acl['IsDefault'] else ''} {' '.join(rules)}")
    iam = client("iam")
    # An account setting: listed, with every field, while the account has one.
    try:
        policy = iam.get_account_password_policy()["PasswordPolicy"]
        out.append("iam-password-policy " + json.dumps(policy, sort_keys=True))
    except iam.exceptions.NoSuchEntityException:
        pass
    # Keys pending deletion are counted as such (AWS's shortest window is seven days); moto's
    # stand-in for the AWS-managed aws/ebs key (it makes it a customer key) is not listed.
    kms = client("kms")
    aliased = {a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/aws/") and a.get("TargetKeyId")}
    for k in kms.list_keys()["Keys"]:
        if k["KeyId"] in aliased:
            continue
        meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        pending = meta["KeyState"] == "PendingDeletion"
        out.append(f"kms-key{'-pending-deletion' if pending else ''} {k['KeyId']}")
    for page in iam.get_paginator("list_roles").paginate():
        for r in page["Roles"]:
            if not r["Path"].startswith("/aws-service-role/"):
                out.append(f"iam-role {r['RoleName']}")
                for p in iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]:
                    out.append(f"iam-inline-policy {r['RoleName']}/{p}")
    for p in iam.list_instance_profiles()["InstanceProfiles"]:
        out.append(f"instance-profile {p['InstanceProfileName']}")
    s3 = client("s3")
    for b in s3.list_buckets()["Buckets"]:
        out.append(f"s3-bucket {b['Name']}")
        logging = s3.get_bucket_logging(Bucket=b["Name"]).get("LoggingEnabled")
        if logging:
            out.append(f"s3-bucket-logging {b['Name']} to {logging['TargetBucket']}/{logging.get('TargetPrefix', '')}")
        try:
            s3.get_bucket_policy(Bucket=b["Name"])
            out.append(f"s3-bucket-policy {b['Name']}")
        except Exception:
            pass
    logs = client("logs")
    for page in logs.get_paginator("describe_log_groups").paginate():
        for g in page["logGroups"]:
            out.append(f"log-group {g['logGroupName']}")
    for page in logs.get_paginator("describe_metric_filters").paginate():
        for f in page["metricFilters"]:
            out.append(f"metric-filter {f['logGroupName']}:{f['filterName']}")
    for page in client("cloudwatch").get_paginator("describe_alarms").paginate():
        for a in page["MetricAlarms"]:
            out.append(f"alarm {a['AlarmName']}")
    for t in client("cloudtrail").describe_trails()["trailList"]:
        out.append(f"trail {t['Name']}")
    sns = client("sns")
    for t in sns.list_topics()["Topics"]:
        out.append(f"sns-topic {t['TopicArn'].rsplit(':', 1)[1]}")
    for sub in sns.list_subscriptions()["Subscriptions"]:
        out.append(f"sns-subscription {sub['TopicArn'].rsplit(':', 1)[1]}:{sub['Protocol']}:{sub['Endpoint']}")
    ssm = client("ssm")
    for page in ssm.get_paginator("describe_parameters").paginate():
        for p in page["Parameters"]:
            if not p["Name"].startswith("/aws/"):
                out.append(f"ssm-parameter {p['Name']}")
    for s in client("secretsmanager").list_secrets()["SecretList"]:
        if not s.get("DeletedDate"):
            out.append(f"secret {s['Name']}")
    cfg = client("config")
    for r in cfg.describe_configuration_recorders()["ConfigurationRecorders"]:
        out.append(f"config-recorder {r['name']}")
    for c in cfg.describe_delivery_channels()["DeliveryChannels"]:
        out.append(f"config-delivery-channel {c['name']}")
    for r in cfg.describe_config_rules()["ConfigRules"]:
        out.append(f"config-rule {r['ConfigRuleName']}")
    for g in cfg.describe_configuration_aggregators()["ConfigurationAggregators"]:
        out.append(f"config-aggregator {g['ConfigurationAggregatorName']}")
    ev = client("events")
    for r in ev.list_rules()["Rules"]:
        out.append(f"event-rule {r['Name']}")
        for t in ev.list_targets_by_rule(Rule=r["Name"])["Targets"]:
            out.append(f"event-target {r['Name']}/{t['Id']}")
    lam = client("lambda")
    for f in (f for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]):
        out.append(f"lambda-function {f['FunctionName']}")
        try:
            for st in json.loads(lam.get_policy(FunctionName=f["FunctionName"])["Policy"])["Statement"]:
                out.append(f"lambda-permission {f['FunctionName']}/{st['Sid']}")
        except lam.exceptions.ResourceNotFoundException:
            pass
    for d in client("guardduty").list_detectors()["DetectorIds"]:
        out.append(f"guardduty-detector {d}")
    try:
        out.append(f"security-hub {client('securityhub').describe_hub()['HubArn']}")
    except Exception as e:  # InvalidAccessException: not enabled
        if "InvalidAccess" not in str(e):
            raise
    for d in client("cloudwatch").list_dashboards()["DashboardEntries"]:
        out.append(f"dashboard {d['DashboardName']}")
    return sorted(out)


def topic_arn(name):
    return next(t["TopicArn"] for t in client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":" + name))


def acl_entry(e):
    """A network ACL entry as AWS has it, in one line: `ingress 100 deny 6 0.0.0.0/0 22-22`."""
    ports = f" {e['PortRange']['From']}-{e['PortRange']['To']}" if "PortRange" in e else ""
    return (f"{'egress' if e['Egress'] else 'ingress'} {e['RuleNumber']} {e['RuleAction']} {e['Protocol']} "
            f"{e.get('CidrBlock', e.get('Ipv6CidrBlock'))}{ports}")


def pairs(items):
    return [{"Key": k, "Value": v} for k, v in (i.split("=", 1) for i in items)]


def responses():
    """EventBridge rules with their targets, Lambda functions with their policies, the GuardDuty
    detectors, Security Hub and the dashboards: what the response and findings kinds made."""
    ev, lam, cw = client("events"), client("lambda"), client("cloudwatch")
    rules = {}
    for r in ev.list_rules()["Rules"]:
        rules[r["Name"]] = {
            "arn": r["Arn"],
            "state": r.get("State"),
            "pattern": json.loads(r.get("EventPattern") or "null"),
            "targets": ev.list_targets_by_rule(Rule=r["Name"])["Targets"],
        }
    functions = {}
    for f in (f for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]):
        try:
            policy = json.loads(lam.get_policy(FunctionName=f["FunctionName"])["Policy"])
        except lam.exceptions.ResourceNotFoundException:
            policy = None
        functions[f["FunctionName"]] = {
            "arn": f["FunctionArn"], "role": f["Role"], "runtime": f["Runtime"], "handler": f["Handler"],
            "timeout": f["Timeout"], "code_sha256": f["CodeSha256"],
            "environment": f.get("Environment", {}).get("Variables", {}), "policy": policy,
        }
    gd = client("guardduty")
    detectors = {d: gd.get_detector(DetectorId=d) for d in gd.list_detectors()["DetectorIds"]}
    detectors = {d: {"status": v["Status"], "frequency": v.get("FindingPublishingFrequency")} for d, v in detectors.items()}
    try:
        hub = client("securityhub").describe_hub()["HubArn"]
    except Exception as e:
        if "InvalidAccess" not in str(e):
            raise
        hub = None
    dashboards = {d["DashboardName"]: json.loads(cw.get_dashboard(DashboardName=d["DashboardName"])["DashboardBody"])
                  for d in cw.list_dashboards()["DashboardEntries"]}
    return {"rules": rules, "functions": functions, "detectors": detectors, "hub": hub, "dashboards": dashboards}


if command == "responses":
    print(json.dumps(responses(), indent=1, sort_keys=True, default=str))
elif command == "test-pattern":
    # args: PATTERN_JSON EVENT_JSON -> true or false. moto's server answers TestEventPattern
    # with nothing, so the matcher its event buses use is called in process.
    from moto.events.models import EventPattern
    print(json.dumps(EventPattern.load(args[0]).matches_event(json.loads(args[1]))))
elif command == "role-trust":
    print(json.dumps(client("iam").get_role(RoleName=args[0])["Role"]["AssumeRolePolicyDocument"]))
elif command == "topic-policy":
    print(client("sns").get_topic_attributes(TopicArn=topic_arn(args[0]))["Attributes"]["Policy"])
elif command == "create-rule":
    client("events").put_rule(Name=args[0], EventPattern=json.dumps({"source": ["aws.ec2"]}))
elif command == "put-dashboard":
    client("cloudwatch").put_dashboard(DashboardName=args[0], DashboardBody=json.dumps({"widgets": []}))
elif command == "enable-hub":
    client("securityhub").enable_security_hub(EnableDefaultStandards=False)
elif command == "create-detector":
    print(client("guardduty").create_detector(Enable=True)["DetectorId"])
elif command == "create-vpc":
    print(client("ec2").create_vpc(CidrBlock=args[0])["Vpc"]["VpcId"])
elif command == "create-subnet":
    print(client("ec2").create_subnet(VpcId=args[0], CidrBlock=args[1])["Subnet"]["SubnetId"])
elif command == "central-team":
    tags = {"owner": "central-security"}
    client("guardduty").create_detector(Enable=True, FindingPublishingFrequency="SIX_HOURS", Tags=tags)
    client("securityhub").enable_security_hub(EnableDefaultStandards=False, Tags=tags)
    iam = client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="central-config", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    client("s3").create_bucket(Bucket="central-config-snapshots")
    cfg = client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": role,
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False}})
    cfg.put_delivery_channel(DeliveryChannel={
        "name": "default", "s3BucketName": "central-config-snapshots",
        "configSnapshotDeliveryProperties": {"deliveryFrequency": "Six_Hours"}})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
elif command == "org-trail":
    name, group = args
    acct = client("sts").get_caller_identity()["Account"]
    client("s3").create_bucket(Bucket=f"{name}-{acct}")
    logs = client("logs")
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=365)
    arn = next(g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
               if g["logGroupName"] == group)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = client("iam").create_role(RoleName=f"{name}-logs", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    ct = client("cloudtrail")
    ct.create_trail(Name=name, S3BucketName=f"{name}-{acct}", IsMultiRegionTrail=True,
                    CloudWatchLogsLogGroupArn=arn, CloudWatchLogsRoleArn=role)
    ct.start_logging(Name=name)
elif command == "trail-settings":
    t = client("cloudtrail").get_trail(Name=args[0])["Trail"]
    g = [x for x in client("logs").describe_log_groups(logGroupNamePrefix=args[1])["logGroups"]
         if x["logGroupName"] == args[1]]
    filters = client("logs").describe_metric_filters(logGroupName=args[1])["metricFilters"]
    print(json.dumps({"trail": t, "group": g, "filters": len(filters)}, indent=1, sort_keys=True, default=str))
elif command == "singletons":
    gd = client("guardduty")
    detectors = {}
    for d in gd.list_detectors()["DetectorIds"]:
        got = gd.get_detector(DetectorId=d)
        detectors[d] = {k: got.get(k) for k in ("Status", "FindingPublishingFrequency", "Tags")}
    try:
        hub = client("securityhub").describe_hub()
        hub = {"arn": hub["HubArn"], "since": str(hub["SubscribedAt"])}
    except Exception as e:  # InvalidAccessException: not enabled
        if "InvalidAccess" not in str(e):
            raise
        hub = None
    cfg = client("config")
    status = {r["name"]: r["recording"] for r in cfg.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]}
    recorders = {r["name"]: {"role": r["roleARN"], "group": r["recordingGroup"], "recording": status.get(r["name"])}
                 for r in cfg.describe_configuration_recorders()["ConfigurationRecorders"]}
    channels = {c["name"]: c for c in cfg.describe_delivery_channels()["DeliveryChannels"]}
    ebs = client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]
    print(json.dumps({"detectors": detectors, "hub": hub, "recorders": recorders, "channels": channels, "ebs": ebs},
                     indent=1, sort_keys=True, default=str))
elif command == "aws-managed-keys":
    # The keys behind alias/aws/* (AWS-managed in AWS; moto makes them customer keys).
    print(json.dumps(sorted(a["TargetKeyId"] for a in client("kms").list_aliases()["Aliases"]
                            if a["AliasName"].startswith("alias/aws/") and a.get("TargetKeyId"))))
elif command == "default-vpc-acls":
    # The network ACLs of the account's default VPC (not a lab's to touch).
    ec2 = client("ec2")
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]]
    print(json.dumps(sorted(a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": vpcs}])["NetworkAcls"])))
elif command == "create-org":
    # create-org N: an organization (if none) and N member accounts; prints their ids.
    org = client("organizations")
    try:
        org.create_organization(FeatureSet="ALL")
    except org.exceptions.AlreadyInOrganizationException:
        pass
    ids = [org.create_account(Email=f"student-{i}@example.com", AccountName=f"student-{i}")["CreateAccountStatus"]["AccountId"]
           for i in range(int(args[0]))]
    print(json.dumps(ids))
elif command == "log-group-key":
    g = next(g for g in client("logs").describe_log_groups(logGroupNamePrefix=args[0])["logGroups"] if g["logGroupName"] == args[0])
    print(json.dumps(g.get("kmsKeyId")))
elif command == "create-key":
    # A key of someone else's (no socform tags): prints its id.
    print(client("kms").create_key(Description="theirs")["KeyMetadata"]["KeyId"])
elif command == "key":
    # key ID: a KMS key's state, rotation, days to its deletion, and the key the trails use.
    kms = client("kms")
    meta = kms.describe_key(KeyId=args[0])["KeyMetadata"]
    days = None
    if meta.get("DeletionDate"):
        days = round((meta["DeletionDate"] - meta["CreationDate"]).total_seconds() / 86400)
    trails = client("cloudtrail").describe_trails()["trailList"]
    print(json.dumps({"state": meta["KeyState"], "rotation": kms.get_key_rotation_status(KeyId=args[0])["KeyRotationEnabled"],
                      "days_to_deletion": days, "trail_key": next((t.get("KmsKeyId") for t in trails if t.get("KmsKeyId")), None),
                      "policy": json.loads(kms.get_key_policy(KeyId=args[0], PolicyName="default")["Policy"])}, default=str))
elif command == "bucket-logging":
    # bucket-logging BUCKET [off]: where its access logs go, as JSON (null: nowhere).
    s3 = client("s3")
    if args[1:] == ["off"]:
        s3.put_bucket_logging(Bucket=args[0], BucketLoggingStatus={})
    print(json.dumps(s3.get_bucket_logging(Bucket=args[0]).get("LoggingEnabled"), sort_keys=True))
elif command == "bucket-policy":
    print(client("s3").get_bucket_policy(Bucket=args[0])["Policy"])
elif command == "event-selectors":
    # event-selectors TRAIL: the trail's basic event selectors, as CloudTrail gives them.
    print(json.dumps(client("cloudtrail").get_event_selectors(TrailName=args[0]).get("EventSelectors", []), sort_keys=True))
elif command == "put-event-selectors":
    # put-event-selectors TRAIL JSON: someone narrows the trail by hand.
    client("cloudtrail").put_event_selectors(TrailName=args[0], EventSelectors=json.loads(args[1]))
elif command == "password-policy":
    # password-policy [set LENGTH REUSE | delete]: the account's policy, as JSON (null: none).
    iam = client("iam")
    if args[:1] == ["set"]:
        iam.update_account_password_policy(MinimumPasswordLength=int(args[1]), PasswordReusePrevention=int(args[2]),
                                           RequireSymbols=True, MaxPasswordAge=90)
    elif args[:1] == ["delete"]:
        iam.delete_account_password_policy()
    try:
        print(json.dumps(iam.get_account_password_policy()["PasswordPolicy"], sort_keys=True))
    except iam.exceptions.NoSuchEntityException:
        print("null")
elif command == "inventory":
    print(json.dumps(inventory(), indent=1))
elif command == "create-topic":
    arn = client("sns").create_topic(Name=args[0])["TopicArn"]
    if len(args) > 1:
        client("sns").subscribe(TopicArn=arn, Protocol="email", Endpoint=args[1])
elif command == "tag-topic":
    client("sns").tag_resource(ResourceArn=topic_arn(args[0]), Tags=pairs(args[1:]))
elif command == "subscriptions":
    subs = client("sns").list_subscriptions_by_topic(TopicArn=topic_arn(args[0]))["Subscriptions"]
    print(json.dumps(sorted(s["Endpoint"] for s in subs)))
elif command == "create-alarm":
    client("cloudwatch").put_metric_alarm(
        AlarmName=args[0], Namespace="Billing", MetricName="EstimatedCharges", Statistic="Maximum",
        Period=21600, EvaluationPeriods=1, Threshold=100.0, ComparisonOperator="GreaterThanThreshold",
        Tags=pairs(args[1:]))
elif command == "create-log-group":
    client("logs").create_log_group(logGroupName=args[0])
elif command == "create-filter":
    client("logs").put_metric_filter(
        logGroupName=args[0], filterName=args[1], filterPattern="ERROR",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "HandMade", "metricValue": "1"}])
elif command == "create-secret":
    client("secretsmanager").create_secret(Name=args[0], SecretString=args[1])
elif command == "log-group-tags":
    arn = next(g["arn"] for g in client("logs").describe_log_groups(logGroupNamePrefix=args[0])["logGroups"] if g["logGroupName"] == args[0])
    print(json.dumps(client("logs").list_tags_for_resource(resourceArn=arn.rstrip(":*"))["tags"], sort_keys=True))
elif command == "topic-tags":
    tags = client("sns").list_tags_for_resource(ResourceArn=topic_arn(args[0]))["Tags"]
    print(json.dumps({t["Key"]: t["Value"] for t in tags}, sort_keys=True))
elif command == "readback-every-kind":
    # The attributes tests/it/aws.rs edits in every-kind.yaml, as AWS has them.
    ec2 = client("ec2")
    vpc = next(v for v in ec2.describe_vpcs()["Vpcs"] if {"Key": "socform:address", "Value": "vpc.main"} in v.get("Tags", []))
    vid = vpc["VpcId"]
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vid]}])["SecurityGroups"]}
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [groups["every-kind-web"]["GroupId"]]}])["SecurityGroupRules"]
    trail = client("cloudtrail").describe_trails(trailNameList=["every-kind"])["trailList"][0]
    bucket = trail["S3BucketName"]
    enc = client("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    filters = client("logs").describe_metric_filters(logGroupName="every-kind-trail")["metricFilters"]
    sns = client("sns")
    subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn("every-kind-alerts"))["Subscriptions"]
    cfg = client("config")
    edge = next(a for a in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vid]}])["NetworkAcls"]
                if {"Key": "socform:address", "Value": "network_acl.edge"} in a.get("Tags", []))
    edge_subnets = [a["SubnetId"] for a in edge["Associations"]]
    print(json.dumps({
        "acl_edge": {
            "subnets": sorted(s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=edge_subnets)["Subnets"]),
            "entries": sorted(acl_entry(e) for e in edge["Entries"]),
        },
        "vpc_dns_hostnames": ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"],
        "vpc_tags": {t["Key"]: t["Value"] for t in vpc.get("Tags", []) if not t["Key"].startswith("socform:")},
        "flow_log_traffic": [f["TrafficType"] for f in ec2.describe_flow_logs()["FlowLogs"] if f["ResourceId"] == vid],
        "rule_descriptions": sorted(r.get("Description", "") for r in rules if not r["IsEgress"]),
        "siem_group_description": groups["every-kind-siem"]["Description"],
        "bucket_encryption": enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "trail_log_file_validation": trail["LogFileValidationEnabled"],
        "filter_patterns": [f["filterPattern"] for f in filters],
        "subscribers": sorted(x["Endpoint"] for x in subs),
        "parameter": client("ssm").get_parameter(Name="/every-kind/siem/address")["Parameter"]["Value"],
        "secret_description": client("secretsmanager").describe_secret(SecretId="every-kind-api-key").get("Description"),
        "recorder_global": cfg.describe_configuration_recorders()["ConfigurationRecorders"][0]["recordingGroup"]["includeGlobalResourceTypes"],
        "rule_description": cfg.describe_config_rules(ConfigRuleNames=["every-kind-no-public-read"])["ConfigRules"][0].get("Description"),
        "trail_excluded": sorted(s for sel in client("cloudtrail").get_event_selectors(TrailName="every-kind").get("EventSelectors", [])
                                 for s in sel.get("ExcludeManagementEventSources", [])),
        "function_timeout": client("lambda").get_function_configuration(FunctionName="every-kind-close-port")["Timeout"],
        "rule_names": json.loads(client("events").describe_rule(Name="every-kind-close-port")["EventPattern"])["detail"]["eventName"],
        "dashboard": client("cloudwatch").get_dashboard(DashboardName="every-kind-detections")["DashboardBody"],
        "runbook_target": client("events").list_targets_by_rule(Rule="every-kind-public-bucket")["Targets"],
    }, indent=1, sort_keys=True))
elif command == "acls":
    # The network ACLs of a VPC as AWS has them: per ACL ("default" for the VPC's own, else
    # its id), its entries (AWS's final rules included) and its subnets' CIDR blocks.
    ec2 = client("ec2")
    out = {}
    for acl in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [args[0]]}])["NetworkAcls"]:
        subnets = [a["SubnetId"] for a in acl.get("Associations", [])]
        cidrs = sorted(s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]) if subnets else []
        entries = sorted((e["RuleNumber"], acl_entry(e)) for e in acl["Entries"])
        out["default" if acl["IsDefault"] else acl["NetworkAclId"]] = {
            "entries": [e for _, e in entries],
            "subnets": cidrs,
            "tags": {t["Key"]: t["Value"] for t in acl.get("Tags", [])},
        }
    print(json.dumps(out, indent=1, sort_keys=True))
elif command == "acl-entry":
    # acl-entry ACL NUMBER allow|deny PROTOCOL CIDR FROM TO: an ingress entry replaced by hand.
    acl, number, action, protocol, cidr, lo, hi = args
    client("ec2").replace_network_acl_entry(NetworkAclId=acl, RuleNumber=int(number), Protocol=protocol, RuleAction=action,
                                            Egress=False, CidrBlock=cidr, PortRange={"From": int(lo), "To": int(hi)})
elif command == "acl-move":
    # acl-move SUBNET ACL: the subnet's association moved by hand.
    ec2 = client("ec2")
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [args[0]]}])["NetworkAcls"]
    assoc = next(a["NetworkAclAssociationId"] for n in acls for a in n["Associations"] if a["SubnetId"] == args[0])
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=args[1])
elif command == "tag-default-vpc-acl":
    # The default VPC's ACL given a rule of its owner's (deny telnet) and tagged as given (a
    # forgery): prints its id.
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"][0]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Protocol="6", RuleAction="deny", Egress=False,
                                 CidrBlock="0.0.0.0/0", PortRange={"From": 23, "To": 23})
    ec2.create_tags(Resources=[acl], Tags=pairs(args))
    print(acl)
elif command == "acl-entries":
    acl = client("ec2").describe_network_acls(NetworkAclIds=[args[0]])["NetworkAcls"][0]
    print(json.dumps(sorted(acl_entry(e) for e in acl["Entries"])))
elif command == "authorize-default-egress":
    # AWS's default rule of a new group, put back by hand: allow all traffic out, untagged.
    ec2 = client("ec2")
    gid = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [args[0]]}])["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
elif command == "egress-rules":
    ec2 = client("ec2")
    gid = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [args[0]]}])["SecurityGroups"][0]["GroupId"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    print(json.dumps(sorted(f"{r['IpProtocol']} {r.get('CidrIpv4', '')}" for r in rules if r["IsEgress"])))
elif command == "ingress-cidrs":
    ec2 = client("ec2")
    gid = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [args[0]]}])["SecurityGroups"][0]["GroupId"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    print(json.dumps(sorted(f"{r['IpProtocol']} {r.get('FromPort')} {r.get('CidrIpv4', '')}" for r in rules if not r["IsEgress"])))
elif command == "volume-gb":
    print(sum(v["Size"] for v in client("ec2").describe_volumes()["Volumes"]))
elif command == "instance-state":
    r = client("ec2").describe_instances(InstanceIds=[args[0]])["Reservations"][0]["Instances"][0]
    print(r["State"]["Name"])
elif command == "log-retention":
    g = next(g for g in client("logs").describe_log_groups(logGroupNamePrefix=args[0])["logGroups"] if g["logGroupName"] == args[0])
    print(json.dumps(g.get("retentionInDays")))
elif command == "object-encryption":
    print(client("s3").head_object(Bucket=args[0], Key=args[1]).get("ServerSideEncryption", "(none)"))
elif command == "instance-private-ip":
    r = client("ec2").describe_instances(InstanceIds=[args[0]])["Reservations"][0]["Instances"][0]
    print(r["PrivateIpAddress"])
elif command == "secret-deleted":
    print(json.dumps("DeletedDate" in client("secretsmanager").describe_secret(SecretId=args[0])))
elif command == "parameter-value":
    print(client("ssm").get_parameter(Name=args[0], WithDecryption=True)["Parameter"]["Value"])
elif command == "secret-value":
    print(client("secretsmanager").get_secret_value(SecretId=args[0])["SecretString"])
elif command == "credentials":
    c = client("sts").assume_role(RoleArn=f"arn:aws:iam::{args[0]}:role/socform-test", RoleSessionName="socform-test")["Credentials"]
    print(json.dumps({"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"], "SessionToken": c["SessionToken"]}))
elif command == "list":
    print(json.dumps(list_owned(args[0]), indent=1))
elif command == "tagged-with":
    print(json.dumps([o["type"] + " " + o["id"] for o in list_owned(args[0]) if args[1] in o["tag_keys"]]))
elif command == "revoke-ingress":
    ec2 = client("ec2")
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [args[0]]}])["SecurityGroupRules"]
    ids = [r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"]]
    ec2.revoke_security_group_ingress(GroupId=args[0], SecurityGroupRuleIds=ids)
elif command == "ebs-encryption":
    ec2 = client("ec2")
    if args and args[0] == "on":
        ec2.enable_ebs_encryption_by_default()
    elif args and args[0] == "off":
        ec2.disable_ebs_encryption_by_default()
    print("on" if ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] else "off")
elif command == "stop-logging":
    client("cloudtrail").stop_logging(Name=args[0])
elif command == "delete-alarm":
    client("cloudwatch").delete_alarms(AlarmNames=[args[0]])
elif command == "set-retention":
    client("logs").put_retention_policy(logGroupName=args[0], retentionInDays=int(args[1]))
elif command == "trail-logging":
    print(json.dumps(client("cloudtrail").get_trail_status(Name=args[0])["IsLogging"]))
elif command == "subnet-cidr":
    print(client("ec2").describe_subnets(SubnetIds=[args[0]])["Subnets"][0]["CidrBlock"])
elif command == "role-policies":
    out = client("iam").list_attached_role_policies(RoleName=args[0])["AttachedPolicies"]
    print(json.dumps(sorted(p["PolicyArn"] for p in out)))
elif command == "role-inline":
    iam = client("iam")
    names = iam.list_role_policies(RoleName=args[0])["PolicyNames"]
    print(json.dumps({n: iam.get_role_policy(RoleName=args[0], PolicyName=n)["PolicyDocument"] for n in names}, sort_keys=True))
elif command == "set-alarm-state":
    client("cloudwatch").set_alarm_state(AlarmName=args[0], StateValue=args[1], StateReason=args[2])
elif command == "alarm-state":
    a = client("cloudwatch").describe_alarms(AlarmNames=[args[0]])["MetricAlarms"][0]
    print(json.dumps([a["StateValue"], a.get("StateReason", "")]))
elif command == "create-log-stream":
    client("logs").create_log_stream(logGroupName=args[0], logStreamName=args[1])
elif command == "ec2-tags":
    tags = client("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [args[0]]}])["Tags"]
    print(json.dumps({t["Key"]: t["Value"] for t in tags}, sort_keys=True))
elif command == "create-sg":
    # A security group of "an attacker's own" in the default VPC, tagged as given.
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    gid = ec2.create_security_group(GroupName=args[0], Description="bait", VpcId=vpc)["GroupId"]
    ec2.create_tags(Resources=[gid], Tags=pairs(args[1:]))
    print(gid)
elif command == "put-object":
    client("s3").put_object(Bucket=args[0], Key=args[1], Body=args[2].encode())
elif command == "delete-bucket-policy":
    client("s3").delete_bucket_policy(Bucket=args[0])
elif command == "count-objects":
    v = client("s3").list_object_versions(Bucket=args[0])
    print(len(v.get("Versions", [])) + len(v.get("DeleteMarkers", [])))
elif command == "create-subnet":
    print(client("ec2").create_subnet(VpcId=args[0], CidrBlock=args[1])["Subnet"]["SubnetId"])
elif command == "delete-subnet":
    client("ec2").delete_subnet(SubnetId=args[0])
elif command == "filters":
    logs = client("logs")
    out = {f["filterName"]: f["filterPattern"] for page in logs.get_paginator("describe_metric_filters").paginate() for f in page["metricFilters"]}
    print(json.dumps(out))
elif command == "alarms":
    cw = client("cloudwatch")
    out = {a["AlarmName"]: a["AlarmActions"] for page in cw.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]}
    print(json.dumps(out))
elif command == "alarm-descriptions":
    cw = client("cloudwatch")
    out = {a["AlarmName"]: a.get("AlarmDescription") for page in cw.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]}
    print(json.dumps(out))
elif command == "hand-config":
    # A recorder, a delivery channel and a managed rule made by hand: args[0] names the
    # recorder and channel, args[1] the rule.
    cfg = client("config")
    client("s3").create_bucket(Bucket="hand-config-bucket")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": args[0], "roleARN": "arn:aws:iam::123456789012:role/hand-config",
        "recordingGroup": {"allSupported": False, "includeGlobalResourceTypes": False, "resourceTypes": ["AWS::S3::Bucket"]}})
    cfg.put_delivery_channel(DeliveryChannel={"name": args[0], "s3BucketName": "hand-config-bucket"})
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": args[1], "Description": "hand-made",
        "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_PUBLIC_READ_PROHIBITED"}})
elif command == "vpc-defaults":
    # What AWS makes with every VPC: its default security group, main route table and network ACL.
    ec2 = client("ec2")
    out = [g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]]
    out += [a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"]]
    out += [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]}])["RouteTables"]]
    print(json.dumps(sorted(out)))
elif command == "delete-hand-config":
    cfg = client("config")
    cfg.delete_delivery_channel(DeliveryChannelName=args[0])
    cfg.delete_configuration_recorder(ConfigurationRecorderName=args[0])
elif command == "config-snapshot":
    cfg = client("config")
    print(json.dumps({
        "recorders": [(r["name"], r["roleARN"], r["recordingGroup"].get("allSupported")) for r in cfg.describe_configuration_recorders()["ConfigurationRecorders"]],
        "channels": [(c["name"], c["s3BucketName"]) for c in cfg.describe_delivery_channels()["DeliveryChannels"]],
        "rules": sorted((r["ConfigRuleName"], r["Source"]["SourceIdentifier"], r.get("Description")) for r in cfg.describe_config_rules()["ConfigRules"]),
    }, sort_keys=True))
elif command == "alarm-metric":
    a = client("cloudwatch").describe_alarms(AlarmNames=[args[0]])["MetricAlarms"]
    print(json.dumps([(x["Namespace"], x["MetricName"], x.get("AlarmActions", [])) for x in a]))
elif command == "filter-pattern":
    f = client("logs").describe_metric_filters(logGroupName=args[0], filterNamePrefix=args[1])["metricFilters"]
    print(json.dumps([(x["filterName"], x["filterPattern"]) for x in f if x["filterName"] == args[1]]))
elif command == "delete-log-group":
    client("logs").delete_log_group(logGroupName=args[0])
elif command == "bucket-tags":
    try:
        tags = client("s3").get_bucket_tagging(Bucket=args[0])["TagSet"]
    except client("s3").exceptions.ClientError:
        tags = []
    print(json.dumps({t["Key"]: t["Value"] for t in tags}, sort_keys=True))
elif command == "create-bucket":
    client("s3").create_bucket(Bucket=args[0])
elif command == "get-object":
    try:
        print(client("s3").get_object(Bucket=args[0], Key=args[1])["Body"].read().decode())
    except client("s3").exceptions.NoSuchKey:
        print("(absent)")
elif command == "put-text":
    client("s3").put_object(Bucket=args[0], Key=args[1], Body=args[2].encode())
elif command == "create-role":
    client("iam").create_role(RoleName=args[0], AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
elif command == "delete-filter":
    client("logs").delete_metric_filter(logGroupName=args[0], filterName=args[1])
elif command == "remove-alarm-actions":
    cw = client("cloudwatch")
    a = cw.describe_alarms(AlarmNames=[args[0]])["MetricAlarms"][0]
    cw.put_metric_alarm(
        AlarmName=a["AlarmName"], Namespace=a["Namespace"], MetricName=a["MetricName"], Statistic=a["Statistic"],
        Period=a["Period"], EvaluationPeriods=a["EvaluationPeriods"], Threshold=a["Threshold"],
        ComparisonOperator=a["ComparisonOperator"], AlarmActions=[])
elif command == "unsubscribe-all":
    sns = client("sns")
    for sub in sns.list_subscriptions_by_topic(TopicArn=topic_arn(args[0]))["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
elif command == "set-filter-pattern":
    logs = client("logs")
    f = [x for x in logs.describe_metric_filters(logGroupName=args[0], filterNamePrefix=args[1])["metricFilters"]
         if x["filterName"] == args[1]][0]
    # AWS replaces a filter put under its own name; moto adds a second one beside it, so the
    # old one is deleted first (what AWS's replace amounts to).
    logs.delete_metric_filter(logGroupName=args[0], filterName=args[1])
    logs.put_metric_filter(logGroupName=args[0], filterName=args[1], filterPattern=args[2],
                           metricTransformations=f["metricTransformations"])
elif command == "set-threshold":
    cw = client("cloudwatch")
    a = cw.describe_alarms(AlarmNames=[args[0]])["MetricAlarms"][0]
    cw.put_metric_alarm(
        AlarmName=a["AlarmName"], Namespace=a["Namespace"], MetricName=a["MetricName"], Statistic=a["Statistic"],
        Period=a["Period"], EvaluationPeriods=a["EvaluationPeriods"], Threshold=float(args[1]),
        ComparisonOperator=a["ComparisonOperator"], AlarmActions=a.get("AlarmActions", []))
elif command == "delete-topic":
    client("sns").delete_topic(TopicArn=topic_arn(args[0]))
elif command == "log-streams":
    print(json.dumps(sorted(s["logStreamName"] for s in client("logs").describe_log_streams(logGroupName=args[0])["logStreams"])))
elif command == "designate-guardduty-admin":
    # A central team's delegated GuardDuty administrator (from the management account).
    client("guardduty").enable_organization_admin_account(AdminAccountId=args[0])
elif command == "org-view":
    # What an organization's SOC looks like from this account, read by boto3.
    def attempt(f):
        try:
            return f()
        except Exception as e:  # not served here (moto), or not this account's to read
            return {"error": type(e).__name__}
    gd, sh, cfg, ev = client("guardduty"), client("securityhub"), client("config"), client("events")
    view = {
        "organization": attempt(lambda: client("organizations").describe_organization()["Organization"]["Id"]),
        "trails": [{"name": t["Name"], "organization": t.get("IsOrganizationTrail", False), "bucket": t["S3BucketName"]}
                   for t in client("cloudtrail").describe_trails()["trailList"]],
        "guardduty_admins": attempt(lambda: [a["AdminAccountId"] for a in gd.list_organization_admin_accounts()["AdminAccounts"]]),
        "securityhub_administrator": attempt(lambda: sh.get_administrator_account().get("Administrator", {}).get("AccountId")),
        "securityhub_auto_enable": attempt(lambda: sh.describe_organization_configuration()["AutoEnable"]),
        "aggregators": [{"name": g["ConfigurationAggregatorName"],
                         "role": g.get("OrganizationAggregationSource", {}).get("RoleArn"),
                         "all_regions": g.get("OrganizationAggregationSource", {}).get("AllAwsRegions")}
                        for g in cfg.describe_configuration_aggregators()["ConfigurationAggregators"]],
        "rules": {r["Name"]: json.loads(r.get("EventPattern", "{}")) for r in ev.list_rules()["Rules"]},
    }
    print(json.dumps(view, sort_keys=True, default=str))
else:
    sys.exit(f"unknown command {command}")
