"""Recovery from a worker killed with kill -9: a node that was running is retried on the next
worker within seconds (nodes heartbeat), and the embedded dev server that worker.py started
dies with it instead of living on as an orphan."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psutil
from temporalio.client import Client

from tempograph.devserver import DevServer
from tempograph.messages import RunInput
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


async def read_until_ready(proc: asyncio.subprocess.Process, timeout: float = 60) -> str:
    assert proc.stdout is not None
    lines = []
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=timeout)
        lines.append(line.decode())
        if not line or line.strip() == b"ready":
            break
    assert line.strip() == b"ready", "".join(lines)
    return "".join(lines)


@asynccontextmanager
async def process(*args: str, env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_node_of_a_killed_worker_is_retried_within_seconds(
    server: DevServer, client: Client, tmp_path: Path
) -> None:
    task_queue = f"recover-{uuid.uuid4().hex[:8]}"
    thread = f"t-{uuid.uuid4().hex[:12]}"
    env = {
        "TEMPORAL_ADDRESS": server.address,
        "TEMPOGRAPH_TASK_QUEUE": task_queue,
        "TEMPOGRAPH_TEST_MARKS": str(tmp_path),
    }
    worker = ("-m", "tests.integration.recovery_worker")
    loop = asyncio.get_running_loop()
    async with process(*worker, env=env) as first:
        await read_until_ready(first)
        handle = await client.start_workflow(
            "GraphRun",
            RunInput(graph="sleepy", input={"n": 0}),
            id=thread,
            task_queue=task_queue,
            result_type=dict,
        )
        deadline = loop.time() + 30
        while not list(tmp_path.glob(f"{thread}.start.*")):
            assert loop.time() < deadline, "the node never started"
            await asyncio.sleep(0.05)
        first.kill()  # SIGKILL mid-node: no graceful shutdown, no failure reported
        await first.wait()
    killed_at = loop.time()
    async with process(*worker, env=env) as second:
        await read_until_ready(second)
        result = await asyncio.wait_for(handle.result(), timeout=60)
        recovered_in = loop.time() - killed_at
    assert result == {"n": 1}
    assert recovered_in < 30, f"the run took {recovered_in:.1f} s to recover"
    assert len(list(tmp_path.glob(f"{thread}.start.*"))) == 2  # killed, then retried
    assert len(list(tmp_path.glob(f"{thread}.done.*"))) == 1  # its body completed once


async def test_embedded_dev_server_dies_with_worker(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "TEMPORAL_ADDRESS": "",
        "TEMPOGRAPH_DEV_PORT": str(port),
        "TEMPOGRAPH_DEV_UI_PORT": "none",
        "TEMPOGRAPH_DATA_DIR": str(tmp_path / "data"),
        "TEMPOGRAPH_TASK_QUEUE": "embedded",
    }
    async with process("worker.py", env=env) as worker:
        out = await read_until_ready(worker)
        assert "started embedded Temporal dev server" in out
        servers = [p for p in psutil.Process(worker.pid).children() if "temporal" in p.name()]
        assert len(servers) == 1, out
        server = servers[0]
        os.kill(worker.pid, signal.SIGKILL)
        await worker.wait()
    gone, alive = psutil.wait_procs([server], timeout=10)
    if alive:
        server.kill()
    assert not alive, "the dev server outlived the worker that started it"


async def test_worker_says_it_reuses_a_running_server(tmp_path: Path) -> None:
    running = DevServer(port=free_port(), ui_port=None, db_filename=tmp_path / "other.db")
    await running.start()
    try:
        env = {
            "TEMPORAL_ADDRESS": "",
            "TEMPOGRAPH_DEV_PORT": str(running.port),
            "TEMPOGRAPH_DATA_DIR": str(tmp_path / "data"),
            "TEMPOGRAPH_TASK_QUEUE": "reuse",
        }
        async with process("worker.py", env=env) as worker:
            out = await read_until_ready(worker)
        assert "using the Temporal server already running" in out
        assert f"localhost:{running.port}" in out
        assert "started embedded" not in out
    finally:
        running.stop()
