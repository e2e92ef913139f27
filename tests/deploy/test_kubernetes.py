"""The Kubernetes manifests in deploy/kubernetes/: the API's schema, then the app's needs.

kubernetes-validate (PyPI) carries the Kubernetes API's JSON schemas, so it runs offline;
it checks every object strictly (an unknown field fails) for the newest Kubernetes it
knows and for the oldest the folder's README claims. A schema-valid file can still be
wrong for this app, so the rest holds the files to it: probes on routes the app has,
only settings config.py reads, secrets only by reference to one Secret, a grace period
longer than Gunicorn's, deploy/start.sh's migration command in the Job, selectors that
match, and finally the pods' own commands run here with the ConfigMap's settings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from config import GUNICORN_TIMEOUT
from tests.support import TEST_REDIS_URL, free_port, settings_read_by_the_code, wait_until_serving
from tests.support.deploy import BIN, DEPLOY, clean_env, require_tool, stop

KUBE = DEPLOY / "kubernetes"
MIGRATE = KUBE / "migrate"
# The newest Kubernetes kubernetes-validate 1.37.0 bundles, and the oldest README claims.
KUBERNETES_VERSIONS = ("1.37", "1.33")
SECRET = "automotive-chat"
REQUIRED_SECRETS = {"SESSION_SECRET", "DATABASE_URL", "REDIS_URL"}
OPTIONAL_SECRETS = {"OPENROUTER_API_KEY", "METRICS_TOKEN", "SENTRY_DSN"}
READINESS_PATH = "/health"
LIVENESS_PATH = "/health/live"
APP_PORT = 8000


# ---------------------------------------------------------------- reading the files


def manifest_files() -> list[Path]:
    """Every Kubernetes object file in the folder: all YAML but the kustomizations."""
    return sorted(p for p in KUBE.rglob("*.yaml") if p.name != "kustomization.yaml")


def load(path: Path) -> list[dict[str, Any]]:
    """The objects of one YAML file, in order (empty documents dropped)."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def objects() -> dict[tuple[str, str], dict[str, Any]]:
    """Every object in the folder, keyed by (kind, name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in manifest_files():
        for doc in load(path):
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in found, f"{key} is defined twice"
            found[key] = doc
    return found


def one(kind: str, name: str = "automotive-chat") -> dict[str, Any]:
    """The object of that kind and name, as parsed from its file."""
    return objects()[(kind, name)]


def pod_spec(kind: str, name: str = "automotive-chat") -> dict[str, Any]:
    """A Deployment's or Job's pod template spec (spec.template.spec)."""
    return one(kind, name)["spec"]["template"]["spec"]


def container(kind: str, name: str = "automotive-chat") -> dict[str, Any]:
    """The pod template's one container (there are no sidecars)."""
    (only,) = pod_spec(kind, name)["containers"]
    return only


def kustomization(folder: Path) -> dict[str, Any]:
    """``folder``/kustomization.yaml, parsed."""
    return yaml.safe_load((folder / "kustomization.yaml").read_text())


def configmap() -> dict[str, str]:
    """The ConfigMap's data: setting name -> value, as the pods' environment gets it."""
    return one("ConfigMap")["data"]


def graceful_timeout() -> int:
    """Seconds Gunicorn lets streams finish on SIGTERM (graceful_timeout = timeout)."""
    return int(configmap().get("GUNICORN_TIMEOUT") or GUNICORN_TIMEOUT)


def start_sh_command(pattern: str) -> list[str]:
    """The arguments after "$python" on deploy/start.sh's line matching ``pattern``."""
    (line,) = [
        ln for ln in (DEPLOY / "start.sh").read_text().splitlines() if re.search(pattern, ln)
    ]
    return line.split('"$python"', 1)[1].split()


# ---------------------------------------------------------------- the schema


def kubernetes_validate(paths: list[Path], version: str) -> tuple[set[str], list[str]]:
    """Validate ``paths`` strictly for ``version``: (objects passed as "kind/name", problems).

    Problems are the tool's ERROR and FATAL lines, and its WARN lines too: with no schema
    for an object's kind and apiVersion (a typo in either) it only warns, and exits 0.
    """
    tool = shutil.which("kubernetes-validate", path=str(BIN)) or require_tool("kubernetes-validate")
    result = subprocess.run(
        [tool, "--strict", "--kubernetes-version", version, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = (result.stdout + result.stderr).splitlines()
    passed = {
        match[1]
        for line in lines
        if (
            match := re.search(
                rf"passed for resource (\S+) against version {re.escape(version)}$", line
            )
        )
    }
    problems = [line for line in lines if line.startswith(("ERROR", "WARN", "FATAL"))]
    if result.returncode != 0 and not problems:
        problems = lines or [f"exit status {result.returncode}"]
    return passed, problems


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_matches_the_kubernetes_schema(version):
    passed, problems = kubernetes_validate(manifest_files(), version)
    assert problems == []
    expected = {f"{kind.lower()}/{name}" for kind, name in objects()}
    assert passed == expected


BREAKAGES = {
    "a misspelt field": ("readinessProbe:", "readinesProbe:"),
    "a field of the wrong type": (
        "terminationGracePeriodSeconds: 150",
        "terminationGracePeriodSeconds: 2m30s",
    ),
    "a misspelt apiVersion": ("apiVersion: apps/v1\n", "apiVersion: app/v1\n"),
    "a nested unknown field": ("sizeLimit: 1Gi", "sizeLimt: 1Gi"),
}


@pytest.mark.parametrize("old, new", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_broken_manifest_is_rejected(tmp_path, old, new):
    # The validator must be able to fail: each of these would be refused by the API server.
    text = (KUBE / "deployment.yaml").read_text()
    assert text.count(old) == 1
    broken = tmp_path / "deployment.yaml"
    broken.write_text(text.replace(old, new))
    passed, problems = kubernetes_validate([broken], KUBERNETES_VERSIONS[0])
    assert passed == set()
    assert problems, f"{new!r} was accepted"


def test_the_kustomizations_tie_every_file_together():
    main, migrate = kustomization(KUBE), kustomization(MIGRATE)
    for spec in (main, migrate):
        assert spec["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
        assert spec["kind"] == "Kustomization"
    listed = {KUBE / name for name in main["resources"]} | {
        MIGRATE / name for name in migrate["resources"]
    }
    # Everything but the example Secret, which must never overwrite the real one.
    assert listed == set(manifest_files()) - {KUBE / "secret.example.yaml"}
    # The Job must finish before the rollout, so applying the app never starts it.
    assert not any("migrate" in name for name in main["resources"])
    # Migrations and the code they serve come from one image, which /health names.
    assert main["images"] == migrate["images"]
    (image,) = main["images"]
    assert configmap()["VERSION"] == str(image["newTag"])
    assert container("Deployment")["image"].split(":")[0] == image["name"]
    assert container("Job", "automotive-chat-migrate")["image"] == container("Deployment")["image"]
    namespace = main["namespace"]
    assert migrate["namespace"] == namespace
    for (kind, name), doc in objects().items():
        if kind == "Namespace":
            assert name == namespace
        else:
            assert doc["metadata"]["namespace"] == namespace, (kind, name)


# ---------------------------------------------------------------- the app's routes and settings


def test_probes_ask_routes_the_app_has(app):
    app_container = container("Deployment")
    readiness = app_container["readinessProbe"]["httpGet"]
    liveness = app_container["livenessProbe"]["httpGet"]
    startup = app_container["startupProbe"]["httpGet"]
    assert readiness["path"] == READINESS_PATH
    # Liveness must not follow PostgreSQL and Redis the way /health does.
    assert liveness["path"] == LIVENESS_PATH
    assert startup["path"] == LIVENESS_PATH
    routes = app.url_map.bind("localhost")
    assert routes.match(READINESS_PATH, method="GET")[0] == "ops.health"
    assert routes.match(LIVENESS_PATH, method="GET")[0] == "ops.live"
    (port,) = app_container["ports"]
    assert port["containerPort"] == APP_PORT
    assert configmap()["BIND"] == f"0.0.0.0:{APP_PORT}"
    for probe in (readiness, liveness, startup):
        assert probe["port"] == port["name"]
    assert one("Service")["spec"]["ports"][0]["targetPort"] == port["name"]


def env_names(spec: dict[str, Any]) -> set[str]:
    """The variables a container sets one by one (not those from envFrom)."""
    return {entry["name"] for entry in spec.get("env", [])}


def test_every_setting_is_one_the_app_reads():
    known = settings_read_by_the_code()
    assert "WORKERS" in known and "BIND" in known  # the reader finds gunicorn.conf.py's too
    assert sorted(set(configmap()) - known) == []
    for kind, name in (("Deployment", "automotive-chat"), ("Job", "automotive-chat-migrate")):
        spec = container(kind, name)
        assert sorted(env_names(spec) - known) == [], kind
        assert spec["envFrom"] == [{"configMapRef": {"name": "automotive-chat"}}], kind
    assert configmap()["FLASK_ENV"] == "production"


def secret_refs(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Variable name -> its secretKeyRef ({"name", "key", "optional"?})."""
    return {
        entry["name"]: entry["valueFrom"]["secretKeyRef"]
        for entry in spec.get("env", [])
        if "secretKeyRef" in entry.get("valueFrom", {})
    }


def test_secrets_are_only_referenced_all_from_one_secret():
    app_refs = secret_refs(container("Deployment"))
    job_refs = secret_refs(container("Job", "automotive-chat-migrate"))
    assert set(app_refs) == REQUIRED_SECRETS | OPTIONAL_SECRETS
    for name, ref in {**app_refs, **job_refs}.items():
        assert ref["name"] == SECRET, name
        assert ref["key"] == name
        # A missing required key keeps the pod from starting, with the reason in its events.
        assert ref.get("optional", False) is (name in OPTIONAL_SECRETS), name
    # The Job builds the app as the pods do, so it needs the same required values.
    assert set(job_refs) == REQUIRED_SECRETS
    assert job_refs == {name: app_refs[name] for name in job_refs}
    # Nothing secret in plain text: not in the ConfigMap, not as a literal value.
    secret_names = REQUIRED_SECRETS | OPTIONAL_SECRETS
    assert set(configmap()) & secret_names == set()
    for spec in (container("Deployment"), container("Job", "automotive-chat-migrate")):
        assert all("value" not in entry for entry in spec["env"] if entry["name"] in secret_names)
    example = one("Secret")
    assert set(example["stringData"]) == secret_names
    assert all("REPLACE-ME" in value for value in example["stringData"].values())


# ---------------------------------------------------------------- stopping and starting


def test_a_stopping_pod_outlasts_gunicorns_graceful_shutdown():
    spec = pod_spec("Deployment")
    pre_stop = container("Deployment")["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[:-1] == ["/bin/sleep"]
    # Gunicorn gets SIGTERM after preStop, then lets streams run for its graceful timeout.
    assert spec["terminationGracePeriodSeconds"] > int(pre_stop[-1]) + graceful_timeout()
    strategy = one("Deployment")["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    # The app, not the proxy, ends a slow reply.
    for kind, name in objects():
        if kind == "Ingress":
            annotations = one(kind, name)["metadata"]["annotations"]
            assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off", name
            for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
                value = int(annotations[f"nginx.ingress.kubernetes.io/{timeout}"])
                assert value > graceful_timeout(), (name, timeout)


def test_the_job_runs_start_sh_migrations_and_the_pods_do_not():
    migrate = start_sh_command(r"\bdb upgrade\b")
    serve = start_sh_command(r"^exec .* gunicorn ")
    job = one("Job", "automotive-chat-migrate")
    assert container("Job", "automotive-chat-migrate")["command"] == ["python", *migrate]
    assert container("Deployment")["command"] == ["python", *serve]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # The Job's pod is no web pod: no traffic, no disruption budget, no autoscaling.
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    web = one("Deployment")["spec"]["selector"]["matchLabels"]
    assert not web.items() <= job_labels.items()


def test_budget_autoscaler_and_service_select_the_deployments_pods():
    deployment = one("Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert one("Service")["spec"]["selector"] == selector
    budget = one("PodDisruptionBudget")["spec"]
    assert budget["selector"] == {"matchLabels": selector}
    hpa = one("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    # At least two pods, and a drain takes fewer than that: one is always serving.
    assert hpa["spec"]["minReplicas"] >= 2
    assert budget["maxUnavailable"] < hpa["spec"]["minReplicas"]
    # The autoscaler owns the count; a count here would undo it at every apply.
    assert "replicas" not in deployment["spec"]


def test_every_container_requests_resources():
    for kind, name in (("Deployment", "automotive-chat"), ("Job", "automotive-chat-migrate")):
        resources = container(kind, name)["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), kind
        assert "memory" in resources["limits"], kind
        to_mib = {"Mi": 1, "Gi": 1024}
        request, limit = (
            int(value[:-2]) * to_mib[value[-2:]]
            for value in (resources["requests"]["memory"], resources["limits"]["memory"])
        )
        assert request <= limit, kind


def test_pods_run_as_the_images_user_on_a_read_only_root():
    user = re.search(r"^USER (\d+):(\d+)$", (DEPLOY.parent / "Dockerfile").read_text(), re.M)
    assert user, "the Dockerfile names a numeric USER"
    assert one("Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted"
    )
    for kind, name in (("Deployment", "automotive-chat"), ("Job", "automotive-chat-migrate")):
        spec = pod_spec(kind, name)
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert (pod["runAsUser"], pod["runAsGroup"]) == (int(user[1]), int(user[2]))
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        own = container(kind, name)
        assert own["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        # The one writable place: temporary files (metrics, heartbeats, spooled uploads).
        (mount,) = own["volumeMounts"]
        assert mount["mountPath"] == "/tmp"
        (volume,) = spec["volumes"]
        assert volume["name"] == mount["name"] and "emptyDir" in volume


def nginx_body_limits() -> dict[str, str]:
    """client_max_body_size per location of the shipped Nginx site; "" is the server's."""
    text = (DEPLOY / "nginx" / "automotive-chat.conf").read_text()
    server = text[text.index("listen 443") :]
    limits = {"": re.search(r"^    client_max_body_size (\S+);", server, re.M)[1]}
    for location, size in re.findall(
        r'location (?:[=~] )?("[^"]+"|\S+) \{\s*client_max_body_size (\S+);', server
    ):
        limits[location.strip('"')] = size
    return limits


def test_ingress_body_limits_match_the_nginx_site():
    limits = nginx_body_limits()
    by_path = {}
    for (kind, _name), doc in objects().items():
        if kind != "Ingress":
            continue
        size = doc["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        for rule in doc["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                by_path[path["path"]] = size
                assert path["backend"]["service"]["name"] == one("Service")["metadata"]["name"]
    assert by_path["/"] == limits[""]
    assert by_path["/conversations/import"] == limits["/conversations/import"]
    assert by_path["/chat"] == limits["/chat"]
    # The site's edit route, a regex, is the /c prefix here.
    (edit,) = [location for location in limits if location.endswith("/edit$")]
    assert edit.startswith("^/c/")
    assert by_path["/c"] == limits[edit]


def test_the_readme_adds_up_the_database_connections():
    # The sum a managed PostgreSQL's max_connections must hold, at the autoscaler's
    # maximum plus the pod a rollout adds.
    settings = configmap()
    pods = (
        one("HorizontalPodAutoscaler")["spec"]["maxReplicas"]
        + one("Deployment")["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    )
    workers, pool, overflow = (
        int(settings[name]) for name in ("WORKERS", "DB_POOL_SIZE", "DB_MAX_OVERFLOW")
    )
    total = pods * workers * (pool + overflow)
    readme = (KUBE / "README.md").read_text()
    assert f"{pods} × {workers} × ({pool} + {overflow}) = {total}" in readme


# ---------------------------------------------------------------- the pods' commands, run here


def pod_env(tmp_path: Path, spec: dict[str, Any], secrets: dict[str, str]) -> dict[str, str]:
    """The container's environment as the kubelet would build it, secrets from ``secrets``."""
    env = dict(configmap())
    for entry in spec.get("env", []):
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref is None:
            env[entry["name"]] = entry["value"]
        elif ref["key"] in secrets:
            env[entry["name"]] = secrets[ref["key"]]
    return clean_env(tmp_path, **env)


def test_the_jobs_and_the_pods_commands_migrate_and_serve_with_these_settings(tmp_path):
    # SQLite in a temporary folder stands in for PostgreSQL (FLASK_ENV=production takes
    # any DATABASE_URL); Redis is the run's when there is one.
    secrets = {
        "SESSION_SECRET": "k8s-test-session-secret-" + "x" * 32,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k8s.db'}",
    }
    if TEST_REDIS_URL:
        secrets["REDIS_URL"] = TEST_REDIS_URL
    job = container("Job", "automotive-chat-migrate")
    migrated = subprocess.run(
        job["command"],
        cwd=DEPLOY.parent,  # the image's WORKDIR, /app
        env=pod_env(tmp_path, job, secrets),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "Running upgrade" in migrated.stderr

    web = container("Deployment")
    port = free_port()
    env = pod_env(tmp_path, web, secrets)
    env["BIND"] = f"127.0.0.1:{port}"  # the pod's 0.0.0.0:8000, on a free loopback port
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            web["command"], cwd=DEPLOY.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until_serving(server, base, 60), log.read_text()
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            path = web[probe]["httpGet"]["path"]
            response = requests.get(base + path, timeout=5)
            assert response.status_code == 200, (probe, response.text)
    finally:
        stop(server)
    assert server.returncode == 0, log.read_text()
