#!/bin/sh
# dns01 deploy hook: gracefully reload Apache httpd after a certificate was issued or renewed.
#
#   install -m 755 apache.sh /etc/dns01/hooks/apache.sh
#   dns01 issue -d example.com -d '*.example.com' --deploy-hook /etc/dns01/hooks/apache.sh
#
# The virtual host reads the live/ symlinks (Apache 2.4.8 and later take the full chain in
# SSLCertificateFile):
#   SSLCertificateFile    /var/lib/dns01/live/example.com/fullchain.pem
#   SSLCertificateKeyFile /var/lib/dns01/live/example.com/privkey.pem
#
# Environment (set by dns01): RENEWED_LINEAGE = the live/<name> directory, RENEWED_DOMAINS = the
# certificate's names, space-separated.
set -eu

: "${RENEWED_LINEAGE:?is not set: run this as a dns01 --deploy-hook}"

# Debian calls it apache2ctl and apache2, other systems apachectl and httpd.
if command -v apache2ctl >/dev/null 2>&1; then ctl=apache2ctl unit=apache2; else ctl=apachectl unit=httpd; fi

# Test the configuration first: a graceful reload of a broken one would stop Apache.
"$ctl" -t
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$unit"; then
  systemctl reload "$unit"
else
  "$ctl" -k graceful
fi
echo "$unit reloaded with $RENEWED_LINEAGE/fullchain.pem (${RENEWED_DOMAINS:-})"
