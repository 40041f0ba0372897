#!/bin/sh
# dns01 deploy hook: reload nginx after a certificate was issued or renewed.
#
#   install -m 755 nginx.sh /etc/dns01/hooks/nginx.sh
#   dns01 issue -d example.com -d '*.example.com' --deploy-hook /etc/dns01/hooks/nginx.sh
# The hook is stored with the certificate (renewal/<name>.toml), so `dns01 renew` runs it too.
#
# nginx reads the live/ symlinks, which always point at the newest matching cert and key:
#   ssl_certificate     /var/lib/dns01/live/example.com/fullchain.pem;
#   ssl_certificate_key /var/lib/dns01/live/example.com/privkey.pem;
#
# Environment (set by dns01, certbot's names): RENEWED_LINEAGE = the live/<name> directory,
# RENEWED_DOMAINS = the certificate's names, space-separated.
set -eu

: "${RENEWED_LINEAGE:?is not set: run this as a dns01 --deploy-hook}"

# A broken nginx configuration must not turn a renewal into an outage: test before reloading.
nginx -t -q
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx; then
  systemctl reload nginx
else
  nginx -s reload
fi
echo "nginx reloaded with $RENEWED_LINEAGE/fullchain.pem (${RENEWED_DOMAINS:-})"
