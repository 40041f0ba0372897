#!/bin/sh
# dns01 failure hook (--failure-hook / DNS01_FAILURE_HOOK): runs when issue, renew or apply exit
# non-zero. dns01 passes the failure in the environment (docs/monitoring.md):
#   DNS01_COMMAND          issue | renew | apply
#   DNS01_EXIT_CODE        dns01's exit code (docs/cli.md)
#   DNS01_ERROR_CATEGORY   acme, provider, propagation, network, storage, ...
#   DNS01_ERROR            the error message, one line, secrets redacted
#   DNS01_FAILED_LINEAGES  the certificates that failed in this run, space-separated
# The hook's own failure is logged as a warning and never changes dns01's exit code.
set -u

subject="dns01 $DNS01_COMMAND failed on $(hostname) (exit $DNS01_EXIT_CODE, $DNS01_ERROR_CATEGORY)"
body="certificates: ${DNS01_FAILED_LINEAGES:-(none named)}
error: $DNS01_ERROR"

# Always in the system log, where log monitoring can pick it up.
logger -t dns01-failure -p daemon.err "$subject: ${DNS01_FAILED_LINEAGES:-} $DNS01_ERROR"

# Mail, when the host can send it: set NOTIFY_MAIL (e.g. Environment=NOTIFY_MAIL=ops@example.com
# in the drop-in). Not DNS01_NOTIFY_MAIL: hooks never see DNS01_* variables of the process.
if [ -n "${NOTIFY_MAIL:-}" ] && command -v mail >/dev/null 2>&1; then
  printf '%s\n' "$body" | mail -s "$subject" "$NOTIFY_MAIL"
fi

# A chat webhook (Slack/Mattermost-style JSON); python3 builds the JSON so quotes in the
# message cannot break it.
if [ -n "${NOTIFY_WEBHOOK_URL:-}" ]; then
  python3 -c 'import json, sys; print(json.dumps({"text": sys.argv[1] + "\n" + sys.argv[2]}))' \
    "$subject" "$body" |
    curl -fsS --max-time 20 -H 'Content-Type: application/json' --data-binary @- "$NOTIFY_WEBHOOK_URL"
fi
