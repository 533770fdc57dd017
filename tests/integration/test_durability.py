"""A paused run survives: the worker killed and restarted, the dev server restarted on its SQLite
file, and new graph code deployed while it waits."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.client import Client

from tempograph import GraphClient, connect, create_worker
from tempograph.devserver import DevServer
from tempograph.types import Command
from tests.conftest import free_port
from tests.sample_graphs import build_versioned

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def worker_process(
    address: str, task_queue: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """worker.py in its own process, as users run it; yields once it serves the task queue."""
    env = dict(os.environ, TEMPORAL_ADDRESS=address, TEMPOGRAPH_TASK_QUEUE=task_queue)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "worker.py"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines = []
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        lines.append(line.decode())
        if not line or line.strip() == b"ready":
            break
    assert line.strip() == b"ready", "".join(lines)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_worker_killed_while_paused(server: DevServer, client: Client) -> None:
    task_queue = f"kill-{uuid.uuid4().hex[:8]}"
    thread = f"t-{uuid.uuid4().hex[:12]}"
    graphs = GraphClient(client, task_queue=task_queue)
    async with worker_process(server.address, task_queue) as proc:
        out = await graphs.invoke("revise", {"some_text": "draft"}, thread_id=thread)
        assert out["__interrupt__"][0].value == {"text_to_revise": "draft"}
        proc.kill()  # SIGKILL: no graceful shutdown
        await proc.wait()
    # Paused with no worker at all: the run is only history now.
    assert (await client.get_workflow_handle(thread).describe()).status is not None
    async with worker_process(server.address, task_queue):
        done = await graphs.invoke("revise", Command(resume="final"), thread_id=thread)
    assert done == {"some_text": "final"}


async def test_dev_server_restarted_on_same_sqlite_file(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "restart.db"
    task_queue = "restart"
    thread = "restart-thread"
    first = DevServer(port=port, ui_port=None, db_filename=db)
    await first.start()
    try:
        client = await connect(first.address)
        async with create_worker(client, {"versioned": build_versioned(1)}, task_queue=task_queue):
            out = await GraphClient(client, task_queue=task_queue).invoke(
                "versioned", {"log": []}, thread_id=thread
            )
            assert out["__interrupt__"][0].value == "go?"
    finally:
        first.stop(kill=True)

    second = DevServer(port=port, ui_port=None, db_filename=db)
    await second.start()
    try:
        client = await connect(second.address)
        graphs = GraphClient(client, task_queue=task_queue)
        async with create_worker(client, {"versioned": build_versioned(1)}, task_queue=task_queue):
            state = await graphs.get_state(thread)
            assert (state.status, state.next) == ("interrupted", ["ask"])
            done = await graphs.invoke("versioned", Command(resume="yes"), thread_id=thread)
        assert done == {"log": ["a", "ask=yes", "c"]}
    finally:
        second.stop()


@pytest.mark.parametrize("evict", [True, False])
async def test_new_graph_code_does_not_change_a_paused_run(client: Client, evict: bool) -> None:
    """A run follows the topology recorded at its start, even after v2 of the graph is deployed
    (v2 inserts a node). New runs get v2."""
    task_queue = f"deploy-{uuid.uuid4().hex[:8]}"
    graphs = GraphClient(client, task_queue=task_queue)
    old_thread, new_thread = (f"t-{uuid.uuid4().hex[:12]}" for _ in range(2))
    async with create_worker(client, {"versioned": build_versioned(1)}, task_queue=task_queue):
        await graphs.invoke("versioned", {"log": []}, thread_id=old_thread)
    options = {"max_cached_workflows": 0} if evict else {}
    async with create_worker(
        client, {"versioned": build_versioned(2)}, task_queue=task_queue, **options
    ):
        old = await graphs.invoke("versioned", Command(resume="ok"), thread_id=old_thread)
        await graphs.invoke("versioned", {"log": []}, thread_id=new_thread)
        new = await graphs.invoke("versioned", Command(resume="ok"), thread_id=new_thread)
    assert old == {"log": ["a", "ask=ok", "c"]}
    assert new == {"log": ["a", "ask=ok", "new", "c"]}
