#!/bin/sh
# dns01 deploy hook: HAProxy wants certificate chain and private key in ONE file. This writes
# $HAPROXY_CERT_DIR/<name>.pem (fullchain + privkey, mode 600) atomically — a new file renamed
# over the old one, so HAProxy never reads half a key — then reloads HAProxy.
#
#   install -m 755 haproxy.sh /etc/dns01/hooks/haproxy.sh
#   dns01 issue -d example.com -d '*.example.com' --deploy-hook /etc/dns01/hooks/haproxy.sh
#
# haproxy.cfg loads every file of the directory and picks the certificate by SNI:
#   bind :443 ssl crt /etc/haproxy/certs/
#
# Environment: RENEWED_LINEAGE = the live/<name> directory, RENEWED_DOMAINS = the names (set by
# dns01); HAPROXY_CERT_DIR (default /etc/haproxy/certs), HAPROXY_RELOAD (default
# "systemctl reload haproxy"; empty = do not reload, e.g. when a runtime-API script follows).
# With the systemd unit of examples/systemd/, add ReadWritePaths=/etc/haproxy/certs.
set -eu

: "${RENEWED_LINEAGE:?is not set: run this as a dns01 --deploy-hook}"
cert_dir=${HAPROXY_CERT_DIR:-/etc/haproxy/certs}
reload=${HAPROXY_RELOAD-systemctl reload haproxy}
name=$(basename "$RENEWED_LINEAGE")
dest=$cert_dir/$name.pem

mkdir -p "$cert_dir"
umask 077
# The temporary file lives in the same directory, so the final mv is an atomic rename.
tmp=$(mktemp "$cert_dir/.$name.pem.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" >"$tmp"
chmod 600 "$tmp"
sync "$tmp"
mv -f "$tmp" "$dest"
trap - EXIT

if [ -n "$reload" ]; then
  $reload
fi
echo "haproxy: wrote $dest (${RENEWED_DOMAINS:-})"
