"""The deployment kit, each file checked by the tool its users use, and against the app.

Docker: hadolint and the Compose specification's JSON schema. systemd: systemd-analyze.
Nginx: nginx -t. ECS: botocore's validation of RegisterTaskDefinition (what the AWS CLI
runs before sending). Shell: bash -n and shellcheck. Cloud scripts run with a stand-in
gcloud that records what it was asked. Every file must agree with the app: port 8000,
/health, and only environment names that config.py (or the README) knows.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
import yaml

from config import GUNICORN_TIMEOUT
from tests.support import IN_CI, ROOT, free_port, settings_read_by_the_code
from tests.support.deploy import (
    BIN,
    DEPLOY,
    require_tool,
    self_signed_certificate,
    strip_comments,
    substitute,
)

APP_PORT = 8000
SECRET_NAMES = {"SESSION_SECRET", "DATABASE_URL", "OPENROUTER_API_KEY", "REDIS_URL"}
# Read by deploy/backup.sh, not by the app.
SCRIPT_SETTINGS = {"BACKUP_DIR", "BACKUP_RETENTION_DAYS", "BACKUP_UPLOAD_CMD"}
SHELL_SCRIPTS = [*sorted(DEPLOY.rglob("*.sh")), ROOT / ".ci" / "run"]


def known_settings() -> set[str]:
    """Names the app reads (config.py, gunicorn.conf.py, app.py) or documents in README."""
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    return settings_read_by_the_code() | documented


def test_the_known_settings_are_found():
    names = known_settings()
    assert {"SESSION_SECRET", "DATABASE_URL", "BIND", "PROXY_COUNT", "INSTANCE_PATH"} <= names


# ---------------------------------------------------------------- shell scripts


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_scripts_parse_and_pass_shellcheck(script):
    parsed = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr
    shellcheck = require_tool("shellcheck")
    checked = subprocess.run(
        [shellcheck, "--external-sources", str(script.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
    text = script.read_text()
    if script.name != "pg-url.sh":  # sourced, never run
        assert text.startswith("#!/usr/bin/env bash\n")
        assert "set -euo pipefail" in text
        assert os.access(script, os.X_OK), f"{script} is not executable"


# ---------------------------------------------------------------- Docker


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_dockerfile_passes_hadolint_without_findings():
    hadolint = shutil.which("hadolint", path=str(BIN)) or require_tool("hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    # Any rule switched off must say why, on the line above.
    lines = dockerfile().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            assert number and lines[number - 1].startswith("#"), line


def test_dockerfile_runs_the_app_as_configured():
    text = dockerfile()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert "pip install --no-cache-dir -r requirements.txt" in text
    # Pinned requirements: every line names one exact version.
    requirements = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert requirements and all(
        re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", r) for r in requirements
    )
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert text.rindex("\nUSER ") > text.rindex("\nRUN ")  # nothing runs as root after it
    assert re.search(rf"^EXPOSE {APP_PORT}$", text, re.M)
    assert f"BIND=0.0.0.0:{APP_PORT}" in text
    assert "FLASK_ENV=production" in text
    assert re.search(r'^\s+CMD \["python", "/app/deploy/healthcheck\.py"\]$', text, re.M)
    assert "HEALTHCHECK " in text
    assert re.search(r'^CMD \["/app/deploy/start\.sh"\]$', text, re.M)
    env_block = text.split("\nENV ", 1)[1].split("\n\n", 1)[0]
    names = set(re.findall(r"([A-Z][A-Z0-9_]+)=", env_block))
    app_names = {n for n in names if not n.startswith(("PYTHON", "PIP_"))}
    assert app_names and app_names <= known_settings()


def test_dockerignore_keeps_local_state_out_and_the_app_in():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for private in (".venv", "instance", ".git", ".env", ".pytest_cache", "tests"):
        assert private in patterns
    excluded = [p for p in patterns if not p.startswith("!")]
    needed = ["deploy", "deploy/start.sh", "static", "templates", "migrations", "requirements.txt"]
    needed += ["main.py", "app.py", "config.py", "gunicorn.conf.py", "views", "automotive"]
    for path in needed:
        assert (ROOT / path).exists(), path
        assert not any(Path(path).match(p) or path.startswith(p + "/") for p in excluded), path


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_matches_the_compose_specification():
    checker = shutil.which("check-jsonschema", path=str(BIN)) or require_tool("check-jsonschema")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_services_wait_for_what_they_need():
    spec = compose()
    services = spec["services"]
    assert {"app", "postgres", "redis", "nginx"} <= set(services)
    for name, service in services.items():
        if "profiles" not in service:  # the one-off backup job has no health
            assert "healthcheck" in service, name
            assert service.get("restart") == "unless-stopped", name
    needs = {"app": {"postgres", "redis"}, "nginx": {"app"}, "backup": {"postgres"}}
    for name, required in needs.items():
        depends = services[name]["depends_on"]
        assert set(depends) == required, name
        for dependency in required:
            assert depends[dependency]["condition"] == "service_healthy", (name, dependency)
    # Named volumes for everything that must survive `docker compose down`.
    declared = set(spec["volumes"])
    used = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "$", "/"))
    }
    assert used == declared
    assert {"postgres-data", "redis-data", "instance"} <= declared


def test_compose_app_settings_match_the_app():
    app = compose()["services"]["app"]
    env = app["environment"]
    unknown = sorted(set(env) - known_settings())
    assert unknown == []
    assert env["BIND"] == f"0.0.0.0:{APP_PORT}"
    assert app["expose"] == [str(APP_PORT)]
    assert env["PROXY_COUNT"] == "1"
    assert env["FLASK_ENV"] == "production"
    # Secrets come from the environment, and start-up stops when they are missing.
    assert env["SESSION_SECRET"].startswith("${SESSION_SECRET:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert app["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py"]
    grace = int(app["stop_grace_period"].rstrip("s"))
    assert grace > GUNICORN_TIMEOUT
    nginx = compose()["services"]["nginx"]
    mounted = {v.split(":")[0] for v in nginx["volumes"]}
    assert "./deploy/nginx/docker.conf" in mounted
    assert "./static" in mounted


def test_no_secret_is_written_into_compose():
    spec = compose()
    for name, service in spec["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if key in SECRET_NAMES | {"POSTGRES_PASSWORD", "METRICS_TOKEN"} and value:
                if key == "REDIS_URL":
                    continue  # no password: Redis is reachable only on the Compose network
                assert "${" in str(value), (name, key)


# ---------------------------------------------------------------- Nginx


NGINX_DIR = DEPLOY / "nginx"


def test_docker_nginx_config_is_the_site_config():
    """docker.conf differs from the site file only in upstream, certificates and name."""
    site = strip_comments((NGINX_DIR / "automotive-chat.conf").read_text())
    docker = (NGINX_DIR / "docker.conf").read_text()
    docker = substitute(
        docker,
        [
            (r"^(\s*)server app:8000;$", r"\1server 127.0.0.1:8000;"),
            (
                r"^(\s*)ssl_certificate /etc/nginx/certs/fullchain\.pem;$",
                r"\1ssl_certificate /etc/letsencrypt/live/chat.example.com/fullchain.pem;",
            ),
            (
                r"^(\s*)ssl_certificate_key /etc/nginx/certs/privkey\.pem;$",
                r"\1ssl_certificate_key /etc/letsencrypt/live/chat.example.com/privkey.pem;",
            ),
        ],
    ).replace("server_name _;", "server_name chat.example.com;")
    assert strip_comments(docker) == site


def rendered_for_nginx_t(text: str, tmp_path: Path) -> str:
    cert, key = self_signed_certificate(tmp_path)
    text = re.sub(r"^\s*listen \[::\]:\d+[^;]*;\n", "", text, flags=re.M)
    text = re.sub(
        r"^(\s*)listen (80|443)\b",
        lambda match: f"{match.group(1)}listen 127.0.0.1:{free_port()}",
        text,
        flags=re.M,
    )
    text = re.sub(r"ssl_certificate \S+;", f"ssl_certificate {cert};", text)
    text = re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", text)
    return text.replace("server app:8000;", "server 127.0.0.1:8000;")


def nginx_test(tmp_path: Path, http_block: str) -> subprocess.CompletedProcess:
    nginx = require_tool("nginx", "/usr/sbin/nginx")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\n"
        "events {}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n{http_block}\n}}\n"
    )
    return subprocess.run(
        [nginx, "-t", "-p", f"{tmp_path}/", "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_docker_nginx_config_passes_nginx_t(tmp_path):
    site = tmp_path / "default.conf"
    site.write_text(rendered_for_nginx_t((NGINX_DIR / "docker.conf").read_text(), tmp_path))
    result = nginx_test(tmp_path, f"    include {site};")
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- systemd


UNITS = sorted([*(DEPLOY / "systemd").glob("*.service"), *(DEPLOY / "systemd").glob("*.timer")])


def unit(name: str) -> dict[str, list[str]]:
    """Parse a unit file into {"Section.Key": [values]}."""
    parsed: dict[str, list[str]] = {}
    section = ""
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        parsed.setdefault(f"{section}.{key}", []).append(value)
    return parsed


def test_all_units_are_here():
    names = {u.name for u in UNITS}
    assert names == {
        "automotive-chat.service",
        "automotive-chat-backup.service",
        "automotive-chat-backup.timer",
        "automotive-chat-maintenance.service",
        "automotive-chat-maintenance.timer",
    }


def test_systemd_analyze_verify(tmp_path):
    """systemd-analyze verify, with the checkout where /srv/automotive-chat would be."""
    analyze = require_tool("systemd-analyze")
    for source in UNITS:
        (tmp_path / source.name).write_text(
            source.read_text().replace("/srv/automotive-chat", str(ROOT))
        )
    result = subprocess.run(
        [analyze, "verify", "--man=no", *sorted(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Warnings (an unknown key, a bad value) do not change the exit status: any line about
    # our files fails the test. Lines about the machine's own units are not ours to judge.
    ours = [line for line in result.stderr.splitlines() if "automotive-chat" in line]
    assert result.returncode == 0, result.stderr
    assert ours == []


def test_the_service_is_hardened(tmp_path):
    analyze = require_tool("systemd-analyze")
    source = DEPLOY / "systemd" / "automotive-chat.service"
    copy = tmp_path / source.name
    copy.write_text(source.read_text().replace("/srv/automotive-chat", str(ROOT)))
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=30", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    overall = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
    assert result.returncode == 0, overall.group(0) if overall else result.stdout[-2000:]


def test_the_service_runs_start_sh_as_gunicorn_expects():
    service = unit("automotive-chat.service")
    # Gunicorn sends READY=1 to $NOTIFY_SOCKET (tests/deploy/test_maintenance.py receives it).
    assert service["Service.Type"] == ["notify"]
    assert service["Service.NotifyAccess"] == ["main"]
    assert service["Service.ExecStart"] == ["/srv/automotive-chat/deploy/start.sh"]
    assert service["Service.ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["Service.KillMode"] == ["mixed"]
    assert int(service["Service.TimeoutStopSec"][0]) > GUNICORN_TIMEOUT  # graceful_timeout
    assert service["Service.Restart"] == ["on-failure"]
    assert service["Service.User"] == service["Service.Group"] == ["automotive-chat"]
    assert service["Service.WorkingDirectory"] == ["/srv/automotive-chat"]
    assert service["Service.EnvironmentFile"] == ["/etc/automotive-chat/automotive-chat.env"]
    assert service["Service.ProtectSystem"] == ["strict"]
    assert service["Service.ReadWritePaths"] == ["/srv/automotive-chat/instance"]
    # gunicorn.conf.py writes PIDFILE; the RuntimeDirectory is the one writable place for it.
    assert service["Service.RuntimeDirectory"] == ["automotive-chat"]
    assert service["Service.Environment"] == ["PIDFILE=/run/automotive-chat/gunicorn.pid"]
    assert "PIDFILE" in known_settings()
    for setting in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"):
        assert service[f"Service.{setting}"] == ["yes"], setting
    for timer in ("automotive-chat-backup", "automotive-chat-maintenance"):
        job = unit(f"{timer}.service")
        assert job["Service.ExecStart"][0].startswith("/srv/automotive-chat/deploy/")
        assert job["Service.EnvironmentFile"] == service["Service.EnvironmentFile"]
        assert unit(f"{timer}.timer")["Install.WantedBy"] == ["timers.target"]


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_env_example_names_what_the_app_reads_and_holds_no_secret():
    values = env_file(DEPLOY / "systemd" / "automotive-chat.env.example")
    assert sorted(set(values) - known_settings() - SCRIPT_SETTINGS) == []
    for name in ("SESSION_SECRET", "DATABASE_URL", "OPENROUTER_API_KEY", "METRICS_TOKEN"):
        assert values[name] == "", name
    assert values["FLASK_ENV"] == "production"
    assert values["BIND"] == f"127.0.0.1:{APP_PORT}"  # only Nginx in front reaches it
    assert values["PROXY_COUNT"] == "1"
    upstream = re.search(
        r"server 127\.0\.0\.1:(\d+);", (NGINX_DIR / "automotive-chat.conf").read_text()
    )
    assert int(upstream.group(1)) == APP_PORT


# ---------------------------------------------------------------- health check script


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1)])
def test_healthcheck_script_follows_bind_and_the_answer(status, code):
    handler = type("Handler", (_Health,), {"status": status})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [sys.executable, str(DEPLOY / "healthcheck.py")],
            env={"PATH": os.environ["PATH"], "BIND": f"0.0.0.0:{server.server_port}"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == code, result.stderr


def test_healthcheck_script_fails_when_nothing_listens():
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "healthcheck.py")],
        env={"PATH": os.environ["PATH"], "BIND": f"127.0.0.1:{free_port()}"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "unreachable" in result.stderr


def test_healthcheck_addresses():
    sys.path.insert(0, str(DEPLOY))
    try:
        from healthcheck import health_url
    finally:
        sys.path.remove(str(DEPLOY))
    assert health_url({}) == "http://127.0.0.1:8000/health"
    assert health_url({"FLASK_ENV": "production"}) == "http://127.0.0.1:8000/health"
    assert health_url({"BIND": ":8080"}) == "http://127.0.0.1:8080/health"
    assert health_url({"BIND": "[::]:9000"}) == "http://127.0.0.1:9000/health"
    assert health_url({"BIND": "[::1]:9000"}) == "http://[::1]:9000/health"
    with pytest.raises(ValueError, match="not a TCP address"):
        health_url({"BIND": "unix:/run/app.sock"})


# ---------------------------------------------------------------- AWS


AWS = DEPLOY / "aws"


def eb_options() -> dict[str, dict]:
    options: dict[str, dict] = {}
    for path in sorted((AWS / ".ebextensions").glob("*.config")):
        document = yaml.safe_load(path.read_text())
        for namespace, settings in document.get("option_settings", {}).items():
            options.setdefault(namespace, {}).update(settings)
    return options


def test_elastic_beanstalk_settings_match_the_app():
    assert (AWS / "Procfile").read_text() == "web: gunicorn -c gunicorn.conf.py main:app\n"
    options = eb_options()
    env = options["aws:elasticbeanstalk:application:environment"]
    secrets = options["aws:elasticbeanstalk:application:environmentsecrets"]
    assert sorted(set(env) | set(secrets)) == sorted((set(env) | set(secrets)) & known_settings())
    assert not set(env) & SECRET_NAMES  # secrets only by reference
    assert {"SESSION_SECRET", "DATABASE_URL", "OPENROUTER_API_KEY"} <= set(secrets)
    assert all(re.fullmatch(r"arn:aws:(secretsmanager|ssm):[^\s]+", v) for v in secrets.values())
    assert env["FLASK_ENV"] == "production"
    assert env["BIND"] == f"127.0.0.1:{APP_PORT}"  # the Python platform's proxy port
    assert env["PROXY_COUNT"] == "2"  # load balancer + the instance's Nginx
    assert options["aws:elasticbeanstalk:application"]["Application Healthcheck URL"] == "/health"
    assert (
        options["aws:elasticbeanstalk:environment:process:default"]["HealthCheckPath"] == "/health"
    )
    assert options["aws:elasticbeanstalk:environment:proxy:staticfiles"] == {"/static": "static"}
    assert int(options["aws:elbv2:loadbalancer"]["IdleTimeout"]) > GUNICORN_TIMEOUT
    commands = yaml.safe_load((AWS / ".ebextensions" / "01-automotive-chat.config").read_text())
    migrate = commands["container_commands"]["01_migrate"]
    assert migrate["leader_only"] is True
    assert "flask --app main db upgrade" in migrate["command"]
    location = (AWS / ".platform/nginx/conf.d/elasticbeanstalk/00_application.conf").read_text()
    assert f"proxy_pass http://127.0.0.1:{APP_PORT};" in location


def test_elastic_beanstalk_nginx_files_pass_nginx_t(tmp_path):
    platform = AWS / ".platform" / "nginx" / "conf.d"
    block = (
        f"    include {platform / 'automotive-chat.conf'};\n"
        f"    server {{\n        listen 127.0.0.1:{free_port()};\n"
        f"        include {platform / 'elasticbeanstalk' / '00_application.conf'};\n    }}"
    )
    result = nginx_test(tmp_path, block)
    assert result.returncode == 0, result.stderr


def test_elastic_beanstalk_bundle_has_its_files_at_the_root(tmp_path):
    require_tool("git")
    bundle = tmp_path / "eb.zip"
    result = subprocess.run(
        [str(AWS / "eb-bundle.sh"), str(bundle)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    names = set(zipfile.ZipFile(bundle).namelist())
    for required in (
        "Procfile",
        ".ebextensions/01-automotive-chat.config",
        ".ebextensions/02-secrets.config",
        ".platform/nginx/conf.d/elasticbeanstalk/00_application.conf",
        "requirements.txt",
        "main.py",
        "gunicorn.conf.py",
        "deploy/start.sh",
        "static/css/app.css",
    ):
        assert required in names, required
    for name in names:
        assert not name.startswith((".venv/", "instance/", "tests/", ".git/")), name
        assert name != ".env"


def test_ecs_task_definition_is_valid_and_matches_the_app():
    if IN_CI:
        import botocore.session as botocore
    else:
        botocore = pytest.importorskip(
            "botocore.session", reason="pip install -r requirements-dev.txt"
        )
    from botocore.validate import ParamValidator

    task = json.loads((AWS / "ecs-task-definition.json").read_text())
    model = botocore.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    report = ParamValidator().validate(task, shape)
    assert not report.has_errors(), report.generate_report()

    [container] = task["containerDefinitions"]
    env = {item["name"]: item["value"] for item in container["environment"]}
    secrets = {item["name"]: item["valueFrom"] for item in container["secrets"]}
    assert sorted((set(env) | set(secrets)) - known_settings()) == []
    assert not set(env) & SECRET_NAMES
    assert {"SESSION_SECRET", "DATABASE_URL", "OPENROUTER_API_KEY"} <= set(secrets)
    assert all(v.startswith(("arn:aws:secretsmanager:", "arn:aws:ssm:")) for v in secrets.values())
    assert [m["containerPort"] for m in container["portMappings"]] == [APP_PORT]
    assert env["BIND"] == f"0.0.0.0:{APP_PORT}"
    assert env["FLASK_ENV"] == "production"
    assert env["PROXY_COUNT"] == "1"  # the load balancer
    assert container["healthCheck"]["command"] == ["CMD", "python", "/app/deploy/healthcheck.py"]
    # Fargate allows at most 120 s between SIGTERM and SIGKILL: Gunicorn's graceful timeout.
    assert container["stopTimeout"] == min(120, GUNICORN_TIMEOUT)


# ---------------------------------------------------------------- Google Cloud


GCP = DEPLOY / "gcp"
SECRET_VALUE = 'v@lue "with" quotes: and # and \\ backslash'


def fake_gcloud(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A gcloud that records its arguments, answers secrets, and keeps the deployed app.yaml."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gcloud.calls"
    gcloud = bin_dir / "gcloud"
    gcloud.write_text(
        "#!/usr/bin/env python3\n"
        "import json, shutil, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1:4] == ['secrets', 'versions', 'access']:\n"
        "    name = sys.argv[sys.argv.index('--secret') + 1]\n"
        f"    sys.stdout.write({SECRET_VALUE!r} + ' for ' + name)\n"
        "if sys.argv[1:3] == ['app', 'deploy']:\n"
        f"    shutil.copy(sys.argv[3], {str(tmp_path / 'deployed-app.yaml')!r})\n"
    )
    gcloud.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    return env, calls


def recorded(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()]


def test_app_yaml_matches_the_app():
    config = yaml.safe_load((GCP / "app.yaml").read_text())
    assert config["runtime"] == "python311"
    assert config["entrypoint"] == "env BIND=:$PORT bash deploy/start.sh"
    env = config["env_variables"]
    assert sorted(set(env) - known_settings()) == []
    assert not set(env) & SECRET_NAMES
    assert env["FLASK_ENV"] == "production"
    # The app writes under its instance folder, and App Engine lets it write only to /tmp.
    assert env["INSTANCE_PATH"].startswith("/tmp/")
    # app-engine.sh appends the secrets to the end of the file: it must end in env_variables.
    assert list(config)[-1] == "env_variables"
    static = next(h for h in config["handlers"] if h["url"] == "/static")
    assert (ROOT / static["static_dir"] / "css" / "app.css").exists()
    assert all(h["secure"] == "always" for h in config["handlers"])


def test_app_engine_script_adds_secrets_only_to_the_staged_copy(tmp_path):
    env, calls = fake_gcloud(tmp_path)
    result = subprocess.run(
        [str(GCP / "app-engine.sh")],
        env={**env, "GCP_PROJECT": "my-project"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    deployed = yaml.safe_load((tmp_path / "deployed-app.yaml").read_text())
    shipped = yaml.safe_load((GCP / "app.yaml").read_text())
    env_vars = deployed["env_variables"]
    assert env_vars["SESSION_SECRET"] == f"{SECRET_VALUE} for automotive-chat-session-secret"
    assert env_vars["DATABASE_URL"] == f"{SECRET_VALUE} for automotive-chat-database-url"
    assert set(env_vars) == set(shipped["env_variables"]) | SECRET_NAMES
    assert {k: v for k, v in deployed.items() if k != "env_variables"} == {
        k: v for k, v in shipped.items() if k != "env_variables"
    }
    commands = recorded(calls)
    deploy = commands[-1]
    assert deploy[:2] == ["app", "deploy"]
    assert "--project" in deploy and "my-project" in deploy
    assert not Path(deploy[2]).exists()  # the staged copy with the secrets is gone
    assert SECRET_VALUE not in result.stdout + result.stderr
    assert SECRET_VALUE not in (GCP / "app.yaml").read_text()


def test_cloud_run_script_deploys_with_the_apps_port_and_secrets(tmp_path):
    env, calls = fake_gcloud(tmp_path)
    result = subprocess.run(
        [str(GCP / "cloud-run.sh")],
        env={
            **env,
            "GCP_PROJECT": "my-project",
            "CLOUD_SQL_INSTANCE": "my-project:europe-west1:automotive-chat",
            "VERSION": "1.2.3",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    [deploy] = recorded(calls)
    assert deploy[:3] == ["run", "deploy", "automotive-chat"]

    def flag(name: str) -> str:
        return deploy[deploy.index(name) + 1]

    assert flag("--port") == str(APP_PORT)
    env_vars = dict(item.split("=", 1) for item in flag("--set-env-vars").split(","))
    secrets = dict(item.split("=", 1) for item in flag("--set-secrets").split(","))
    assert sorted((set(env_vars) | set(secrets)) - known_settings()) == []
    assert not set(env_vars) & SECRET_NAMES
    assert {"SESSION_SECRET", "DATABASE_URL", "OPENROUTER_API_KEY"} <= set(secrets)
    assert all(re.fullmatch(r"[a-z0-9-]+:latest", v) for v in secrets.values())
    assert env_vars["BIND"] == f"0.0.0.0:{APP_PORT}"
    assert env_vars["VERSION"] == "1.2.3"
    assert flag("--source") == "."
    assert int(flag("--timeout")) > GUNICORN_TIMEOUT
    assert flag("--add-cloudsql-instances") == "my-project:europe-west1:automotive-chat"

    missing = subprocess.run(
        [str(GCP / "cloud-run.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode != 0
    assert "GCP_PROJECT" in missing.stderr


# ---------------------------------------------------------------- CI


def test_ci_installs_the_tools_these_tests_drive():
    ci = (ROOT / ".ci" / "run").read_text()
    for package in ("nginx-light", "postgresql-client", "systemd", "shellcheck"):
        assert re.search(rf"need\+=\({package}\)", ci), package


# ---------------------------------------------------------------- the guide


def test_the_deployment_guide_names_only_files_that_exist():
    readme = (ROOT / "README.md").read_text()
    if "## Deployment" not in readme:
        pytest.skip("README.md has no Deployment section yet")
    guide = readme.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`((?:deploy|tests)/[\w./*-]+)", guide))
    named |= {n for n in ("Dockerfile", ".dockerignore", "docker-compose.yml") if f"`{n}`" in guide}
    assert named
    missing = [name for name in sorted(named) if not list(ROOT.glob(name.rstrip("/")))]
    assert missing == []
