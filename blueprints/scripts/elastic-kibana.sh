#!/usr/bin/env bash
# Installs Elasticsearch and Kibana from Elastic's APT repository, then makes the lab's Fleet
# tokens itself: a service token for the Fleet Server and an agent policy with its
# enrollment token, each written to the SSM SecureString parameter socform created for it
# (with a random placeholder). The Fleet Server and the agents retry until the token they
# read works, so the lab needs nothing exported by hand.
# socform exports ENROLLMENT_TOKEN_PARAMETER, SERVICE_TOKEN_PARAMETER, OSTICKET_URL and
# OSTICKET_KEY_PARAMETER above this line.
set -euo pipefail
: "${ENROLLMENT_TOKEN_PARAMETER:?socform passes the enrollment token parameter}"
: "${SERVICE_TOKEN_PARAMETER:?socform passes the service token parameter}"
: "${OSTICKET_URL:?socform passes the URL of the osTicket ticket API}"
: "${OSTICKET_KEY_PARAMETER:?socform passes the parameter holding the osTicket API key}"
curl -fsSL https://artifacts.elastic.co/GPG-KEY-elasticsearch | gpg --dearmor -o /usr/share/keyrings/elastic.gpg
echo "deb [signed-by=/usr/share/keyrings/elastic.gpg] https://artifacts.elastic.co/packages/8.x/apt stable main" > /etc/apt/sources.list.d/elastic-8.x.list
apt-get update
apt-get install -y elasticsearch kibana jq awscli
sed -i 's/^#\?server.host:.*/server.host: "0.0.0.0"/' /etc/kibana/kibana.yml
systemctl daemon-reload
systemctl enable --now elasticsearch

# The elastic superuser's password, made here and kept on this host only (root, 0600).
password=$(/usr/share/elasticsearch/bin/elasticsearch-reset-password -u elastic -b -s)
install -m 0600 /dev/null /root/elastic-password
printf '%s' "${password}" > /root/elastic-password
es() { curl -fsS --cacert /etc/elasticsearch/certs/http_ca.crt -u "elastic:${password}" "$@"; }
# A token goes to SSM from a 0600 file, never on a command line other processes can read.
put_secret() {
  local file
  file=$(mktemp)
  printf '%s' "$2" > "${file}"
  aws ssm put-parameter --overwrite --type SecureString --name "$1" --value "file://${file}" > /dev/null
  rm -f "${file}"
}
until es https://localhost:9200/_cluster/health > /dev/null; do sleep 5; done

# Kibana talks to Elasticsearch with an enrollment token of its own.
/usr/share/kibana/bin/kibana-setup --enrollment-token "$(/usr/share/elasticsearch/bin/elasticsearch-create-enrollment-token -s kibana)"
systemctl enable --now kibana
kb() { curl -fsS -u "elastic:${password}" -H 'kbn-xsrf: socform' -H 'Content-Type: application/json' "$@"; }
until kb http://localhost:5601/api/status > /dev/null; do sleep 10; done
kb -X POST http://localhost:5601/api/fleet/setup > /dev/null

# Fleet Server: its policy and a service token.
kb -X POST http://localhost:5601/api/fleet/agent_policies?sys_monitoring=true \
  -d '{"id":"fleet-server-policy","name":"Fleet Server","namespace":"default","has_fleet_server":true}' > /dev/null || true
service_token=$(es -X POST https://localhost:9200/_security/service/elastic/fleet-server/credential/token/socform | jq -r .token.value)
put_secret "${SERVICE_TOKEN_PARAMETER}" "${service_token}"

# The agents: their policy, and its enrollment token.
kb -X POST http://localhost:5601/api/fleet/agent_policies?sys_monitoring=true \
  -d '{"id":"lab-agents","name":"Lab agents","namespace":"default"}' > /dev/null || true
enrollment_token=$(kb "http://localhost:5601/api/fleet/enrollment_api_keys" | jq -r '.items[] | select(.policy_id == "lab-agents") | .api_key' | head -n 1)
put_secret "${ENROLLMENT_TOKEN_PARAMETER}" "${enrollment_token}"

# Alerts become tickets: wait for the help desk's API key (32 hexadecimal characters; until
# then the parameter holds socform's placeholder), then a webhook connector to osTicket's
# ticket API and a rule that opens a ticket when failed logons appear.
for attempt in $(seq 1 120); do
  ticket_key=$(aws ssm get-parameter --with-decryption --name "${OSTICKET_KEY_PARAMETER}" --query Parameter.Value --output text)
  if [[ "${ticket_key}" =~ ^[0-9A-F]{32}$ ]]; then
    break
  fi
  echo "attempt ${attempt}: the help desk's API key is not ready; retrying in 30 s" >&2
  sleep 30
done
connector=$(kb -X POST http://localhost:5601/api/actions/connector -d "$(jq -n --arg url "${OSTICKET_URL}" --arg key "${ticket_key}" \
  '{name: "osTicket", connector_type_id: ".webhook", config: {url: $url, method: "post", hasAuth: false, headers: {"X-API-Key": $key, "Content-Type": "application/json"}}, secrets: {}}')" | jq -r .id)
kb -X POST http://localhost:5601/api/alerting/rule -d "$(jq -n --arg connector "${connector}" '{
  name: "Failed logons become tickets", rule_type_id: ".es-query", consumer: "alerts",
  schedule: {interval: "1m"},
  params: {searchType: "esQuery", index: ["logs-*"], timeField: "@timestamp",
    esQuery: "{\"query\":{\"match\":{\"event.outcome\":\"failure\"}}}", size: 100,
    threshold: [0], thresholdComparator: ">", timeWindowSize: 5, timeWindowUnit: "m"},
  actions: [{id: $connector, group: "query matched", params: {body: "{\"name\":\"Kibana\",\"email\":\"soc@example.com\",\"subject\":\"{{rule.name}}\",\"message\":\"{{context.message}}\"}"}}]
}')" > /dev/null
