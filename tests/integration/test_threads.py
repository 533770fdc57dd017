"""Threads: several runs on one thread id carry state; one active run per thread; cancel;
finding the runs that wait for a human."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from tempograph import GraphClient, ThreadBusyError
from tempograph.messages import RunInput
from tempograph.types import Command
from tests.conftest import TASK_QUEUE


async def test_runs_on_one_thread_carry_state(graphs: GraphClient, thread: str) -> None:
    assert await graphs.invoke("chain", {"log": ["x"]}, thread_id=thread) == {
        "log": ["x", "a", "b", "c"]
    }
    # The input of the next run is merged through the reducers into the thread's state.
    second = await graphs.invoke("chain", {"log": ["y"]}, thread_id=thread)
    assert second == {"log": ["x", "a", "b", "c", "y", "a", "b", "c"]}
    assert (await graphs.get_state(thread)).step == 6


async def test_interrupt_ids_differ_between_runs_of_a_thread(
    graphs: GraphClient, thread: str
) -> None:
    first = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    await graphs.resume(thread, "one")
    second = await graphs.invoke("ask", {"x": 2}, thread_id=thread)
    assert second["__interrupt__"][0].id != first["__interrupt__"][0].id
    assert second["log"] == ["a", "ask=one", "b", "a"]
    done = await graphs.resume(thread, "two")
    assert done["human"] == "two" and done["x"] == 2


async def test_run_started_without_previous_run_id_finds_the_thread_state(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("chain", {"log": ["x"]}, thread_id=thread)
    # As from `temporal workflow start`: no previous_run_id, so the worker looks it up.
    handle = await client.start_workflow(
        "GraphRun",
        RunInput(graph="chain", input={"log": ["cli"]}),
        id=thread,
        task_queue=TASK_QUEUE,
    )
    assert (await handle.result())["log"] == ["x", "a", "b", "c", "cli", "a", "b", "c"]


async def test_one_active_run_per_thread(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("chain_before_b", {"log": []}, thread_id=thread)
    with pytest.raises(ThreadBusyError, match="already has an active run"):
        await graphs.invoke("chain", {"log": []}, thread_id=thread)
    assert await graphs.invoke("chain_before_b", None, thread_id=thread) == {"log": ["a", "b", "c"]}


async def test_cancel_a_paused_run_then_continue_the_thread(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    await graphs.cancel(thread)
    description = await client.get_workflow_handle(thread).describe()
    for _ in range(50):
        if description.status == WorkflowExecutionStatus.CANCELED:
            break
        await asyncio.sleep(0.05)
        description = await client.get_workflow_handle(thread).describe()
    assert description.status == WorkflowExecutionStatus.CANCELED
    assert (await graphs.get_state(thread)).status == "cancelled"
    # The thread goes on from where the cancelled run stopped.
    out = await graphs.invoke("chain", {"log": ["new"]}, thread_id=thread)
    assert out["log"] == ["a", "new", "a", "b", "c"]


async def test_pending_lists_waiting_runs(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("approve", {"action": "deploy"}, thread_id=thread)
    for _ in range(50):
        waiting = await graphs.pending(graph="approve")
        if thread in [p.thread_id for p in waiting]:
            break
        await asyncio.sleep(0.1)
    assert [p.graph for p in waiting if p.thread_id == thread] == ["approve"]
    await graphs.invoke("approve", Command(resume=True), thread_id=thread)
    for _ in range(50):
        if thread not in [p.thread_id for p in await graphs.pending(graph="approve")]:
            break
        await asyncio.sleep(0.1)
    assert thread not in [p.thread_id for p in await graphs.pending()]


async def test_cancel_while_a_node_runs_ends_the_run_as_cancelled(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    handle = await client.start_workflow(
        "GraphRun", RunInput(graph="slow", input={}), id=thread, task_queue=TASK_QUEUE
    )
    await asyncio.sleep(0.3)  # the node sleeps 1.5 s
    await graphs.cancel(thread)
    for _ in range(100):
        description = await handle.describe()
        if description.status != WorkflowExecutionStatus.RUNNING:
            break
        await asyncio.sleep(0.05)
    assert description.status == WorkflowExecutionStatus.CANCELED
    assert (await graphs.get_state(thread)).status == "cancelled"
