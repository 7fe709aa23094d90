#!/usr/bin/env bash
# Installs osTicket on Apache, PHP and MariaDB, runs its installer without a browser, and
# makes the API key Kibana's webhook uses: bound to the Kibana host's address (osTicket
# accepts a key only from the address it names) and written to the SSM SecureString
# parameter socform created for it. The admin password stays on this host (root, 0600).
# socform exports KIBANA_IP and API_KEY_PARAMETER above this line.
set -euo pipefail
: "${KIBANA_IP:?socform passes the address of the Kibana host}"
: "${API_KEY_PARAMETER:?socform passes the parameter for the API key}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y apache2 mariadb-server php php-mysql php-imap php-intl php-apcu php-xml php-mbstring unzip awscli openssl
cd /tmp
curl -fsSLO https://github.com/osTicket/osTicket/releases/download/v1.18.1/osTicket-v1.18.1.zip
unzip -o osTicket-v1.18.1.zip -d osticket
cp -r osticket/upload/. /var/www/html/
rm -f /var/www/html/index.html
cp /var/www/html/include/ost-sampleconfig.php /var/www/html/include/ost-config.php
chown -R www-data:www-data /var/www/html
systemctl enable --now apache2 mariadb

db_pass=$(openssl rand -hex 16)
admin_pass=$(openssl rand -hex 16)
install -m 0600 /dev/null /root/osticket-admin-password
printf '%s' "${admin_pass}" > /root/osticket-admin-password
mysql -e "CREATE DATABASE IF NOT EXISTS osticket; CREATE USER IF NOT EXISTS 'osticket'@'localhost' IDENTIFIED BY '${db_pass}'; GRANT ALL ON osticket.* TO 'osticket'@'localhost';"
curl -fsS -o /dev/null -X POST http://localhost/setup/install.php \
  --data-urlencode "s=install" --data-urlencode "name=SOC lab help desk" \
  --data-urlencode "email=helpdesk@example.com" --data-urlencode "fname=SOC" --data-urlencode "lname=Admin" \
  --data-urlencode "admin_email=admin@example.com" --data-urlencode "username=ostadmin" \
  --data-urlencode "passwd=${admin_pass}" --data-urlencode "passwd2=${admin_pass}" \
  --data-urlencode "prefix=ost_" --data-urlencode "dbhost=localhost" --data-urlencode "dbname=osticket" \
  --data-urlencode "dbuser=osticket" --data-urlencode "dbpass=${db_pass}" \
  --data-urlencode "lang_id=en_US" --data-urlencode "timezone=UTC"
chmod 0644 /var/www/html/include/ost-config.php
rm -rf /var/www/html/setup

# The API key Kibana's webhook sends, valid from the Kibana host only.
key=$(openssl rand -hex 16 | tr 'a-f' 'A-F')
mysql osticket -e "INSERT INTO ost_api_key (isactive, ipaddr, apikey, can_create_tickets, can_exec_cron, notes, updated, created) VALUES (1, '${KIBANA_IP}', '${key}', 1, 0, 'Kibana alerts (socform)', NOW(), NOW());"
file=$(mktemp)
printf '%s' "${key}" > "${file}"
aws ssm put-parameter --overwrite --type SecureString --name "${API_KEY_PARAMETER}" --value "file://${file}" > /dev/null
rm -f "${file}"
