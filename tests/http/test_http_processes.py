"""Several server processes on one namespace answer alike: what decides an answer is in
Temporal (a cancellation's cause in the run's history, a refused resume on the thread's
record), not in one process's memory. Also: interrupts render the same in every response."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph.http import create_app
from tempograph.http.status import TABLE, CancelCause, Outcome, outcome
from tempograph.http.thread_store import REFUSED_KEY
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import Decision, all_graphs


def server_process(client: Client) -> httpx.AsyncClient:
    """One server process: nothing shared with another but Temporal."""
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30
    )


@pytest_asyncio.fixture
async def two(
    client: Client, worker: Worker
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with server_process(client) as a, server_process(client) as b:
        yield a, b


async def new_thread(api: httpx.AsyncClient) -> str:
    r = await api.post("/threads", json={})
    assert r.status_code == 200, r.text
    return str(r.json()["thread_id"])


async def wait(api: httpx.AsyncClient, thread: str, **body: Any) -> httpx.Response:
    return await api.post(f"/threads/{thread}/runs/wait", json=body)


async def statuses(api: httpx.AsyncClient, thread: str) -> dict[str, str]:
    runs = (await api.get(f"/threads/{thread}/runs")).json()
    return {r["run_id"]: r["status"] for r in runs}


def test_the_status_table() -> None:
    """One table: a pause is a run "success" and a thread "interrupted"; a cancel is
    "interrupted" for both; a superseded pause stays a "success"; a refused resume is an
    "error" for both while the run stays paused."""
    running = WorkflowExecutionStatus.RUNNING
    failed = WorkflowExecutionStatus.FAILED
    assert outcome(running) == Outcome.WORKING
    assert outcome(running, paused=True) == Outcome.PAUSED
    assert outcome(running, paused=True, refused=True) == Outcome.REFUSED
    assert outcome(failed, failure_error="ValueError") == Outcome.FAILED
    assert outcome(failed, failure_error="CancelledError") == Outcome.CANCELLED
    assert outcome(failed, failure_error="X", cancel=CancelCause.USER) == Outcome.CANCELLED
    canceled = WorkflowExecutionStatus.CANCELED
    assert outcome(canceled, cancel=CancelCause.SUPERSEDED) == Outcome.SUPERSEDED
    assert outcome(canceled, cancel=CancelCause.OTHER) == Outcome.CANCELLED
    assert outcome(WorkflowExecutionStatus.TIMED_OUT) == Outcome.ENDED
    pairs = {o: (row.thread, row.run) for o, row in TABLE.items()}
    assert pairs[Outcome.PAUSED] == ("interrupted", "success")
    assert pairs[Outcome.CANCELLED] == ("interrupted", "interrupted")
    assert pairs[Outcome.SUPERSEDED] == ("interrupted", "success")
    assert pairs[Outcome.REFUSED] == ("error", "error")
    assert set(TABLE) == set(Outcome)
    assert CancelCause.of(CancelCause.USER.value) == CancelCause.USER
    assert CancelCause.of("someone on the CLI") == CancelCause.OTHER


async def test_a_run_cancelled_by_another_process_looks_cancelled_from_both(
    two: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """Scenario 34 across processes: a run started by A, cancelled through B."""
    a, b = two
    thread = await new_thread(a)
    run = (
        await a.post(f"/threads/{thread}/runs", json={"assistant_id": "slow", "input": {"n": 0}})
    ).json()
    while not (await a.post(f"/threads/{thread}/history", json={"limit": 1})).json():
        await asyncio.sleep(0.02)  # cancel while the node runs
    r = await b.post(f"/threads/{thread}/runs/{run['run_id']}/cancel", params={"wait": 1})
    assert r.status_code == 200
    await a.get(f"/threads/{thread}/runs/{run['run_id']}/join")  # A's own run has ended
    for api in (a, b):
        got = (await api.get(f"/threads/{thread}/runs/{run['run_id']}")).json()
        assert got["status"] == "interrupted", got
        t = (await api.get(f"/threads/{thread}")).json()
        assert t["status"] == "interrupted", t
        assert t["error"] == {"error": "UserInterrupt", "message": "The run was cancelled"}
    assert await statuses(a, thread) == await statuses(b, thread) == {run["run_id"]: "interrupted"}
    # Either process continues the thread from the latest checkpoint.
    assert (await wait(b, thread, assistant_id="slow")).json() == {"log": [], "n": 1}


async def test_a_superseded_pause_is_a_success_from_both(
    two: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """Scenario 13 across processes: new input discards the pause; its run stays a success."""
    a, b = two
    thread = await new_thread(a)
    before_b = {"assistant_id": "chain", "interrupt_before": ["b"]}
    await wait(a, thread, **before_b, input={"log": ["x"]})
    await wait(a, thread, **before_b, input={"log": ["y"]})
    seen_a, seen_b = await statuses(a, thread), await statuses(b, thread)
    assert seen_a == seen_b and len(seen_a) == 2 and set(seen_a.values()) == {"success"}


async def test_a_refused_resume_looks_the_same_from_both(
    two: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """Scenarios 5-6 across processes: a resume refused through A is the thread's error in B
    too, until a correct resume through B moves the run on."""
    a, b = two
    thread = await new_thread(a)
    body = (await wait(a, thread, assistant_id="par", input={"log": []})).json()
    ids = {i["value"]: i["id"] for i in body["__interrupt__"]}
    r = await wait(a, thread, assistant_id="par", command={"resume": "single"})
    error = r.json()["__error__"]
    assert error["error"] == "AmbiguousResume"
    run_path = r.headers["content-location"]
    for api in (a, b):
        t = (await api.get(f"/threads/{thread}")).json()
        assert (t["status"], t["error"]) == ("error", error), t
        assert sum(len(v) for v in t["interrupts"].values()) == 2
        assert REFUSED_KEY not in t["metadata"]
        assert (await api.get(run_path)).json()["status"] == "error"
        found = (
            await api.post("/threads/search", json={"ids": [thread], "status": "error"})
        ).json()
        assert [f["thread_id"] for f in found] == [thread]
    # The key that keeps it is not the clients' to write.
    r = await b.patch(f"/threads/{thread}", json={"metadata": {REFUSED_KEY: None}})
    assert r.status_code == 422

    r = await wait(b, thread, assistant_id="par", command={"resume": {ids["q-a"]: "A"}})
    assert [i["id"] for i in r.json()["__interrupt__"]] == [ids["q-b"]]
    for api in (a, b):
        t = (await api.get(f"/threads/{thread}")).json()
        assert (t["status"], t["error"]) == ("interrupted", None), t


async def test_interrupts_render_alike_in_every_response(
    two: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """One renderer: run output (wait, join, stream) carries {"value", "id",
    "response_schema"}; the thread and its state carry {"id", "value"} plus the schema when
    there is one (langgraph-hitl.md §1.4, §5.3, §5.4). The state's tasks used to drop it."""
    a, _ = two
    schema = Decision.model_json_schema()
    thread = await new_thread(a)
    r = await wait(a, thread, assistant_id="typed", input={"action": "deploy"})
    [out] = r.json()["__interrupt__"]
    assert out == {"value": {"action": "deploy"}, "id": out["id"], "response_schema": schema}
    joined = (await a.get(r.headers["location"])).json()
    assert joined["__interrupt__"] == [out]
    on_thread = {"id": out["id"], "value": {"action": "deploy"}, "response_schema": schema}
    t = (await a.get(f"/threads/{thread}")).json()
    assert list(t["interrupts"].values()) == [[on_thread]]
    state = (await a.get(f"/threads/{thread}/state")).json()
    assert state["tasks"][0]["interrupts"] == [on_thread] and state["interrupts"] == [on_thread]

    streamed = await a.post(
        "/runs/stream",
        json={
            "assistant_id": "typed",
            "input": {"action": "ship"},
            "stream_mode": ["updates", "values"],
        },
    )
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
        for block in streamed.text.replace("\r\n", "\n").strip().split("\n\n")
    ]
    chunks = [data["__interrupt__"] for _, data in events if "__interrupt__" in data]
    assert len(chunks) == 2  # the updates chunk, then the final values
    for [item] in chunks:
        assert set(item) == {"value", "id", "response_schema"}
        assert (item["value"], item["response_schema"]) == ({"action": "ship"}, schema)
    assert uuid.UUID(events[0][1]["run_id"])
