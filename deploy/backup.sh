#!/usr/bin/env bash
# Back up the database: pg_dump of DATABASE_URL, gzip-compressed, into BACKUP_DIR.
#
#   DATABASE_URL=postgresql://... BACKUP_DIR=/var/backups/automotive-chat deploy/backup.sh
#
# BACKUP_RETENTION_DAYS (30): backups older than this are deleted after a good one.
# BACKUP_UPLOAD_CMD (optional): a bash command run with the new file as $1, e.g.
#   'aws s3 cp --only-show-errors "$1" s3://my-bucket/automotive-chat/'
# Restore with deploy/restore.sh FILE.
set -euo pipefail
# The dump holds every conversation: readable by its owner only.
umask 077

# shellcheck source-path=SCRIPTDIR source=pg-url.sh
. "$(dirname "$0")/pg-url.sh"

: "${DATABASE_URL:?DATABASE_URL is not set}"
backup_dir=${BACKUP_DIR:-/var/backups/automotive-chat}
retention_days=${BACKUP_RETENTION_DAYS:-30}
if ! [[ $retention_days =~ ^[0-9]+$ ]]; then
  echo "backup: BACKUP_RETENTION_DAYS must be a whole number of days, got '$retention_days'" >&2
  exit 2
fi

pg_url_split "$DATABASE_URL"
mkdir -p "$backup_dir"

file="$backup_dir/automotive-chat-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

# --clean --if-exists: a restore replaces the tables it finds instead of failing on them.
# --no-owner --no-privileges: restorable as whichever role owns the target database.
pg_dump --dbname="$PG_URL" --clean --if-exists --no-owner --no-privileges |
  gzip -9 >"$partial"
# Only a complete dump gets the final name, so a failed run never looks like a backup.
mv "$partial" "$file"
trap - EXIT
echo "backup: wrote $file ($(wc -c <"$file") bytes)"

if [ -n "${BACKUP_UPLOAD_CMD:-}" ]; then
  bash -c "$BACKUP_UPLOAD_CMD" backup-upload "$file"
  echo "backup: uploaded $file"
fi

# Old backups go only after a new one exists, so a failing job never empties the folder.
find "$backup_dir" -maxdepth 1 -type f -name 'automotive-chat-*.sql.gz' \
  -mtime +"$retention_days" -print -delete | sed 's/^/backup: deleted /'
