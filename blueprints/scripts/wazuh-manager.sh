#!/usr/bin/env bash
# Installs the Wazuh manager (all-in-one: indexer, server, dashboard) on Ubuntu.
# socform exports WAZUH_VERSION above this line.
set -euo pipefail
: "${WAZUH_VERSION:=4.7}"
curl -sO "https://packages.wazuh.com/${WAZUH_VERSION}/wazuh-install.sh"
bash ./wazuh-install.sh --all-in-one --ignore-check
