#!/usr/bin/env bash
# Start the Automotive Chat Assistant: apply database migrations, then become Gunicorn.
# Used by the systemd unit, the Docker image and by hand: `deploy/start.sh`.
set -euo pipefail

cd "$(dirname "$0")/.."

# A checkout with `make install` has .venv; the Docker image installs into the system Python.
if [ -x .venv/bin/python ]; then
  python="$PWD/.venv/bin/python"
else
  python=$(command -v python3 || command -v python)
fi

# Migrations run before the server binds, so no request ever meets an old schema.
"$python" -m flask --app main db upgrade

# exec: Gunicorn takes over this PID, so systemd's MAINPID, Docker's PID 1 and their
# signals (TERM to stop gracefully, HUP to reload) reach the Gunicorn master directly.
exec "$python" -m gunicorn -c gunicorn.conf.py main:app
