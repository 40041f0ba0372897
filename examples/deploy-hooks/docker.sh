#!/bin/sh
# dns01 deploy hook for services in Docker containers: copies the certificate and key of the
# renewed lineage into a directory the containers bind-mount, then signals (or restarts) them.
#
#   install -m 755 docker.sh /etc/dns01/hooks/docker.sh
#   dns01 issue -d example.com -d '*.example.com' \
#     --deploy-hook 'DOCKER_CONTAINERS="web proxy" /etc/dns01/hooks/docker.sh'
#   docker run ... -v /srv/docker/certs/example.com:/etc/nginx/certs:ro nginx
#
# Copies, not the live/ symlinks: those point into ../../archive, which a container that mounts
# only live/<name> cannot follow, and mounting the whole storage directory would hand the
# containers the ACME account key too.
#
# Environment: RENEWED_LINEAGE = the live/<name> directory, RENEWED_DOMAINS = the names (set by
# dns01); DOCKER_CERT_DIR (default /srv/docker/certs; files go to $DOCKER_CERT_DIR/<name>/),
# DOCKER_CONTAINERS (space-separated names or IDs), DOCKER_SIGNAL (default HUP, which makes nginx
# and HAProxy reload; empty = `docker restart`), DOCKER_CERT_OWNER (optional uid:gid for the files,
# for containers that do not read them as root).
set -eu

: "${RENEWED_LINEAGE:?is not set: run this as a dns01 --deploy-hook}"
name=$(basename "$RENEWED_LINEAGE")
dest=${DOCKER_CERT_DIR:-/srv/docker/certs}/$name
signal=${DOCKER_SIGNAL-HUP}

mkdir -p "$dest"
umask 077
# Each file is written under a temporary name in the same directory and renamed over the old one.
tmp=
trap 'rm -f "$tmp"' EXIT
for file in cert.pem chain.pem fullchain.pem privkey.pem; do
  tmp=$(mktemp "$dest/.$file.XXXXXX")
  cp "$RENEWED_LINEAGE/$file" "$tmp"
  if [ "$file" = privkey.pem ]; then chmod 600 "$tmp"; else chmod 644 "$tmp"; fi
  if [ -n "${DOCKER_CERT_OWNER:-}" ]; then chown "$DOCKER_CERT_OWNER" "$tmp"; fi
  mv -f "$tmp" "$dest/$file"
done
tmp=

for container in ${DOCKER_CONTAINERS:-}; do
  if [ -n "$signal" ]; then
    docker kill --signal="$signal" "$container" >/dev/null
    echo "docker: sent SIG$signal to $container"
  else
    docker restart "$container" >/dev/null
    echo "docker: restarted $container"
  fi
done
echo "docker: certificates for ${RENEWED_DOMAINS:-$name} in $dest"
