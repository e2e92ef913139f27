"""Helpers for the deployment-kit tests: real tools, the app started by deploy/start.sh."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import BIN, IN_CI, ROOT, wait_until_serving

DEPLOY = ROOT / "deploy"


def require_tool(name: str, *fallbacks: str) -> str:
    """Return the path of a system tool; skip without it locally, fail under CI."""
    found = shutil.which(name) or next((p for p in fallbacks if Path(p).is_file()), None)
    if found:
        return found
    message = f"{name} is not installed (.ci/run installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return this machine's environment without app settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "DATABASE", "REDIS", "OPENROUTER", "SESSION", "BACKUP"))
        and k not in ("BIND", "WORKERS", "PROXY_COUNT", "METRICS_ALLOW", "METRICS_TOKEN", "PIDFILE")
    }
    env.update({"INSTANCE_PATH": str(tmp_path / "instance"), "PATH": f"{BIN}:{env['PATH']}"})
    env.update(extra)
    return env


def start_app(env: dict[str, str], port: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Run deploy/start.sh (migrations, then Gunicorn) and wait until /health answers."""
    log = log_path.open("w")
    server = subprocess.Popen(
        [str(DEPLOY / "start.sh")],
        cwd="/",  # the script finds the checkout by itself
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    if not wait_until_serving(server, base, 60):
        stop(server)
        raise AssertionError(f"the app did not start:\n{log_path.read_text()}")
    return server, base


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a server we started, gracefully first."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a throw-away certificate for 127.0.0.1 and localhost; return (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def substitute(text: str, replacements: list[tuple[str, str]]) -> str:
    """Apply each (regex, replacement) exactly once, so a renamed line fails loudly."""
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        assert count == 1, f"{pattern!r} matched {count} times in the shipped file"
    return text


def strip_comments(text: str) -> list[str]:
    """Return a config file's meaningful lines: no comments, no blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]
