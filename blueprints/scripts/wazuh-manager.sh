#!/usr/bin/env bash
# Installs the Wazuh manager (all-in-one: indexer, server, dashboard) on Ubuntu, and turns on
# what the write-up (seed 001) uses: the aws-s3 module reading the trail's bucket, file
# integrity monitoring, and active response (firewall-drop on SSH brute force).
# socform exports WAZUH_VERSION, TRAIL_BUCKET and AWS_REGION above this line.
set -euo pipefail
: "${WAZUH_VERSION:=4.7}"
curl -sO "https://packages.wazuh.com/${WAZUH_VERSION}/wazuh-install.sh"
bash ./wazuh-install.sh --all-in-one --ignore-check

# The aws-s3 module runs on Wazuh's own Python and needs boto3; it reads the bucket with the
# instance role (the blueprint's `wazuh` role may read the trail's bucket, nothing more).
/var/ossec/framework/python/bin/pip3 install --quiet boto3

# Wazuh reads every <ossec_config> block of the file: ours goes after the installer's.
cat >> /var/ossec/etc/ossec.conf <<CONF
<ossec_config>
  <wodle name="aws-s3">
    <disabled>no</disabled>
    <interval>10m</interval>
    <run_on_start>yes</run_on_start>
    <skip_on_error>yes</skip_on_error>
    <bucket type="cloudtrail">
      <name>${TRAIL_BUCKET}</name>
      <regions>${AWS_REGION:-us-east-1}</regions>
    </bucket>
  </wodle>

  <syscheck>
    <disabled>no</disabled>
    <frequency>43200</frequency>
    <directories realtime="yes" check_all="yes" report_changes="yes">/etc,/usr/bin,/usr/sbin</directories>
    <directories realtime="yes" check_all="yes">/bin,/sbin,/boot</directories>
  </syscheck>

  <!-- 5763: sshd brute force. The attacking address is dropped for ten minutes. -->
  <active-response>
    <command>firewall-drop</command>
    <location>local</location>
    <rules_id>5763</rules_id>
    <timeout>600</timeout>
  </active-response>
</ossec_config>
CONF
systemctl restart wazuh-manager
