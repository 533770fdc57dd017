"""`command.goto` with Sends over HTTP, through the real langgraph-sdk (0.4.14): the Agent
Server's `{"node": ..., "input": ...}` (LangGraph's Send(node, arg)), alone or in a list with
node names; each one a task of the paused step, in goto's order. A Send of another shape is
refused with 422 naming it, before anything runs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.integration.test_resume_goto_send import build

QUEUE = f"http-goto-send-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture(scope="module")
async def url(client: Client) -> AsyncIterator[str]:
    graphs = {"goto": build()}
    async with create_worker(client, graphs, task_queue=QUEUE):
        async with serve(create_app(GraphClient(client, task_queue=QUEUE), graphs)) as base:
            yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


async def paused_thread(sdk: LangGraphClient) -> str:
    tid: str = (await sdk.threads.create())["thread_id"]
    out = await sdk.runs.wait(tid, "goto", input={"topic": "T", "out": []})
    assert out["__interrupt__"][0]["value"] == {"question": "go?"}
    return tid


async def test_sends_and_names_in_goto(sdk: LangGraphClient) -> None:
    tid = await paused_thread(sdk)
    goto = [
        {"node": "echo", "input": {"item": "p"}},
        "echo",
        {"node": "echo", "input": {"item": "q"}},
    ]
    done = await sdk.runs.wait(tid, "goto", command={"resume": "yes", "goto": goto})  # type: ignore[typeddict-item]
    # The answered task first, then goto's tasks in goto's order.
    assert done == {"topic": "T", "out": ["ask:yes", "echo:p", "echo:state:T", "echo:q"]}


async def test_a_single_send_through_runs_create(sdk: LangGraphClient) -> None:
    tid = await paused_thread(sdk)
    run = await sdk.runs.create(
        tid,
        "goto",
        command={"resume": "ok", "goto": {"node": "echo", "input": {"item": "one"}}},  # type: ignore[typeddict-item]
    )
    assert (await sdk.runs.join(tid, run["run_id"]))["out"] == ["ask:ok", "echo:one"]


async def refused(call: Any) -> str:
    with pytest.raises(httpx.HTTPStatusError) as err:
        await call
    assert err.value.response.status_code == 422, err.value.response.text
    detail: str = err.value.response.json()["detail"]
    return detail


async def test_other_shapes_are_refused_naming_them(sdk: LangGraphClient) -> None:
    tid = await paused_thread(sdk)
    bad_sends: list[Any] = [
        {"node": "echo", "arg": {"item": 1}},  # LangGraph's attribute name, not the wire's
        {"input": {"item": 1}},  # no node
        {"node": "", "input": 1},
        [{"node": "echo", "input": 1, "extra": True}],
    ]
    for goto in bad_sends:
        detail = await refused(sdk.runs.wait(tid, "goto", command={"resume": "x", "goto": goto}))
        assert detail.startswith("command.goto"), detail
    # Nothing ran: still paused, and a good answer goes through.
    assert (await sdk.threads.get(tid))["status"] == "interrupted"
    done = await sdk.runs.wait(
        tid,
        "goto",
        command={"resume": "y", "goto": [{"node": "echo", "input": {"item": "z"}}]},  # type: ignore[typeddict-item]
    )
    assert done["out"] == ["ask:y", "echo:z"]


async def test_a_send_to_an_unknown_node_is_refused_by_the_run(sdk: LangGraphClient) -> None:
    """Refused by the run as an unknown name is: the `__error__` body, nothing changed (the
    same pause takes a good answer)."""
    tid = await paused_thread(sdk)
    nowhere: Any = {"resume": "x", "goto": {"node": "nowhere", "input": 1}}
    out = await sdk.runs.wait(tid, "goto", command=nowhere, raise_error=False)
    assert out["__error__"]["error"] == "InvalidResume" and "nowhere" in out["__error__"]["message"]
    good: Any = {"resume": "y", "goto": {"node": "echo", "input": {"item": "ok"}}}
    assert (await sdk.runs.wait(tid, "goto", command=good))["out"] == ["ask:y", "echo:ok"]
