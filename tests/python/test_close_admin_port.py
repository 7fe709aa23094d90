"""The Wazuh seed's response function against moto, in process (moto's Python API with boto3).

moto cannot invoke a Lambda without Docker, so the handler is called directly with the event
EventBridge would send: a real CloudTrail record (Stratus Red Team's detonation of
"open port 22 to the internet", vendored in tests/fixtures/cloudtrail/stratus.json) pointed at
a group made here. What the handler did is checked with boto3, not with the handler.
"""

import copy
import importlib.util
import json
import os
import pathlib
import unittest

import boto3
from moto import mock_aws

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "handler", ROOT / "blueprints" / "responses" / "close-admin-port" / "handler.py"
)
handler = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handler)

REGION = "us-east-1"


def stratus_event():
    """Stratus Red Team's AuthorizeSecurityGroupIngress record, as EventBridge's `detail`."""
    cases = json.loads((ROOT / "tests" / "fixtures" / "cloudtrail" / "stratus.json").read_text())
    record = next(c["event"] for c in cases if c["event"]["eventName"] == "AuthorizeSecurityGroupIngress")
    return {"source": "aws.ec2", "detail-type": "AWS API Call via CloudTrail", "detail": copy.deepcopy(record)}


@mock_aws
class CloseAdminPort(unittest.TestCase):
    def setUp(self):
        os.environ.update(AWS_DEFAULT_REGION=REGION, ADMIN_PORTS="22,3389")
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.group = self.ec2.create_security_group(GroupName="wazuh", Description="w", VpcId=vpc)["GroupId"]
        topic = self.sns.create_topic(Name="soc")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="soc-inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        os.environ["TOPIC_ARN"] = topic

    def allow(self, protocol, low, high, cidr=None, cidr6=None):
        perm = {"IpProtocol": protocol, "FromPort": low, "ToPort": high}
        if cidr:
            perm["IpRanges"] = [{"CidrIp": cidr}]
        if cidr6:
            perm["Ipv6Ranges"] = [{"CidrIpv6": cidr6}]
        if protocol == "-1":
            del perm["FromPort"], perm["ToPort"]
        self.ec2.authorize_security_group_ingress(GroupId=self.group, IpPermissions=[perm])

    def ingress(self):
        rules = self.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [self.group]}])
        return sorted(
            (r["IpProtocol"], r.get("FromPort"), r.get("ToPort"), r.get("CidrIpv4") or r.get("CidrIpv6"))
            for r in rules["SecurityGroupRules"]
            if not r["IsEgress"]
        )

    def event_for_group(self):
        event = stratus_event()
        event["detail"]["requestParameters"]["groupId"] = self.group
        for item in event["detail"]["responseElements"]["securityGroupRuleSet"]["items"]:
            item["groupId"] = self.group
        return event

    def messages(self):
        out = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in out]

    def test_ssh_open_to_the_world_is_closed_and_the_soc_told_who_and_from_where(self):
        self.allow("tcp", 22, 22, cidr="0.0.0.0/0")
        self.allow("tcp", 443, 443, cidr="0.0.0.0/0")  # a website: not an admin port
        self.allow("tcp", 22, 22, cidr="10.0.0.0/8")  # SSH from inside: stays
        report = handler.lambda_handler(self.event_for_group(), None)
        self.assertEqual(
            self.ingress(), [("tcp", 22, 22, "10.0.0.0/8"), ("tcp", 443, 443, "0.0.0.0/0")]
        )
        self.assertEqual(len(report["closed"]), 1)
        [message] = self.messages()
        self.assertEqual(message["who"], "arn:aws:iam::032092706103:user/christophe")
        self.assertEqual(message["from"], "253.243.215.253")
        self.assertEqual(message["call"], "AuthorizeSecurityGroupIngress")
        self.assertEqual(message["closed"][0]["ports"], [22, 22])

    def test_ipv6_ranges_all_traffic_and_port_ranges_over_an_admin_port_are_closed(self):
        self.allow("tcp", 3389, 3389, cidr6="::/0")
        self.allow("tcp", 20, 30, cidr="0.0.0.0/0")
        self.allow("-1", None, None, cidr="0.0.0.0/0")
        self.allow("udp", 22, 22, cidr="0.0.0.0/0")  # UDP 22 is not SSH
        handler.lambda_handler(self.event_for_group(), None)
        self.assertEqual(self.ingress(), [("udp", 22, 22, "0.0.0.0/0")])

    def test_a_second_run_changes_nothing_and_says_nothing(self):
        self.allow("tcp", 22, 22, cidr="0.0.0.0/0")
        handler.lambda_handler(self.event_for_group(), None)
        self.messages()
        before = self.ingress()
        report = handler.lambda_handler(self.event_for_group(), None)
        self.assertEqual(report["closed"], [])
        self.assertEqual(self.ingress(), before)
        self.assertEqual(self.messages(), [])

    def test_modify_security_group_rules_names_the_group_its_own_way(self):
        self.allow("tcp", 22, 22, cidr="0.0.0.0/0")
        event = {"detail": {"eventName": "ModifySecurityGroupRules", "requestParameters": {
            "ModifySecurityGroupRulesRequest": {"GroupId": self.group}}}}
        handler.lambda_handler(event, None)
        self.assertEqual(self.ingress(), [])

    def test_a_group_deleted_since_the_call_is_not_an_error(self):
        event = self.event_for_group()
        self.ec2.delete_security_group(GroupId=self.group)
        self.assertEqual(handler.lambda_handler(event, None)["closed"], [])

    def test_any_slash_zero_block_is_the_world(self):
        # Stratus's own record writes the world as 208.236.235.254/0.
        self.assertTrue(handler.is_world("208.236.235.254/0"))
        self.assertTrue(handler.is_world("::/0"))
        # Half the world is the internet too (issue 23: the world as two /1 halves).
        self.assertTrue(handler.is_world("0.0.0.0/1"))
        self.assertFalse(handler.is_world("10.0.0.0/8"))
        self.assertFalse(handler.is_world(None))

    def test_the_world_in_pieces_is_closed_every_piece(self):
        # Issue 23: each of these left SSH or RDP open to the internet.
        shapes = [
            [("0.0.0.0/1", None), ("128.0.0.0/1", None)],
            [("0.0.0.0/2", None), ("64.0.0.0/2", None), ("128.0.0.0/2", None), ("192.0.0.0/2", None)],
            [(None, "::/1"), (None, "8000::/1")],
            [(None, "2000::/3")],
        ]
        for shape in shapes:
            for port in (22, 3389):
                with self.subTest(shape=shape, port=port):
                    self.setUp()
                    for cidr, cidr6 in shape:
                        self.allow("tcp", port, port, cidr=cidr, cidr6=cidr6)
                    self.allow("tcp", port, port, cidr="203.0.113.7/32")  # an admin's address: stays
                    self.allow("tcp", port, port, cidr="198.51.100.0/24")  # an office: stays
                    self.allow("tcp", port, port, cidr="10.0.0.0/8")  # private: stays
                    self.allow("tcp", 443, 443, cidr="0.0.0.0/1")  # not an admin port: stays
                    report = handler.lambda_handler(self.event_for_group(), None)
                    self.assertEqual(len(report["closed"]), len(shape))
                    self.assertEqual(
                        self.ingress(),
                        sorted(
                            [
                                ("tcp", port, port, "10.0.0.0/8"),
                                ("tcp", port, port, "198.51.100.0/24"),
                                ("tcp", port, port, "203.0.113.7/32"),
                                ("tcp", 443, 443, "0.0.0.0/1"),
                            ]
                        ),
                    )

    def test_rdp_over_udp_is_closed(self):
        self.allow("udp", 3389, 3389, cidr="0.0.0.0/0")
        self.allow("udp", 53, 53, cidr="0.0.0.0/0")  # DNS: stays
        handler.lambda_handler(self.event_for_group(), None)
        self.assertEqual(self.ingress(), [("udp", 53, 53, "0.0.0.0/0")])

    def test_a_managed_prefix_list_holding_the_world_is_resolved_and_closed(self):
        world = self.ec2.create_managed_prefix_list(
            PrefixListName="everyone", MaxEntries=5, AddressFamily="IPv4",
            Entries=[{"Cidr": "0.0.0.0/0"}],
        )["PrefixList"]["PrefixListId"]
        office = self.ec2.create_managed_prefix_list(
            PrefixListName="office", MaxEntries=5, AddressFamily="IPv4",
            Entries=[{"Cidr": "198.51.100.0/24"}],
        )["PrefixList"]["PrefixListId"]
        for pl in (world, office):
            self.ec2.authorize_security_group_ingress(
                GroupId=self.group,
                IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": pl}]}],
            )
        report = handler.lambda_handler(self.event_for_group(), None)
        self.assertEqual([c["from"] for c in report["closed"]], [world])
        rules = self.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [self.group]}])
        left = [r.get("PrefixListId") for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
        self.assertEqual(left, [office])


if __name__ == "__main__":
    unittest.main()
