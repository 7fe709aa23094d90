#!/usr/bin/env bash
# Installs Elastic Agent as a Fleet Server pointed at Elasticsearch, with the service token
# the Kibana host writes to SSM once Elasticsearch runs: until then the parameter holds
# socform's placeholder, the install fails, and this retries.
# socform exports ELASTICSEARCH_HOST and SERVICE_TOKEN_PARAMETER above this line.
set -euo pipefail
: "${ELASTICSEARCH_HOST:?socform passes the Elasticsearch address}"
: "${SERVICE_TOKEN_PARAMETER:?socform passes the service token parameter}"
version=8.13.4
apt-get update && apt-get install -y awscli
cd /opt
curl -fsSLO "https://artifacts.elastic.co/downloads/beats/elastic-agent/elastic-agent-${version}-linux-x86_64.tar.gz"
tar xzf "elastic-agent-${version}-linux-x86_64.tar.gz"
for attempt in $(seq 1 60); do
  token=$(aws ssm get-parameter --with-decryption --name "${SERVICE_TOKEN_PARAMETER}" --query Parameter.Value --output text)
  if "./elastic-agent-${version}-linux-x86_64/elastic-agent" install --non-interactive \
    --fleet-server-es="${ELASTICSEARCH_HOST}" --fleet-server-service-token="${token}" \
    --fleet-server-policy=fleet-server-policy --fleet-server-es-insecure; then
    exit 0
  fi
  echo "attempt ${attempt}: the service token is not ready; retrying in 30 s" >&2
  sleep 30
done
exit 1
