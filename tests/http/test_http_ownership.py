"""The HTTP API shares its Temporal namespace with other teams' workflows: it acts only on
GraphRun and TempographThread executions, shows no other execution as a thread, and never
reads, signals, cancels, terminates or deletes one (tempograph.ownership).

A foreign workflow (PaymentsWorkflow, its own worker and task queue on the same test server)
runs under a thread-like id and under an `X/thread` id; after every HTTP call it must still be
running."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest_asyncio
from temporalio import workflow
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from tests.http.test_http_processes import server_process


@workflow.defn(name="PaymentsWorkflow", sandboxed=False)
class PaymentsWorkflow:
    """Another team's workflow: waits until told to stop."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "paid"

    @workflow.signal
    def stop(self) -> None:
        self.done = True


@dataclass
class Foreign:
    client: Client
    ids: list[str]
    task_queue: str

    async def start(self, workflow_id: str) -> None:
        await self.client.start_workflow(
            PaymentsWorkflow.run, id=workflow_id, task_queue=self.task_queue
        )
        self.ids.append(workflow_id)

    async def assert_untouched(self) -> None:
        """Every foreign execution is still running (not cancelled, terminated or deleted)."""
        for workflow_id in self.ids:
            desc = await self.client.get_workflow_handle(workflow_id).describe()
            assert desc.workflow_type == "PaymentsWorkflow"
            assert desc.status == WorkflowExecutionStatus.RUNNING, workflow_id


@pytest_asyncio.fixture(scope="module")
async def foreign(client: Client) -> AsyncIterator[Foreign]:
    task_queue = f"payments-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[PaymentsWorkflow]):
        found = Foreign(client, [], task_queue)
        yield found
        for workflow_id in found.ids:
            handle = client.get_workflow_handle(workflow_id)
            await handle.signal(PaymentsWorkflow.stop)
            assert await handle.result() == "paid"


@pytest_asyncio.fixture(scope="module")
async def api(client: Client, worker: Worker) -> AsyncIterator[httpx.AsyncClient]:
    async with server_process(client) as http:
        yield http


def unrevealing(r: httpx.Response) -> None:
    assert "Payments" not in r.text and "paid" not in r.text, r.text
    assert "Tempograph" not in r.text and "workflow" not in r.text.lower(), r.text


async def test_a_foreign_thread_id_is_unknown_and_never_touched(
    api: httpx.AsyncClient, foreign: Foreign
) -> None:
    billing = f"billing-{uuid.uuid4().hex[:8]}"
    await foreign.start(billing)
    run_id = (await foreign.client.get_workflow_handle(billing).describe()).run_id

    # Creating the thread is refused (the GraphRun's workflow id is the thread id): 409,
    # without saying what holds the id.
    r = await api.post("/threads", json={"thread_id": billing})
    assert r.status_code == 409, r.text
    # The same answer as for a Tempograph thread that exists.
    assert r.json() == {"detail": f"Thread with ID {billing} already exists"}
    unrevealing(r)
    await foreign.assert_untouched()
    r = await api.post("/threads", json={"thread_id": billing, "if_exists": "do_nothing"})
    assert r.status_code == 409
    await foreign.assert_untouched()

    # Every read or write answers as for an unknown thread.
    calls = [
        ("GET", f"/threads/{billing}", None),
        ("PATCH", f"/threads/{billing}", {"metadata": {"a": 1}}),
        ("DELETE", f"/threads/{billing}", None),
        ("GET", f"/threads/{billing}/state", None),
        ("POST", f"/threads/{billing}/state", {"values": {"x": 1}}),
        ("POST", f"/threads/{billing}/history", {}),
        ("GET", f"/threads/{billing}/history", None),
        ("GET", f"/threads/{billing}/runs", None),
        ("GET", f"/threads/{billing}/runs/{run_id}", None),
        ("GET", f"/threads/{billing}/runs/{run_id}/join", None),
        ("POST", f"/threads/{billing}/runs/{run_id}/cancel", None),
        ("POST", f"/threads/{billing}/runs/{run_id}/cancel?wait=true", None),
        ("POST", f"/threads/{billing}/runs/wait", {"assistant_id": "ask", "input": {"x": 1}}),
        (
            "POST",
            f"/threads/{billing}/runs/wait",
            {"assistant_id": "ask", "command": {"resume": 1}},
        ),
        ("POST", f"/threads/{billing}/runs", {"assistant_id": "ask", "input": {"x": 1}}),
        ("POST", f"/threads/{billing}/runs/stream", {"assistant_id": "ask", "input": {"x": 1}}),
    ]
    for method, path, body in calls:
        r = await api.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        unrevealing(r)
        await foreign.assert_untouched()

    # A run that would create the thread cannot start: 409, the same answer as creating it.
    for mode in ("wait", "stream", ""):
        path = f"/threads/{billing}/runs/{mode}".rstrip("/")
        body = {"assistant_id": "ask", "input": {"x": 1}, "if_not_exists": "create"}
        r = await api.post(path, json=body)
        assert r.status_code == 409, (path, r.text)
        assert r.json() == {"detail": f"Thread with ID {billing} already exists"}
        unrevealing(r)
        await foreign.assert_untouched()
    assert (await api.get(f"/threads/{billing}")).status_code == 404

    # Searches never list it.
    r = await api.post("/threads/search", json={"ids": [billing]})
    assert r.json() == []
    r = await api.post("/threads/search", json={"limit": 1000})
    assert billing not in {t["thread_id"] for t in r.json()}
    await foreign.assert_untouched()


async def test_a_foreign_record_id_is_not_a_thread(
    api: httpx.AsyncClient, foreign: Foreign
) -> None:
    x = f"X-{uuid.uuid4().hex[:8]}"
    await foreign.start(f"{x}/thread")

    r = await api.get(f"/threads/{x}")
    assert r.status_code == 404, r.text  # not an idle thread
    await foreign.assert_untouched()
    # No update reaches it (today's PATCH hung on an update nobody handles).
    r = await asyncio.wait_for(api.patch(f"/threads/{x}", json={"metadata": {"a": 1}}), 10)
    assert r.status_code == 404, r.text
    await foreign.assert_untouched()
    r = await api.delete(f"/threads/{x}")
    assert r.status_code == 404, r.text
    await foreign.assert_untouched()
    r = await api.post("/threads", json={"thread_id": x})
    assert r.status_code == 409, r.text
    assert r.json() == {"detail": f"Thread with ID {x} already exists"}
    unrevealing(r)
    await foreign.assert_untouched()
    r = await api.post(
        f"/threads/{x}/runs/wait",
        json={"assistant_id": "ask", "input": {"x": 1}, "if_not_exists": "create"},
    )
    assert r.status_code == 409, r.text
    await foreign.assert_untouched()
    r = await api.post("/threads/search", json={"ids": [x]})
    assert r.json() == []
    await foreign.assert_untouched()


async def test_deleting_a_thread_spares_a_foreign_execution_under_its_id(
    api: httpx.AsyncClient, foreign: Foreign
) -> None:
    """A thread created (and run) by Tempograph, then another team's workflow started under the
    thread's id once its run ended: DELETE removes the thread's own executions only."""
    thread = f"t-{uuid.uuid4().hex[:8]}"
    r = await api.post("/threads", json={"thread_id": thread, "metadata": {"owner": "qa"}})
    assert r.status_code == 200
    r = await api.post(
        f"/threads/{thread}/runs/wait", json={"assistant_id": "chain", "input": {"log": []}}
    )
    assert r.status_code == 200, r.text
    await foreign.start(thread)  # the GraphRun completed: the id may be reused

    # The latest execution under the id is foreign: the thread shows its record only.
    r = await api.get(f"/threads/{thread}")
    assert r.status_code == 200 and r.json()["metadata"] == {"owner": "qa"}
    unrevealing(r)
    await foreign.assert_untouched()
    r = await api.post(
        f"/threads/{thread}/runs/wait", json={"assistant_id": "chain", "input": {"log": []}}
    )
    assert r.status_code == 409, r.text
    unrevealing(r)
    await foreign.assert_untouched()

    r = await api.delete(f"/threads/{thread}")
    assert r.status_code == 204, r.text
    await foreign.assert_untouched()
    assert (await api.get(f"/threads/{thread}")).status_code == 404
    await foreign.assert_untouched()


async def test_a_thread_whose_record_id_is_taken_keeps_the_foreign_record_id_untouched(
    api: httpx.AsyncClient, foreign: Foreign
) -> None:
    """A thread started by a run (no record yet), then another workflow under `<thread>/thread`:
    the thread stays readable; its metadata cannot be stored (409); DELETE removes the thread
    and leaves that workflow running (no tombstone terminates it)."""
    thread = f"t-{uuid.uuid4().hex[:8]}"
    r = await api.post(
        f"/threads/{thread}/runs/wait",
        json={"assistant_id": "chain", "input": {"log": []}, "if_not_exists": "create"},
    )
    assert r.status_code == 200, r.text
    await foreign.start(f"{thread}/thread")

    r = await api.get(f"/threads/{thread}")
    assert r.status_code == 200 and r.json()["values"] == {"log": ["a", "b", "c"]}
    await foreign.assert_untouched()
    r = await asyncio.wait_for(api.patch(f"/threads/{thread}", json={"metadata": {"a": 1}}), 10)
    assert r.status_code == 409, r.text
    unrevealing(r)
    await foreign.assert_untouched()
    r = await api.delete(f"/threads/{thread}")
    assert r.status_code == 204, r.text
    await foreign.assert_untouched()
    assert (await api.get(f"/threads/{thread}")).status_code == 404
    await foreign.assert_untouched()
