"""Streamed runs (POST .../runs/stream): `values` and `updates` come from one live pass over the
run's history, interleaved per superstep as the Agent Server sends them (agents.md §1.4, §1.5),
and the server reads each history event once instead of re-reading the history as it polls."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType, HistoryEventFilterType
from temporalio.api.workflowservice.v1 import (
    GetWorkflowExecutionHistoryRequest,
    GetWorkflowExecutionHistoryResponse,
)
from temporalio.client import Client
from temporalio.worker import Worker

from tests.http.test_http_processes import new_thread, server_process

CLOSE_EVENT = HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT


@pytest_asyncio.fixture(scope="module")
async def api(client: Client, worker: Worker) -> AsyncIterator[httpx.AsyncClient]:
    async with server_process(client) as http:
        yield http


# Temporal sends a workflow task in flight (scheduled, started) again once it is recorded.
TRANSIENT = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
}


@pytest.fixture
def events_read(client: Client, monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str, int]]:
    """How often each history event (workflow id, run id, event id) was read, but for the
    close event alone (as `result()` reads it) and transient workflow task events: a wrapper
    around the client's get_workflow_execution_history."""
    read: Counter[tuple[str, str, int]] = Counter()
    service = client.workflow_service
    original = service.get_workflow_execution_history

    async def counting(
        req: GetWorkflowExecutionHistoryRequest, *args: Any, **kwargs: Any
    ) -> GetWorkflowExecutionHistoryResponse:
        response = await original(req, *args, **kwargs)
        if req.history_event_filter_type != CLOSE_EVENT:
            execution = req.execution
            for event in response.history.events:
                if event.event_type not in TRANSIENT:
                    read[(execution.workflow_id, execution.run_id, event.event_id)] += 1
        return response

    monkeypatch.setattr(service, "get_workflow_execution_history", counting)
    return read


def read_of(read: Counter[tuple[str, str, int]], thread: str) -> list[int]:
    """How often each event of the thread's runs was read."""
    return [n for (workflow_id, _, _), n in read.items() if workflow_id == thread]


async def stream(api: httpx.AsyncClient, thread: str, **body: Any) -> list[tuple[str, Any]]:
    r = await api.post(f"/threads/{thread}/runs/stream", json=body)
    assert r.status_code == 200, r.text
    return [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
        for block in r.text.replace("\r\n", "\n").strip().split("\n\n")
    ]


async def test_values_and_updates_interleave_per_step_in_order(
    api: httpx.AsyncClient, events_read: Counter[tuple[str, str, int]]
) -> None:
    """A three-step run streamed with both modes: the input state, then per step the node's
    writes and the state after it; nothing twice. Each history event is read once."""
    thread = await new_thread(api)
    events = await stream(
        api, thread, assistant_id="chain", input={"log": []}, stream_mode=["values", "updates"]
    )
    assert events[0][0] == "metadata"
    assert events[1:] == [
        ("values", {"log": []}),
        ("updates", {"a": {"log": ["a"]}}),
        ("values", {"log": ["a"]}),
        ("updates", {"b": {"log": ["b"]}}),
        ("values", {"log": ["a", "b"]}),
        ("updates", {"c": {"log": ["c"]}}),
        ("values", {"log": ["a", "b", "c"]}),
    ]
    # One pass: each event of the run's history read once.
    assert read_of(events_read, thread) and set(read_of(events_read, thread)) == {1}


@pytest.mark.parametrize("graph", ["ask", "ask_local"])
async def test_a_resume_streams_only_what_it_adds(
    api: httpx.AsyncClient, events_read: Counter[tuple[str, str, int]], graph: str
) -> None:
    """A pause, then a resume on the same execution: the resume's stream starts with the
    state it resumes from, then only the steps it runs (the history before it is read, once,
    and not sent again). Nodes run as activities or as local activities."""
    thread = await new_thread(api)
    first = await stream(
        api,
        thread,
        assistant_id=graph,
        input={"log": [], "x": 1},
        stream_mode=["values", "updates"],
    )
    [interrupt] = first[-1][1]["__interrupt__"]
    assert [event for event in first[1:-2]] == [
        ("values", {"log": [], "x": 1}),
        ("updates", {"a": {"log": ["a"]}}),
        ("values", {"log": ["a"], "x": 1}),
    ]
    assert first[-2] == ("updates", {"__interrupt__": [interrupt]})
    assert read_of(events_read, thread) and set(read_of(events_read, thread)) == {1}
    events_read.clear()

    resumed = await stream(
        api,
        thread,
        assistant_id=graph,
        command={"resume": "yes"},
        stream_mode=["values", "updates"],
    )
    assert resumed[1:] == [
        ("values", {"log": ["a"], "x": 1}),
        ("updates", {"ask": {"log": ["ask=yes"], "human": "yes"}}),
        ("values", {"log": ["a", "ask=yes"], "x": 1, "human": "yes"}),
        ("updates", {"b": {"log": ["b"]}}),
        ("values", {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}),
    ]
    # The resume's stream read the execution's history once, from its start.
    assert read_of(events_read, thread) and set(read_of(events_read, thread)) == {1}


async def test_updates_only_then_the_interrupt_chunk(api: httpx.AsyncClient) -> None:
    """ "updates" alone: the finished nodes, then the interrupt chunk (empty at a static
    breakpoint), nothing else."""
    thread = await new_thread(api)
    events = await stream(
        api,
        thread,
        assistant_id="chain",
        input={"log": []},
        interrupt_before=["c"],
        stream_mode="updates",
    )
    assert events[1:] == [
        ("updates", {"a": {"log": ["a"]}}),
        ("updates", {"b": {"log": ["b"]}}),
        ("updates", {"__interrupt__": []}),
    ]


async def test_a_resume_that_pauses_again_at_the_same_step_ends_at_the_new_pause(
    api: httpx.AsyncClient,
) -> None:
    """One node asks twice: the first answer re-runs it and it pauses again at the same
    checkpoint; that resume's stream ends at the new pause, with no update of its own."""
    thread = await new_thread(api)
    modes = ["values", "updates"]
    first = await stream(
        api, thread, assistant_id="ask_twice", input={"log": []}, stream_mode=modes
    )
    assert [i["value"] for i in first[-1][1]["__interrupt__"]] == ["first?"]
    again = await stream(
        api, thread, assistant_id="ask_twice", command={"resume": "1"}, stream_mode=modes
    )
    [interrupt] = again[-1][1]["__interrupt__"]
    assert interrupt["value"] == "second?"
    assert again[1:] == [
        ("values", {"log": []}),
        ("updates", {"__interrupt__": [interrupt]}),
        ("values", {"log": [], "__interrupt__": [interrupt]}),
    ]
    done = await stream(
        api, thread, assistant_id="ask_twice", command={"resume": "2"}, stream_mode=modes
    )
    assert done[1:] == [
        ("values", {"log": []}),
        ("updates", {"twice": {"log": ["1+2"]}}),
        ("values", {"log": ["1+2"]}),
        ("updates", {"after": {"log": ["after"]}}),
        ("values", {"log": ["1+2", "after"]}),
    ]
