#!/usr/bin/env bash
# The attack box: a Kali-like Ubuntu host with the usual tools, for exercises run from the
# lab's own attack segment (its security groups let it reach the lab's public edges only).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y nmap hydra sqlmap nikto john smbclient netcat-openbsd dnsutils whois curl git python3-pip
# Metasploit Framework, from Rapid7's installer.
curl -fsSL https://raw.githubusercontent.com/rapid7/metasploit-omnibus/master/config/templates/metasploit-framework-wrappers/msfupdate.erb -o /tmp/msfinstall
chmod 755 /tmp/msfinstall
/tmp/msfinstall
