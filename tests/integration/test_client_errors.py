"""GraphClient's errors say what happened: another team's workflow is "not found" (and is never
touched), an outage is TemporalUnavailableError, a missing worker is NoWorkerError within
seconds, oversized or over-deep messages are refused before they reach a run, and statuses are
named. Everything runs against real Temporal dev servers."""

from __future__ import annotations

import asyncio
import contextlib
import operator
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypedDict

import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from graphs import GRAPHS
from tempograph import (
    GraphClient,
    GraphRunError,
    LimitError,
    NoWorkerError,
    TemporalUnavailableError,
    ThreadIdConflictError,
    ThreadNotFoundError,
    connect,
    create_worker,
)
from tempograph.devserver import DevServer, temporal_cli
from tempograph.graph import END, START, CompiledGraph, StateGraph
from tempograph.limits import MAX_MESSAGE_BYTES
from tempograph.messages import GRAPH_ATTRIBUTE, STATUS_ATTRIBUTE
from tempograph.types import Command
from tests.conftest import free_port
from tests.integration.test_bad_input import assert_still_resumable, paused_ask
from tests.integration.test_cli import TASK_QUEUE as CLI_QUEUE
from tests.integration.test_cli import starter


@workflow.defn(name="ForeignOrders")
class ForeignOrders:
    """Another team's workflow in the same namespace, with handler names that collide with
    Tempograph's."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.finish = False

    @workflow.run
    async def run(self) -> list[Any]:
        await workflow.wait_condition(lambda: self.finish)
        return self.received

    @workflow.signal(name="resume")
    def resume(self, value: Any) -> None:
        self.received.append(value)

    @workflow.update(name="resume_update")
    def resume_update(self, value: Any) -> dict[str, Any]:
        self.received.append(value)
        return {"secret": "order 42"}

    @workflow.query(name="get_state")
    def get_state(self) -> dict[str, Any]:
        return {"secret": "order 42"}

    @workflow.signal(name="finish")
    def done(self) -> None:
        self.finish = True


@pytest_asyncio.fixture
async def foreign(client: Client) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """A running ForeignOrders execution whose workflow id looks like a paused thread's."""
    task_queue = f"foreign-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ForeignOrders],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            ForeignOrders.run,
            id=f"foreign-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
            # Even its search attributes say "a paused run of graph ask".
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(STATUS_ATTRIBUTE, "interrupted"),
                    SearchAttributePair(GRAPH_ATTRIBUTE, "ask"),
                ]
            ),
        )
        yield handle
        with contextlib.suppress(RPCError):
            await handle.signal(ForeignOrders.done)


async def test_foreign_workflow_is_not_found_and_untouched(
    graphs: GraphClient, foreign: WorkflowHandle[Any, Any]
) -> None:
    tid = foreign.id
    for attempt in (
        graphs.resume(tid, "x"),
        graphs.invoke("ask", Command(resume="x"), thread_id=tid),
        graphs.invoke("ask", None, thread_id=tid),
        graphs.get_state(tid),
        graphs.get_state_history(tid),
        graphs.cancel(tid),
        graphs.update_state(tid, {"log": ["x"]}),
        graphs.update_state(tid, None, as_node="__end__"),
    ):
        with pytest.raises(ThreadNotFoundError, match=f"No run found for thread '{tid}'") as err:
            await attempt
        assert "Foreign" not in str(err.value) and "order 42" not in str(err.value)
    # A new run on its id: a clear refusal that says nothing about the workflow.
    with pytest.raises(ThreadIdConflictError, match="not a Tempograph run") as conflict:
        await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=tid)
    assert "Foreign" not in str(conflict.value)
    # Listed nowhere, although its search attributes match.
    assert tid not in [p.thread_id for p in await graphs.pending()]
    assert tid not in [p.thread_id for p in await graphs.pending(graph="ask")]
    # Never signalled, updated or cancelled.
    description = await foreign.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert await foreign.query(ForeignOrders.get_state) == {"secret": "order 42"}
    await foreign.signal(ForeignOrders.done)
    assert await foreign.result() == []


async def test_outage_is_temporal_unavailable_not_not_found(tmp_path: Any) -> None:
    server = DevServer(port=free_port(), ui_port=None, db_filename=tmp_path / "outage.db")
    await server.start()
    task_queue = "outage"
    try:
        client = await connect(server.address)
        graphs = GraphClient(client, task_queue=task_queue)
        async with create_worker(client, {"revise": GRAPHS["revise"]}, task_queue=task_queue):
            await graphs.invoke("revise", {"some_text": "draft"}, thread_id="t-outage")
    finally:
        server.stop()
    # The server is down: every call says so (after the SDK's own retries), naming the address.
    results = await asyncio.gather(
        graphs.resume("t-outage", "final"),
        graphs.get_state("t-outage"),
        graphs.cancel("t-outage"),
        graphs.pending(),
        graphs.invoke("revise", {"some_text": "x"}, thread_id="t-new"),
        return_exceptions=True,
    )
    for result in results:
        assert isinstance(result, TemporalUnavailableError), result
        assert f"Temporal unreachable at {server.address}" in str(result)
    with pytest.raises(TemporalUnavailableError, match=f"unreachable at {server.address}"):
        await connect(server.address)


@pytest_asyncio.fixture
async def stopped_worker(client: Client) -> AsyncIterator[tuple[GraphClient, str, str]]:
    """A paused thread and a finished thread on a task queue whose worker has stopped."""
    task_queue = f"gone-{uuid.uuid4().hex[:8]}"
    graphs = GraphClient(client, task_queue=task_queue)
    paused, finished = (f"t-{uuid.uuid4().hex[:12]}" for _ in range(2))
    async with create_worker(client, dict(GRAPHS), task_queue=task_queue):
        await graphs.invoke("revise", {"some_text": "draft"}, thread_id=paused)
        await graphs.invoke("revise", {"some_text": "draft"}, thread_id=finished)
        await graphs.resume(finished, "final")
    yield graphs, paused, finished


async def test_no_worker_is_said_within_seconds(
    stopped_worker: tuple[GraphClient, str, str],
) -> None:
    graphs, paused, finished = stopped_worker
    started = time.monotonic()
    no_worker = f"No worker is polling task queue '{graphs.task_queue}'"
    with pytest.raises(NoWorkerError, match=no_worker):
        await graphs.get_state(paused)
    assert time.monotonic() - started < 10
    # What needs no worker still works: checkpoints, and a finished run's state.
    assert [c.source for c in await graphs.get_state_history(paused)] == ["input"]
    state = await graphs.get_state(finished)
    assert (state.status, state.values, state.next) == ("done", {"some_text": "final"}, [])
    assert state.graph == "revise" and state.checkpoint_id


async def test_start_with_no_worker_ever_is_said_within_seconds(client: Client) -> None:
    graphs = GraphClient(client, task_queue=f"nobody-{uuid.uuid4().hex[:8]}")
    started = time.monotonic()
    with pytest.raises(NoWorkerError, match="has started and goes on when a worker polls"):
        await graphs.invoke("ask", {"log": []}, thread_id=f"t-{uuid.uuid4().hex[:12]}")
    assert time.monotonic() - started < 10


async def test_cli_state_without_worker_answers_in_seconds(
    server: DevServer, stopped_worker: tuple[GraphClient, str, str]
) -> None:
    graphs, paused, _ = stopped_worker
    started = time.monotonic()
    code, _, err = await starter(server, "state", paused)
    assert time.monotonic() - started < 15
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: NoWorkerError: No worker is polling task queue '{graphs.task_queue}': start "
        "one (`make worker`, or create_worker(...) in your service). The run on thread "
        f"'{paused}' is still going (paused or running) and only a worker can read its "
        "state; its checkpoints need none (get_state_history, `starter.py history`)."
    ]


async def test_messages_over_the_limits_are_refused_before_sending(
    graphs: GraphClient, thread: str
) -> None:
    await paused_ask(graphs, thread)
    big = "x" * (3 * 1024 * 1024)
    with pytest.raises(LimitError, match=f"limit of {MAX_MESSAGE_BYTES} bytes"):
        await graphs.resume(thread, big)
    with pytest.raises(LimitError, match=f"limit of {MAX_MESSAGE_BYTES} bytes"):
        await graphs.invoke("ask", Command(resume="ok", update={"human": big}), thread_id=thread)
    deep: Any = "x"
    for _ in range(100):
        deep = [deep]
    with pytest.raises(LimitError, match="nested deeper than 64 levels"):
        await graphs.resume(thread, deep)
    with pytest.raises(LimitError, match=f"limit of {MAX_MESSAGE_BYTES} bytes"):
        await graphs.update_state(thread, {"human": big})
    with pytest.raises(LimitError, match="nested deeper than 64 levels"):
        await graphs.update_state(thread, {"human": deep})
    await assert_still_resumable(graphs, thread)  # the run never saw any of them

    with pytest.raises(LimitError, match="bytes"):
        await graphs.invoke("ask", {"log": [big]}, thread_id=f"{thread}-big")
    with pytest.raises(LimitError, match="nested deeper"):
        await graphs.invoke("ask", {"log": [deep]}, thread_id=f"{thread}-deep")
    with pytest.raises(LimitError, match="must not contain '/'"):
        await graphs.invoke("ask", {"log": []}, thread_id="a/b")
    with pytest.raises(LimitError, match="at most 512 characters"):
        await graphs.invoke("ask", {"log": []}, thread_id="t" * 600)
    for never in (f"{thread}-big", f"{thread}-deep", "a/b"):
        with pytest.raises(ThreadNotFoundError):
            await graphs.get_state(never)


async def test_statuses_are_named(graphs: GraphClient, thread: str) -> None:
    await paused_ask(graphs, thread)
    assert await graphs.cancel(thread) == "RUNNING"
    for _ in range(100):
        state = await graphs.get_state(thread)
        if state.status == "cancelled":
            break
        await asyncio.sleep(0.05)
    with pytest.raises(GraphRunError, match="cannot be resumed: its run is CANCELED$"):
        await graphs.resume(thread, "x")
    assert await graphs.cancel(thread) == "CANCELED"


class DeepState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    deep: Any


def too_deep(state: DeepState) -> dict[str, Any]:
    value: Any = "bottom"
    for _ in range(150):
        value = {"down": value}
    return {"deep": value, "log": ["too_deep"]}


def build_too_deep() -> CompiledGraph:
    g = StateGraph(DeepState)
    g.add_node("too_deep", too_deep)
    g.add_edge(START, "too_deep")
    g.add_edge("too_deep", END)
    return g.compile()


async def test_node_result_too_deep_fails_the_run_clearly(client: Client) -> None:
    task_queue = f"deep-{uuid.uuid4().hex[:8]}"
    graphs = GraphClient(client, task_queue=task_queue)
    async with create_worker(client, {"too_deep": build_too_deep()}, task_queue=task_queue):
        with pytest.raises(GraphRunError, match="nested deeper than 64 levels") as err:
            await asyncio.wait_for(
                graphs.invoke("too_deep", {"log": []}, thread_id="deep-1"), timeout=30
            )
        assert "too_deep" in str(err.value) and "'deep'" in str(err.value)
        state = await graphs.get_state("deep-1")
    assert state.status == "error" and "nested deeper" in (state.error or "")


@pytest_asyncio.fixture(scope="module")
async def cli_worker(client: Client) -> AsyncIterator[None]:
    async with create_worker(client, GRAPHS, task_queue=CLI_QUEUE):
        yield


async def test_cli_cancel_finished_and_unquoted_answer(
    server: DevServer, cli_worker: None
) -> None:
    thread = f"cli-{uuid.uuid4().hex[:8]}"
    code, _, err = await starter(server, "run", "revise", '{"some_text": "d"}', "--thread", thread)
    assert code == 0, err
    code, _, err = await starter(server, "resume", thread, "final")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: The answer is not valid JSON (Expecting value: 'final'). To send the text "
        "'final', quote it as a JSON string (the shell needs both quotes): python starter.py "
        f"resume {thread} '\"final\"'"
    ]
    code, _, err = await starter(server, "resume", thread, '"final"')
    assert code == 0, err
    code, out, _ = await starter(server, "cancel", thread)
    assert code == 0 and out.strip() == f"{thread} already finished (COMPLETED): nothing to cancel"
    code, out, _ = await starter(server, "cancel", thread, "--json")
    assert code == 0 and '"status": "COMPLETED"' in out


async def test_a_message_over_2_mib_sent_straight_to_the_run_does_not_break_the_next_resume(
    graphs: GraphClient, thread: str, server: DevServer, tmp_path: Any
) -> None:
    """Scenario: a 3 MiB update sent with the `temporal` CLI (no Tempograph client to refuse it
    first). The run's validator refuses it, but Temporal's SDK sends the refusal back with the
    request in it, over the payload limit: that workflow task fails and Temporal answers
    "Workflow Task in failed state" until its retry. GraphClient waits that out: the next
    resume succeeds, and the run took nothing from the refused message."""
    await paused_ask(graphs, thread)
    big = tmp_path / "big.json"
    big.write_text('{"resume": "' + "x" * (3 * 1024 * 1024) + '"}')
    proc = await asyncio.create_subprocess_exec(
        temporal_cli(), "workflow", "update", "execute", "--address", server.address,
        "-w", thread, "--name", "resume_update", "--input-file", str(big),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode != 0, out
    await assert_still_resumable(graphs, thread)
