#!/usr/bin/env bash
# Installs osTicket on Apache, PHP and MariaDB.
set -euo pipefail
apt-get update
apt-get install -y apache2 mariadb-server php php-mysql php-imap php-intl php-apcu php-xml php-mbstring unzip
cd /tmp
curl -fsSLO https://github.com/osTicket/osTicket/releases/download/v1.18.1/osTicket-v1.18.1.zip
unzip -o osTicket-v1.18.1.zip -d osticket
cp -r osticket/upload/. /var/www/html/
cp /var/www/html/include/ost-sampleconfig.php /var/www/html/include/ost-config.php
chown -R www-data:www-data /var/www/html
systemctl enable --now apache2 mariadb
