"""GraphClient's worker probe (issue 16, findings 4 and 7): calls waiting on the same task queue
share one DescribeTaskQueue per WORKER_PROBE_AFTER instead of one each, and a probe the server
fails (e.g. "operation was canceled" under load) is "unknown": the call keeps waiting for its
run instead of failing. Against the session's real dev server and a real worker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any, TypedDict

import structlog.testing
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from tempograph import GraphClient, create_worker
from tempograph.client import WORKER_PROBE_AFTER
from tempograph.graph import END, START, CompiledGraph, StateGraph

SLOW_NODE_SECONDS = 3 * WORKER_PROBE_AFTER


class SlowState(TypedDict):
    done: list[str]


async def slow(state: SlowState) -> dict[str, Any]:
    await asyncio.sleep(SLOW_NODE_SECONDS)
    return {"done": [*state["done"], "slow"]}


def build_slow() -> CompiledGraph:
    builder = StateGraph(SlowState)
    builder.add_node("slow", slow)
    builder.add_edge(START, "slow")
    builder.add_edge("slow", END)
    return builder.compile()


class CountingClient(GraphClient):
    """Counts the DescribeTaskQueue calls actually sent (the real ones, to the real server)."""

    probes = 0

    async def _worker_polls(self, task_queue: str) -> bool:
        self.probes += 1
        return await super()._worker_polls(task_queue)


class FailingProbeClient(CountingClient):
    """Sends a probe the real server refuses (no task queue name): the RPC fails as a probe
    under load does, with an RPCError."""

    async def _worker_polls(self, task_queue: str) -> bool:
        self.probes += 1
        await self.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=self.client.namespace,
                task_queue=TaskQueue(name=""),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        raise AssertionError("the server accepted a task queue without a name")


async def test_concurrent_waits_share_one_probe_per_period(client: Client) -> None:
    task_queue = f"probe-{uuid.uuid4().hex[:8]}"
    graphs = CountingClient(client, task_queue=task_queue, eager_start=False)
    calls = 12
    async with create_worker(client, {"slow": build_slow()}, task_queue=task_queue):
        results = await asyncio.wait_for(
            asyncio.gather(
                *(
                    graphs.invoke("slow", {"done": []}, thread_id=f"p-{uuid.uuid4().hex[:10]}")
                    for _ in range(calls)
                )
            ),
            timeout=120,
        )
    assert all(r == {"done": ["slow"]} for r in results)
    # Each call waited >= SLOW_NODE_SECONDS, i.e. ~3 probe periods: one probe each per period
    # would be ~36; shared, one per period for all of them.
    periods = SLOW_NODE_SECONDS / WORKER_PROBE_AFTER
    assert 1 <= graphs.probes <= periods + 3, graphs.probes
    assert graphs.probes < calls


async def test_a_failing_probe_does_not_fail_the_call(client: Client) -> None:
    task_queue = f"probe-{uuid.uuid4().hex[:8]}"
    graphs = FailingProbeClient(client, task_queue=task_queue, eager_start=False)
    # The probe the test client sends really fails on the server.
    try:
        await graphs._worker_polls(task_queue)
    except RPCError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the probe should fail")
    graphs.probes = 0
    async with create_worker(client, {"slow": build_slow()}, task_queue=task_queue):
        thread = f"p-{uuid.uuid4().hex[:10]}"
        result = await asyncio.wait_for(
            graphs.invoke("slow", {"done": []}, thread_id=thread), timeout=60
        )
    assert result == {"done": ["slow"]}
    assert graphs.probes >= 1  # it was probed, failed, and the call waited on


async def test_no_worker_is_still_said_with_the_shared_probe(client: Client) -> None:
    """The shared probe still answers "no worker" (a definite answer, not a failure)."""
    from tempograph import NoWorkerError

    graphs = CountingClient(client, task_queue=f"nobody-{uuid.uuid4().hex[:8]}")
    results = await asyncio.gather(
        *(
            graphs.invoke("slow", {"done": []}, thread_id=f"p-{uuid.uuid4().hex[:10]}")
            for _ in range(5)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(r, NoWorkerError) for r in results), results
    assert graphs.probes <= 2


# Finding 5: a resume that waits past its RPC deadline is awaited again under the same update
# id (never sent twice).
ENTRIES: list[str] = []


class AskSlowState(TypedDict):
    done: list[str]
    answer: str


def ask_node(state: AskSlowState) -> dict[str, Any]:
    from tempograph.types import interrupt

    return {"answer": interrupt("go?")}


async def slow_after(state: AskSlowState) -> dict[str, Any]:
    ENTRIES.append(state["answer"])
    await asyncio.sleep(SLOW_NODE_SECONDS)
    return {"done": [*state["done"], f"slow:{state['answer']}"]}


def build_ask_slow() -> CompiledGraph:
    builder = StateGraph(AskSlowState)
    builder.add_node("ask", ask_node)
    builder.add_node("slow", slow_after)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", "slow")
    builder.add_edge("slow", END)
    return builder.compile()


async def test_a_resume_past_its_rpc_deadline_is_awaited_not_resent(
    client: Client, monkeypatch: Any
) -> None:
    import tempograph.client as client_module
    from tempograph.types import Command

    task_queue = f"probe-{uuid.uuid4().hex[:8]}"
    graphs = GraphClient(client, task_queue=task_queue, eager_start=False)
    thread = f"p-{uuid.uuid4().hex[:10]}"
    ENTRIES.clear()
    async with create_worker(client, {"ask_slow": build_ask_slow()}, task_queue=task_queue):
        paused = await graphs.invoke("ask_slow", {"done": [], "answer": ""}, thread_id=thread)
        assert "__interrupt__" in paused
        # Each attempt of the resume may wait 1 s; the run takes SLOW_NODE_SECONDS to reply.
        monkeypatch.setattr(client_module, "UPDATE_RPC_TIMEOUT", timedelta(seconds=1))
        monkeypatch.setattr(client_module, "UPDATE_RPC_ATTEMPTS", 100)
        with structlog.testing.capture_logs() as logs:
            done = await asyncio.wait_for(
                graphs.invoke("ask_slow", Command(resume="yes"), thread_id=thread), timeout=60
            )
    again = [e for e in logs if "awaiting it again" in e["event"]]
    assert again and len({e["update_id"] for e in again}) == 1  # it waited past, same id
    assert done == {"done": ["slow:yes"], "answer": "yes"}
    assert ENTRIES == ["yes"]  # the resumed node ran once: one resume delivered
    history = [e async for e in client.get_workflow_handle(thread).fetch_history_events()]
    accepted = [
        e for e in history if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert len(accepted) == 2  # the first pause's wait update, and one resume
