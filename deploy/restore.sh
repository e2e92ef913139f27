#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into DATABASE_URL.
#
#   systemctl stop automotive-chat
#   DATABASE_URL=postgresql://... deploy/restore.sh /var/backups/automotive-chat/FILE.sql.gz
#   systemctl start automotive-chat
#
# All or nothing: one transaction that stops at the first error. The tables in the dump
# are replaced; the database itself must exist (an empty one is fine).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=pg-url.sh
. "$(dirname "$0")/pg-url.sh"

if [ "$#" -ne 1 ]; then
  echo "usage: ${0##*/} FILE.sql.gz" >&2
  exit 2
fi
file=$1
: "${DATABASE_URL:?DATABASE_URL is not set}"
if [ ! -r "$file" ]; then
  echo "restore: cannot read $file" >&2
  exit 2
fi
# A truncated file would still end the transaction with COMMIT: check it whole first.
if ! gzip -t "$file"; then
  echo "restore: $file is damaged; nothing was changed" >&2
  exit 1
fi

pg_url_split "$DATABASE_URL"
gunzip -c "$file" |
  psql --dbname="$PG_URL" --no-psqlrc --quiet --single-transaction \
    --set ON_ERROR_STOP=1 --output=/dev/null
echo "restore: $file restored"
