"""The store shared across processes: a `tempograph worker` process (its --store option) runs
a node that reads what this process put and writes what this process then reads, on the SQLite
file (one machine) and on PostgreSQL (what several machines share)."""

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

from tempograph import GraphClient
from tempograph.store import open_store
from tests.conftest import SessionServer
from tests.postgres_cluster import fresh_database

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def worker_process(
    address: str, task_queue: str, store_uri: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {k: v for k, v in os.environ.items() if k != "TEMPOGRAPH_STORE_URI"}
    env["TEMPORAL_ADDRESS"] = address
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tempograph",
        "worker",
        "--graph",
        "store=tests.store_graphs:graph",
        "--task-queue",
        task_queue,
        "--store",
        store_uri,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines = []
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        lines.append(line.decode())
        if not line or line.strip() == b"ready":
            break
    assert line.strip() == b"ready", "".join(lines)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@pytest.fixture(params=["sqlite", "postgres"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.sqlite"
    return fresh_database(request.getfixturevalue("postgres_uri"))


async def test_a_worker_process_shares_the_store(
    server: SessionServer, client: Client, store_uri: str
) -> None:
    store = open_store(store_uri)
    user = f"u{uuid.uuid4().hex[:8]}"
    store.put(("inbox", user), "msg", {"text": "hi from the test process"})
    queue = f"store-{uuid.uuid4().hex[:8]}"
    try:
        async with worker_process(server.address, queue, store_uri) as proc:
            out = await GraphClient(client, task_queue=queue).invoke(
                "store", {"user": user}, thread_id=f"t-{uuid.uuid4().hex[:12]}"
            )
        reply = out["reply"]
        assert reply == {"echo": "hi from the test process", "pid": proc.pid}
        assert proc.pid != os.getpid()
        item = store.get(("outbox", user), "reply")
        assert item is not None and item.value == reply
    finally:
        store.close()
