"""The runs and threads items of the Agent Server API through the real langgraph-sdk (0.4.14)
against Tempograph served by uvicorn: runs.create queued behind a running run (enqueue,
answered at once as "pending"), runs.delete, runs.cancel_many, multitask_strategy="rollback",
runs.create_batch, after_seconds, command.goto with Send (refused), threads.copy and
threads.prune."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs


@pytest_asyncio.fixture(scope="module")
async def url(client: Client, worker: Worker) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    async with serve(app) as base:
        yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


async def refused(call: object, status: int) -> str:
    with pytest.raises(httpx.HTTPStatusError) as err:
        await call  # type: ignore[misc]
    assert err.value.response.status_code == status, err.value.response.text
    detail: str = err.value.response.json()["detail"]
    return detail


async def test_enqueue_answers_at_once_pending_then_runs(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    first = await sdk.runs.create(tid, "slow", input={})
    started = time.monotonic()
    queued = await sdk.runs.create(tid, "slow", input={"n": 5}, multitask_strategy="enqueue")
    assert time.monotonic() - started < 1.0  # the first run naps 1.5 s
    assert queued["status"] == "pending" and queued["run_id"] != first["run_id"]
    assert (await sdk.runs.get(tid, queued["run_id"]))["status"] == "pending"
    assert (await sdk.threads.get(tid))["status"] == "busy"
    # Its turn comes once the first run has ended; the id it was given stays its id.
    assert (await sdk.runs.join(tid, queued["run_id"]))["n"] == 1
    got = await sdk.runs.get(tid, queued["run_id"])
    assert (got["run_id"], got["status"]) == (queued["run_id"], "success")
    assert (await sdk.runs.get(tid, first["run_id"]))["status"] == "success"
