#!/usr/bin/env bash
# Installs the Wazuh agent and enrols it with the manager.
# socform exports WAZUH_MANAGER (the manager's private address) above this line.
set -euo pipefail
: "${WAZUH_MANAGER:?socform passes the manager address}"
curl -s https://packages.wazuh.com/key/GPG-KEY-WAZUH | gpg --dearmor -o /usr/share/keyrings/wazuh.gpg
echo "deb [signed-by=/usr/share/keyrings/wazuh.gpg] https://packages.wazuh.com/4.x/apt/ stable main" > /etc/apt/sources.list.d/wazuh.list
apt-get update
WAZUH_MANAGER="${WAZUH_MANAGER}" apt-get install -y wazuh-agent
systemctl daemon-reload
systemctl enable --now wazuh-agent
