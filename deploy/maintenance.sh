#!/usr/bin/env bash
# Routine upkeep for a Gunicorn + systemd install.
#
#   deploy/maintenance.sh clean-sessions   delete expired file sessions (hourly timer)
#   deploy/maintenance.sh reload           graceful reload: new workers, streams finish
#   deploy/maintenance.sh logs             where the logs are and how they rotate
#
# Reads INSTANCE_PATH, REDIS_URL and PIDFILE like the app (systemd passes the same env).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

clean_sessions() {
  if [ -n "${REDIS_URL:-}" ]; then
    echo "maintenance: sessions are in Redis, which expires them by itself"
    return 0
  fi
  local dir="${INSTANCE_PATH:-$root/instance}/sessions"
  if [ ! -d "$dir" ]; then
    echo "maintenance: no file sessions in $dir"
    return 0
  fi
  # Files written as root would be unreadable to the app: run as the directory's owner.
  if [ "$(id -u)" = 0 ] && [ "$(stat -c %u "$dir")" != 0 ]; then
    echo "maintenance: run as the owner of $dir: sudo -u $(stat -c %U "$dir") $0 clean-sessions" >&2
    return 1
  fi
  local python=python3
  if [ -x "$root/.venv/bin/python" ]; then
    python="$root/.venv/bin/python"
  fi
  # cachelib's file format: each file starts with its expiry time (4 bytes, native
  # order; 0 = never). After the deletions cachelib recounts the files, so the count it
  # keeps for the app's size limit (threshold) stays right.
  "$python" - "$dir" <<'PY'
import hashlib
import os
import struct
import sys
import time

from cachelib.file import FileSystemCache

directory = sys.argv[1]
count_file = hashlib.sha256(FileSystemCache._fs_count_file.encode()).hexdigest()
now = time.time()
removed = kept = 0
for name in os.listdir(directory):
    path = os.path.join(directory, name)
    if name == count_file or name.endswith(FileSystemCache._fs_transaction_suffix):
        continue
    if not os.path.isfile(path):
        continue
    try:
        with open(path, "rb") as handle:
            (expires,) = struct.unpack("I", handle.read(4))
    except (OSError, struct.error):
        continue  # being written right now, or not a session file
    if expires != 0 and expires < now:
        try:
            os.remove(path)
            removed += 1
        except FileNotFoundError:
            pass
    else:
        kept += 1
# Opening the cache recounts its files (the count file itself excluded).
FileSystemCache(directory, threshold=100_000, mode=0o600)
print(f"maintenance: removed {removed} expired sessions, {kept} files kept in {directory}")
PY
}

reload() {
  # Gunicorn re-reads gunicorn.conf.py, starts new workers and lets the old ones finish
  # their requests (graceful_timeout). The app is preloaded: the new workers run the code
  # loaded at start, so a new release needs a restart (`systemctl restart automotive-chat`).
  if [ -n "${PIDFILE:-}" ] && [ -s "$PIDFILE" ]; then
    kill -HUP "$(cat "$PIDFILE")"
    echo "maintenance: sent HUP to the Gunicorn master ($PIDFILE)"
  elif command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet automotive-chat; then
    systemctl reload automotive-chat
    echo "maintenance: systemctl reload automotive-chat"
  else
    echo "maintenance: automotive-chat is not a running systemd service and PIDFILE" \
      "names no pid file (Gunicorn writes one when PIDFILE is set)" >&2
    return 1
  fi
}

logs() {
  cat <<'TEXT'
Gunicorn writes its access and error log to stdout/stderr:
  - under systemd they go to the journal: journalctl -u automotive-chat -f
    The journal rotates itself; cap it in /etc/systemd/journald.conf, e.g.
    SystemMaxUse=1G and MaxRetentionSec=1month, then systemctl restart systemd-journald.
  - in Docker they go to the container log: docker compose logs -f app
    Cap it per service (logging: options: max-size: "10m", max-file: "5").
Nginx logs to /var/log/nginx/ and Debian's /etc/logrotate.d/nginx rotates them daily.
If you redirect Gunicorn to a file instead, rotate it with a logrotate rule like:
  /var/log/automotive-chat/*.log {
      daily
      rotate 14
      compress
      delaycompress
      missingok
      notifempty
      copytruncate
  }
TEXT
}

case "${1:-}" in
  clean-sessions) clean_sessions ;;
  reload) reload ;;
  logs) logs ;;
  *)
    echo "usage: ${0##*/} clean-sessions|reload|logs" >&2
    exit 2
    ;;
esac
