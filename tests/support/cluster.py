"""Several app instances behind the shipped Nginx site, as on several machines.

Each ``Instance`` is a Gunicorn master of its own (gunicorn.conf.py, gevent) with its own
instance folder and metrics folder, as on its own machine; all of them share the run's
database, one Redis key prefix, the session secret and the fake upstream. ``Proxy`` runs
the system's Nginx with deploy/nginx/automotive-chat.conf, changed only where a test must
(ports, certificate, static folder, and the upstream block listing every instance).

Which instance answered a request is read from the instances' access logs: Nginx names
each request (``$request_id``), the app answers with that id in X-Request-ID and Gunicorn
logs it beside the worker's pid.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import requests

from tests.support import BIN, ROOT, free_port, wait_until_serving
from tests.support.deploy import self_signed_certificate, substitute
from tests.support.live import TROUBLE, wait_for, workers

SITE = ROOT / "deploy" / "nginx" / "automotive-chat.conf"

ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.1" (?P<status>\d+) .*'
    r"request_id=(?P<request_id>\S+) pid=<(?P<pid>\d+)>"
)

# Nginx's own line per request: which servers it tried, in order, and what each answered.
# Health checks are not logged (the site turns the access log off for them).
NGINX_LOG_FORMAT = (
    'log_format upstreams \'$request_id "$request" $status '
    'upstream="$upstream_addr" upstream_status="$upstream_status"\';'
)
NGINX_LINE = re.compile(
    r'^(?P<request_id>\S+) "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d+) '
    r'upstream="(?P<upstream>[^"]*)" upstream_status="(?P<upstream_status>[^"]*)"$'
)


# ---------------------------------------------------------------- the shipped site


def render_site(
    text: str,
    *,
    http: int,
    https: int,
    apps: Sequence[int],
    cert: Path,
    key: Path,
    extra: Iterable[tuple[str, str]] = (),
) -> str:
    """Point the shipped site at loopback ports, a test certificate and the checkout's
    static folder; its upstream block lists one server per port in ``apps``."""
    servers = "\n".join(rf"\g<1>server 127.0.0.1:{port};" for port in apps)
    return substitute(
        text,
        [
            (r"^(\s*)listen 80;$", rf"\1listen 127.0.0.1:{http};"),
            (r"^\s*listen \[::\]:80;\n", ""),
            (r"^(\s*)listen 443 ssl http2;$", rf"\1listen 127.0.0.1:{https} ssl http2;"),
            (r"^\s*listen \[::\]:443 ssl http2;\n", ""),
            (r"^(\s*)server 127\.0\.0\.1:8000;$", servers),
            (r"^(\s*)ssl_certificate /etc/letsencrypt/\S+;$", rf"\1ssl_certificate {cert};"),
            (r"^(\s*)ssl_certificate_key /etc/letsencrypt/\S+;$", rf"\1ssl_certificate_key {key};"),
            (r"alias /srv/automotive-chat/static/;", f"alias {ROOT / 'static'}/;"),
            *extra,
        ],
    )


def main_config(run: Path, site: Path, *, log_format: str | None = None) -> str:
    """A minimal nginx.conf including the site as Debian's includes sites-enabled/*.

    One worker process: requests are then balanced by one round-robin counter, in order.
    """
    # As root the workers would drop to "nobody", who cannot enter pytest's 0700 folders.
    user = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {run / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    access = f"    access_log {run / 'access.log'};\n"
    if log_format:
        access = f"    {log_format}\n    access_log {run / 'access.log'} upstreams;\n"
    return (
        f"{user}worker_processes 1;\n"
        f"pid {run / 'nginx.pid'};\n"
        f"error_log {run / 'error.log'} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"{access}"
        f"{temp}\n"
        f"    include {site};\n"
        "}\n"
    )


class Proxy:
    """The system's Nginx serving the rendered site over TLS (and plain HTTP)."""

    def __init__(self, nginx: str, folder: Path, apps: Sequence[int]) -> None:
        self.run = folder / "nginx"
        self.run.mkdir(parents=True, exist_ok=True)
        self.cert, key = self_signed_certificate(self.run)
        self.https_port = free_port()
        site = self.run / "automotive-chat.conf"
        site.write_text(
            render_site(
                SITE.read_text(),
                http=free_port(),
                https=self.https_port,
                apps=apps,
                cert=self.cert,
                key=key,
            )
        )
        conf = self.run / "nginx.conf"
        conf.write_text(main_config(self.run, site, log_format=NGINX_LOG_FORMAT))
        command = [nginx, "-p", f"{self.run}/", "-e", str(self.run / "error.log"), "-c", str(conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        self.base = f"https://127.0.0.1:{self.https_port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise AssertionError(f"nginx did not start: {self.error_log()}") from None
                time.sleep(0.1)

    def session(self) -> requests.Session:
        """A browser's session with this proxy: its certificate, and a Referer as a
        browser sends it (over HTTPS the CSRF check compares it with the host)."""
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the certificate
        session.verify = str(self.cert)
        session.headers["Referer"] = self.base + "/"
        return session

    def error_log(self) -> str:
        path = self.run / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_lines(self) -> list[re.Match]:
        path = self.run / "access.log"
        if not path.exists():
            return []
        lines = path.read_text(errors="replace").splitlines()
        return [match for line in lines if (match := NGINX_LINE.match(line))]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


# ---------------------------------------------------------------- one instance


class Instance:
    """One Gunicorn master on a fixed loopback port, stopped and started again at will.

    Its log (master, workers, access lines) is one file kept across restarts.
    """

    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}"}
        self.log_path = folder / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self._mark = 0

    def start(self, timeout: float = 60) -> None:
        """Start the master and wait until it answers /health with all its workers."""
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "main:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_until_serving(self.process, self.base, timeout):
            self.kill()
            raise AssertionError(f"{self.name} did not start:\n{self.log()[-3000:]}")
        expected = int(self.env.get("WORKERS", "2"))
        wait_for(lambda: len(self.workers()) == expected, timeout, f"{self.name}'s workers")

    def workers(self) -> set[int]:
        return workers(self.process) if self.process else set()

    def terminate(self) -> None:
        """Ask for a graceful stop (SIGTERM), as systemd, Docker or ECS do."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """Stop the master and its workers; kill them if the shutdown hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        children = self.workers()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in children | self.workers():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=10)

    # -- the log

    def mark(self) -> None:
        self._mark = self.offset()

    def log(self) -> str:
        """What the instance logged since the last mark."""
        with self.log_path.open("rb") as log:
            log.seek(self._mark)
            return log.read().decode("utf-8", errors="replace")

    def access(self) -> list[re.Match]:
        """The access lines since the mark."""
        return list(ACCESS_LINE.finditer(self.log()))

    def offset(self) -> int:
        """Where the log ends now (for ``access_since``)."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def access_since(self, offset: int) -> list[re.Match]:
        """The access lines written after ``offset``."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return list(ACCESS_LINE.finditer(log.read().decode("utf-8", errors="replace")))

    def request_ids(self) -> set[str]:
        return {match["request_id"] for match in self.access()}

    def trouble(self) -> list[str]:
        """Lines since the mark that a healthy server never writes."""
        return [line for line in self.log().splitlines() if any(t in line for t in TROUBLE)]


# ---------------------------------------------------------------- the pair (or more)


class Cluster:
    """Instances sharing one database, Redis prefix and secret, behind one Nginx."""

    def __init__(self, instances: list[Instance], proxy: Proxy) -> None:
        self.instances = instances
        self.proxy = proxy
        self.by_name = {instance.name: instance for instance in instances}

    @classmethod
    def start(cls, nginx: str, folder: Path, envs: dict[str, dict[str, str]]) -> Cluster:
        instances = []
        for name, env in envs.items():
            (folder / name).mkdir(parents=True, exist_ok=True)
            instances.append(Instance(name, folder / name, env))
        try:
            for instance in instances:
                instance.start()
            proxy = Proxy(nginx, folder, [instance.port for instance in instances])
        except BaseException:
            for instance in instances:
                instance.kill()
            raise
        return cls(instances, proxy)

    def __getitem__(self, name: str) -> Instance:
        return self.by_name[name]

    @property
    def base(self) -> str:
        return self.proxy.base

    def mark(self) -> None:
        for instance in self.instances:
            instance.mark()

    def instance_for(self, response: requests.Response, timeout: float = 10) -> str:
        """The name of the instance that answered ``response`` (by its request id)."""
        request_id = response.headers["X-Request-ID"]
        found: list[str] = []

        def logged() -> bool:  # Gunicorn writes the access line once the answer is sent
            found.extend(i.name for i in self.instances if request_id in i.request_ids())
            return bool(found)

        wait_for(logged, timeout, f"the access line of request {request_id}")
        assert len(found) == 1, f"{request_id} answered by {found}"
        return found[0]

    def trouble(self) -> dict[str, list[str]]:
        return {i.name: t for i in self.instances if (t := i.trouble())}

    def close(self) -> None:
        # All at once: a gevent worker takes about a second to stop.
        for instance in self.instances:
            if instance.process is not None and instance.process.poll() is None:
                instance.process.terminate()
        self.proxy.close()
        for instance in self.instances:
            instance.kill()
