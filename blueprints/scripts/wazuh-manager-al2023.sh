#!/usr/bin/env bash
# Installs the Wazuh central components (indexer, server, dashboard) on Amazon Linux 2023.
# socform exports WAZUH_VERSION above this line. The dashboard is reached through an SSM
# port forward (aws ssm start-session --document-name AWS-StartPortForwardingSession).
set -euo pipefail
: "${WAZUH_VERSION:=4.7}"
dnf install -y curl tar
cd /root
curl -sO "https://packages.wazuh.com/${WAZUH_VERSION}/wazuh-install.sh"
bash ./wazuh-install.sh --all-in-one --ignore-check
