# Automotive Chat Assistant: Gunicorn (gevent workers) on port 8000, as a non-root user.
#   docker build -t automotive-chat .
#   docker run -p 8000:8000 -e SESSION_SECRET=... -e DATABASE_URL=postgresql://... automotive-chat
# docker-compose.yml runs it with PostgreSQL, Redis and Nginx.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_ENV=production \
    BIND=0.0.0.0:8000 \
    INSTANCE_PATH=/app/instance

WORKDIR /app

# A fixed uid/gid, so volume permissions stay the same across rebuilds.
RUN groupadd --system --gid 10001 automotive-chat \
    && useradd --system --uid 10001 --gid automotive-chat --home-dir /app \
        --no-create-home --shell /usr/sbin/nologin automotive-chat

# Requirements first: this layer is rebuilt only when they change. Every wheel needed
# (psycopg2-binary, gevent, cryptography) is prebuilt, so no compiler is installed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the app user can run it, not change it.
COPY . .
RUN install -d -o automotive-chat -g automotive-chat -m 0700 /app/instance

# Numeric, so Kubernetes' runAsNonRoot and any host can tell it is not root.
USER 10001:10001

EXPOSE 8000

# python, not curl: the slim image has no curl. The script follows BIND.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]

# Migrations first, then exec Gunicorn as PID 1, which receives `docker stop`'s SIGTERM.
CMD ["/app/deploy/start.sh"]
