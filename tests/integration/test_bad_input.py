"""Bad input gets a clear error and loses nothing: after each mistake the run still resumes
correctly."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError

from tempograph import GraphClient, GraphRunError, ResumeError, ThreadBusyError, ThreadNotFoundError
from tempograph.messages import RESUME_SIGNAL, RESUME_UPDATE, ResumeInput, RunInput
from tempograph.types import Command
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import ENTRIES


async def paused_ask(graphs: GraphClient, thread: str) -> str:
    out = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    return str(out["__interrupt__"][0].id)


async def assert_still_resumable(graphs: GraphClient, thread: str) -> None:
    state = await graphs.get_state(thread)
    assert (state.status, state.next, len(state.interrupts)) == ("interrupted", ["ask"], 1)
    done = await graphs.resume(thread, "fine")
    assert done == {"log": ["a", "ask=fine", "b"], "x": 1, "human": "fine"}


async def rejection(graphs: GraphClient, thread: str) -> str:
    """The last rejected resume a run reports (a signal's rejection arrives asynchronously)."""
    for _ in range(50):
        state = await graphs.get_state(thread)
        if state.last_rejected_resume:
            return state.last_rejected_resume
        await asyncio.sleep(0.05)
    raise AssertionError("no rejected resume reported")


async def test_unknown_thread(graphs: GraphClient) -> None:
    with pytest.raises(ThreadNotFoundError, match="No run found for thread 'nobody'"):
        await graphs.invoke("ask", Command(resume="x"), thread_id="nobody")
    with pytest.raises(ThreadNotFoundError):
        await graphs.get_state("nobody")


async def test_unknown_interrupt_id(graphs: GraphClient, thread: str) -> None:
    real = await paused_ask(graphs, thread)
    with pytest.raises(ResumeError, match="Unknown interrupt id") as err:
        await graphs.resume(thread, {"0" * 32: "v"})
    assert err.value.kind == "UnknownInterrupt" and real in str(err.value)
    await assert_still_resumable(graphs, thread)


async def test_missing_value_and_empty_map(graphs: GraphClient, thread: str) -> None:
    await paused_ask(graphs, thread)
    with pytest.raises(ResumeError, match="needs a value") as err:
        await graphs.resume(thread, None)
    assert err.value.kind == "MissingResumeValue"
    with pytest.raises(ResumeError, match="Unknown state key"):
        await graphs.resume(thread, "x", update={"nope": 1})
    with pytest.raises(ResumeError, match="Unknown node"):
        await graphs.resume(thread, "x", goto="nowhere")
    await assert_still_resumable(graphs, thread)
    assert ENTRIES[(thread, "ask")] == 2  # rejected resumes never re-ran the node


async def test_second_resume(graphs: GraphClient, thread: str) -> None:
    await paused_ask(graphs, thread)
    await graphs.resume(thread, "first")
    with pytest.raises(ResumeError, match="not paused") as err:
        await graphs.resume(thread, "second")
    assert err.value.kind == "NotPaused"
    state = await graphs.get_state(thread)
    assert state.values["human"] == "first"


async def test_two_concurrent_resumes_one_wins(graphs: GraphClient, thread: str) -> None:
    await paused_ask(graphs, thread)
    results = await asyncio.gather(
        graphs.resume(thread, "one"), graphs.resume(thread, "two"), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, ResumeError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].kind == "NotPaused"
    assert ENTRIES[(thread, "ask")] == 2
    assert (await graphs.get_state(thread)).values["human"] == winners[0]["human"]


async def test_resume_while_running_is_refused(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    handle = await client.start_workflow(
        "GraphRun", RunInput(graph="slow", input={}), id=thread, task_queue=TASK_QUEUE
    )
    await asyncio.sleep(0.3)  # the node sleeps 1.5 s
    with pytest.raises(ResumeError, match="is not paused \\(running\\)"):
        await graphs.resume(thread, "x")
    assert (await handle.result())["n"] == 1  # the run went on untouched


async def test_resume_of_failed_run(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(GraphRunError):
        await graphs.invoke("failing", {}, thread_id=thread)
    with pytest.raises(GraphRunError, match="kaboom"):
        await graphs.invoke("failing", Command(resume="x"), thread_id=thread)


async def test_thread_busy(graphs: GraphClient, thread: str) -> None:
    await paused_ask(graphs, thread)
    with pytest.raises(ThreadBusyError, match="already has an active run"):
        await graphs.invoke("ask", {"log": [], "x": 2}, thread_id=thread)
    await assert_still_resumable(graphs, thread)


async def test_wrong_payload_shape_on_update_is_rejected(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await paused_ask(graphs, thread)
    handle = client.get_workflow_handle(thread)
    for bad in ({"answer": "typo"}, "just a string", [1, 2]):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(RESUME_UPDATE, bad)
        assert "Invalid ResumeInput" in str(err.value.cause)
    await handle.signal(RESUME_SIGNAL, "not an object")
    assert "Invalid ResumeInput" in await rejection(graphs, thread)
    await assert_still_resumable(graphs, thread)


@pytest.mark.parametrize(
    "bad_input", [{"grph": "ask"}, "ask", {"graph": "ask", "input": [1]}, None]
)
async def test_malformed_run_input_fails_the_run_instead_of_hanging(
    client: Client, thread: str, bad_input: object
) -> None:
    handle = await client.start_workflow("GraphRun", bad_input, id=thread, task_queue=TASK_QUEUE)
    with pytest.raises(WorkflowFailureError) as err:
        await asyncio.wait_for(handle.result(), timeout=10)
    assert "Invalid RunInput" in str(err.value.cause)


async def test_bad_signal_is_dropped_and_reported(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await paused_ask(graphs, thread)
    handle = client.get_workflow_handle(thread)
    await handle.signal(RESUME_SIGNAL, ResumeInput(resume={"f" * 32: "v"}))
    assert "Unknown interrupt id" in await rejection(graphs, thread)
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert "Last rejected resume" in metadata.current_details
    await handle.signal(RESUME_SIGNAL, ResumeInput(resume="by signal"))
    assert (await handle.result())["human"] == "by signal"
