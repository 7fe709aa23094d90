"""scripts/ir-exercise.py against moto, in process, as far as moto goes.

moto cannot invoke the response function (no Docker), so the test plays EventBridge and
Lambda: when the exercise has opened its group, the test calls the real handler with the
event EventBridge would send and writes the handler's report into the function's log
group, as Lambda does with a function's stdout. Everything the exercise reads, it reads
from moto: the rule's removal and the log line. A second run with no response at all must
fail, and both must leave no group behind.
"""

import importlib.util
import io
import contextlib
import os
import pathlib
import unittest

import boto3
from moto import mock_aws

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exercise = load("ir_exercise", ROOT / "scripts" / "ir-exercise.py")
handler = load("handler", ROOT / "blueprints" / "responses" / "close-admin-port" / "handler.py")
FUNCTION = "wazuh-segmented-vpc-close-world-open-admin-port"


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, s):
        self.now += s


@mock_aws
class Exercise(unittest.TestCase):
    def setUp(self):
        os.environ.update(AWS_DEFAULT_REGION="us-east-1", ADMIN_PORTS="22,3389")
        os.environ.pop("TOPIC_ARN", None)
        self.ec2 = boto3.client("ec2", region_name="us-east-1")
        self.logs = boto3.client("logs", region_name="us-east-1")
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.logs.create_log_group(logGroupName=f"/aws/lambda/{FUNCTION}")
        self.logs.create_log_stream(logGroupName=f"/aws/lambda/{FUNCTION}", logStreamName="s")

    def groups(self):
        return [g["GroupName"] for g in self.ec2.describe_security_groups()["SecurityGroups"] if g.get("VpcId") == self.vpc]

    def test_a_change_undone_by_the_response_is_reported_detected_and_remediated(self):
        clock = FakeClock()
        responded = []

        def sleep(s):
            clock.sleep(s)
            if responded:
                return
            # EventBridge delivers the CloudTrail record about 4 s after the call.
            [group] = [g["GroupId"] for g in self.ec2.describe_security_groups()["SecurityGroups"]
                       if g["GroupName"].startswith("socform-ir-exercise-")]
            event = {"detail": {"eventName": "AuthorizeSecurityGroupIngress", "requestParameters": {"groupId": group}}}
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                handler.lambda_handler(event, None)
            self.logs.put_log_events(
                logGroupName=f"/aws/lambda/{FUNCTION}", logStreamName="s",
                logEvents=[{"timestamp": int(__import__("time").time() * 1000), "message": out.getvalue()}],
            )
            responded.append(group)

        report = exercise.run(self.ec2, self.logs, self.vpc, FUNCTION, within=60, timeout=300, clock=clock, sleep=sleep)
        self.assertEqual(report["verdict"], "pass", report)
        self.assertEqual(report["detected_after_s"], 2.0)
        self.assertEqual(report["remediated_after_s"], 2.0)
        self.assertEqual(self.groups(), ["default"], "the exercise's group is left behind")

    def test_no_response_is_a_failure_and_still_cleans_up(self):
        clock = FakeClock()
        report = exercise.run(self.ec2, self.logs, self.vpc, FUNCTION, within=60, timeout=30, clock=clock, sleep=clock.sleep)
        self.assertEqual(report["verdict"], "fail", report)
        self.assertIsNone(report["detected_after_s"])
        self.assertIsNone(report["remediated_after_s"])
        self.assertEqual(self.groups(), ["default"])


if __name__ == "__main__":
    unittest.main()
