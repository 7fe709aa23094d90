#!/usr/bin/env bash
# Installs Elastic Agent and enrols it with the Fleet Server.
# socform exports FLEET_URL and TOKEN_PARAMETER above this line; the token itself is read
# from SSM Parameter Store at boot and never travels in user data. The Kibana host writes it
# once Fleet runs: until then the parameter holds socform's placeholder, enrolment fails,
# and this retries.
set -euo pipefail
: "${FLEET_URL:?socform passes the Fleet Server URL}"
: "${TOKEN_PARAMETER:?socform passes the parameter holding the enrollment token}"
version=8.13.4
apt-get update && apt-get install -y awscli
cd /opt
curl -fsSLO "https://artifacts.elastic.co/downloads/beats/elastic-agent/elastic-agent-${version}-linux-x86_64.tar.gz"
tar xzf "elastic-agent-${version}-linux-x86_64.tar.gz"
for attempt in $(seq 1 60); do
  token=$(aws ssm get-parameter --with-decryption --name "${TOKEN_PARAMETER}" --query Parameter.Value --output text)
  if "./elastic-agent-${version}-linux-x86_64/elastic-agent" install --non-interactive \
    --url="${FLEET_URL}" --enrollment-token="${token}" --insecure; then
    exit 0
  fi
  echo "attempt ${attempt}: the enrollment token is not ready; retrying in 30 s" >&2
  sleep 30
done
exit 1
