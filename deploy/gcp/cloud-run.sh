#!/usr/bin/env bash
# Deploy to Google Cloud Run: the Dockerfile built by Cloud Build, port 8000, secrets from
# Secret Manager, PostgreSQL on Cloud SQL, Redis on Memorystore.
#
#   GCP_PROJECT=my-project CLOUD_SQL_INSTANCE=my-project:europe-west1:automotive-chat \
#     deploy/gcp/cloud-run.sh
#
# Optional: GCP_REGION (europe-west1), CLOUD_RUN_SERVICE (automotive-chat), VERSION,
# GCP_NETWORK and GCP_SUBNET (Direct VPC egress, to reach Memorystore).
# The secrets (Secret Manager names; the runtime service account needs the Secret
# Manager Secret Accessor role): automotive-chat-session-secret,
# automotive-chat-database-url (postgresql://USER:PASSWORD@/DB?host=/cloudsql/INSTANCE),
# automotive-chat-redis-url, automotive-chat-openrouter-api-key.
set -euo pipefail

project=${GCP_PROJECT:?set GCP_PROJECT}
cloud_sql=${CLOUD_SQL_INSTANCE:?set CLOUD_SQL_INSTANCE (PROJECT:REGION:INSTANCE)}
region=${GCP_REGION:-europe-west1}
service=${CLOUD_RUN_SERVICE:-automotive-chat}
version=${VERSION:-$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo dev)}

cd "$(dirname "$0")/../.."

args=(
  run deploy "$service"
  --project "$project"
  --region "$region"
  --source .
  # The image listens on BIND=0.0.0.0:8000 (Dockerfile); Cloud Run sends traffic there.
  --port 8000
  --set-env-vars "FLASK_ENV=production,BIND=0.0.0.0:8000,PROXY_COUNT=1,WORKERS=2,VERSION=$version"
  --set-secrets "SESSION_SECRET=automotive-chat-session-secret:latest,DATABASE_URL=automotive-chat-database-url:latest,REDIS_URL=automotive-chat-redis-url:latest,OPENROUTER_API_KEY=automotive-chat-openrouter-api-key:latest"
  --add-cloudsql-instances "$cloud_sql"
  # Cloud Run limits a whole request, streams included: a long streamed reply keeps
  # going as long as tokens arrive, so leave it far more than Gunicorn's 120 s.
  --timeout 900
  # Gevent workers hold many waiting chats per instance.
  --concurrency 200
  --cpu 1
  --memory 1Gi
  --allow-unauthenticated
)
if [ -n "${GCP_NETWORK:-}" ]; then
  args+=(--network "$GCP_NETWORK" --subnet "${GCP_SUBNET:-$GCP_NETWORK}" --vpc-egress private-ranges-only)
fi

gcloud "${args[@]}"
