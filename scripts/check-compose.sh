#!/usr/bin/env bash
# Validates docker-compose.yml, single node and the cluster profile, without a Docker engine.
# CI calls it; it exits non-zero when either configuration does not parse.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "check-compose: neither 'docker compose' nor 'docker-compose' is installed (apt-get install -y docker-compose)" >&2
  exit 2
fi

echo "check-compose: single node"
single=$("${compose[@]}" config)
echo "check-compose: cluster profile"
cluster=$("${compose[@]}" --profile cluster config)

# The server refuses to start with the old external-TCP settings (24.2 and later). Checked on the
# rendered configuration, so comments that name the settings do not count.
if printf '%s\n%s\n' "$single" "$cluster" | grep -Eq 'EVENTSTORE_(EXT_TCP_PORT|ENABLE_EXTERNAL_TCP)'; then
  echo "check-compose: docker-compose.yml sets an external-TCP option that EventStoreDB 24.2+ refuses" >&2
  exit 1
fi
echo "check-compose: ok"
