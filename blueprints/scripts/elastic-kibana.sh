#!/usr/bin/env bash
# Installs Elasticsearch and Kibana from Elastic's APT repository.
set -euo pipefail
curl -fsSL https://artifacts.elastic.co/GPG-KEY-elasticsearch | gpg --dearmor -o /usr/share/keyrings/elastic.gpg
echo "deb [signed-by=/usr/share/keyrings/elastic.gpg] https://artifacts.elastic.co/packages/8.x/apt stable main" > /etc/apt/sources.list.d/elastic-8.x.list
apt-get update
apt-get install -y elasticsearch kibana
sed -i 's/^#\?server.host:.*/server.host: "0.0.0.0"/' /etc/kibana/kibana.yml
systemctl daemon-reload
systemctl enable --now elasticsearch kibana
