#!/usr/bin/env bash
# Deploy to Google App Engine (standard, Python 3.11) with deploy/gcp/app.yaml.
#
#   GCP_PROJECT=my-project deploy/gcp/app-engine.sh
#
# Secrets are read from Secret Manager at deploy time and written only into a temporary
# staging copy of the app. Secret names, each overridable:
#   SESSION_SECRET_NAME      automotive-chat-session-secret
#   DATABASE_URL_NAME        automotive-chat-database-url
#                            e.g. postgresql://USER:PASSWORD@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE
#   REDIS_URL_NAME           automotive-chat-redis-url (Memorystore: set GAE_VPC_CONNECTOR)
#   OPENROUTER_API_KEY_NAME  automotive-chat-openrouter-api-key (set it empty to skip)
# GAE_VPC_CONNECTOR: projects/PROJECT/locations/REGION/connectors/NAME (optional).
set -euo pipefail
umask 077

project=${GCP_PROJECT:?set GCP_PROJECT}
root=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# What git knows (no .venv, instance/, .env); tests and benchmarks stay out.
cd "$root"
git ls-files --cached --others --exclude-standard -z |
  while IFS= read -r -d '' path; do
    case "$path" in tests/* | bench/* | .ci/* | deploy/aws/* | deploy/gcp/*) continue ;; esac
    [ -f "$path" ] || continue
    mkdir -p "$stage/$(dirname "$path")"
    cp -p "$path" "$stage/$path"
  done

{
  if [ -n "${GAE_VPC_CONNECTOR:-}" ]; then
    printf 'vpc_access_connector:\n  name: %s\n\n' "$GAE_VPC_CONNECTOR"
  fi
  cat deploy/gcp/app.yaml
  for pair in \
    "SESSION_SECRET=${SESSION_SECRET_NAME:-automotive-chat-session-secret}" \
    "DATABASE_URL=${DATABASE_URL_NAME:-automotive-chat-database-url}" \
    "REDIS_URL=${REDIS_URL_NAME:-automotive-chat-redis-url}" \
    "OPENROUTER_API_KEY=${OPENROUTER_API_KEY_NAME-automotive-chat-openrouter-api-key}"; do
    [ -n "${pair#*=}" ] || continue
    # A JSON string is a valid YAML scalar: any character of the secret stays quoted.
    gcloud secrets versions access latest --project "$project" --secret "${pair#*=}" |
      python3 -c 'import json, sys; print(f"  {sys.argv[1]}: {json.dumps(sys.stdin.read())}")' \
        "${pair%%=*}"
  done
} >"$stage/app.yaml"

gcloud app deploy "$stage/app.yaml" --project "$project" --quiet
