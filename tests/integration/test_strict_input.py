"""The start input is strict: a misspelt option, an unknown node in the breakpoints, an unknown
state key or a thread id that is not the workflow id fail the run at once, clearly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from tempograph import GraphClient, GraphRunError, ResumeError
from tempograph.types import Command
from tests.conftest import TASK_QUEUE


@pytest.fixture(autouse=True)
def _worker(worker: Worker) -> None:
    """Tests that start runs with the raw client still need the session's worker."""


async def start_failure(client: Client, thread: str, run_input: dict[str, Any]) -> str:
    handle = await client.start_workflow("GraphRun", run_input, id=thread, task_queue=TASK_QUEUE)
    with pytest.raises(WorkflowFailureError) as err:
        await asyncio.wait_for(handle.result(), timeout=15)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidInput", cause
    return cause.message


async def test_misspelt_start_option_is_refused(client: Client, thread: str) -> None:
    message = await start_failure(
        client, thread, {"graph": "steps", "input": {"log": []}, "interupt_before": ["step_2"]}
    )
    assert "interupt_before" in message and "Extra inputs are not permitted" in message


async def test_unknown_breakpoint_nodes_are_refused(client: Client, thread: str) -> None:
    message = await start_failure(
        client, thread, {"graph": "steps", "input": {"log": []}, "interrupt_after": ["nope"]}
    )
    assert "Unknown node(s) in interrupt_after: ['nope']" in message
    assert "['step_1', 'step_2', 'step_3']" in message


async def test_unknown_input_keys_are_refused(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(
        GraphRunError, match=r"Unknown state key\(s\) in the input: \['some_text'\]"
    ):
        await graphs.invoke("steps", {"some_text": "draft"}, thread_id=thread)


async def test_thread_id_must_be_the_workflow_id(client: Client, thread: str) -> None:
    message = await start_failure(
        client, thread, {"graph": "steps", "input": {"log": []}, "thread_id": "other"}
    )
    assert "thread_id must equal the workflow id" in message
    # The same id (what GraphClient and subgraph runs send) is fine.
    handle = await client.start_workflow(
        "GraphRun",
        {"graph": "steps", "input": {"log": []}, "thread_id": thread + "-2"},
        id=thread + "-2",
        task_queue=TASK_QUEUE,
    )
    assert (await asyncio.wait_for(handle.result(), 15))["log"] == ["step_1", "step_2", "step_3"]


async def test_unknown_breakpoints_on_resume_are_refused(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(GraphRunError, match="Unknown node"):
        await graphs.invoke("steps", {"log": []}, thread_id=thread, interrupt_before=["nope"])
    other = thread + "-b"
    await graphs.invoke("steps", {"log": []}, thread_id=other, interrupt_before=["step_2"])
    with pytest.raises(ResumeError, match=r"Unknown node\(s\) in interrupt_after: \['nope'\]"):
        await graphs.invoke("steps", None, thread_id=other, interrupt_after=["nope"])
    done = await graphs.invoke("steps", Command(resume=None), thread_id=other)
    assert done["log"] == ["step_1", "step_2", "step_3"]
