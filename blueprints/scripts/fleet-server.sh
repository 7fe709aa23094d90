#!/usr/bin/env bash
# Installs Elastic Agent as a Fleet Server pointed at Elasticsearch.
# socform exports ELASTICSEARCH_HOST above this line.
set -euo pipefail
: "${ELASTICSEARCH_HOST:?socform passes the Elasticsearch address}"
version=8.13.4
cd /opt
curl -fsSLO "https://artifacts.elastic.co/downloads/beats/elastic-agent/elastic-agent-${version}-linux-x86_64.tar.gz"
tar xzf "elastic-agent-${version}-linux-x86_64.tar.gz"
token=$(aws ssm get-parameter --with-decryption --name /elastic-fleet-osticket/fleet/service-token --query Parameter.Value --output text || true)
if [ -n "${token}" ]; then
  "./elastic-agent-${version}-linux-x86_64/elastic-agent" install --non-interactive \
    --fleet-server-es="${ELASTICSEARCH_HOST}" --fleet-server-service-token="${token}" \
    --fleet-server-policy=fleet-server-policy
fi
