#!/usr/bin/env bash
# Installs the Wazuh agent on Amazon Linux 2023 and enrols it with the manager.
# socform exports WAZUH_MANAGER (the manager's private address) above this line.
set -euo pipefail
: "${WAZUH_MANAGER:?socform passes the manager address}"
rpm --import https://packages.wazuh.com/key/GPG-KEY-WAZUH
cat > /etc/yum.repos.d/wazuh.repo <<REPO
[wazuh]
gpgcheck=1
gpgkey=https://packages.wazuh.com/key/GPG-KEY-WAZUH
enabled=1
name=EL-\$releasever - Wazuh
baseurl=https://packages.wazuh.com/4.x/yum/
protect=1
REPO
WAZUH_MANAGER="${WAZUH_MANAGER}" dnf install -y wazuh-agent
systemctl daemon-reload
systemctl enable --now wazuh-agent
