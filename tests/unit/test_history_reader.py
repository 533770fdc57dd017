"""The history reader on recorded histories (tests/histories), and the error mapping: no server.

The recorded runs are the replay scenarios (tests/replay_scenarios.py): breakpoints, dynamic
interrupts, parallel branches and joins, Send, local-activity nodes, a failing node.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from tempograph._client.failures import ERROR_CLASSES, RESUME_ERROR_KINDS, error_for
from tempograph._client.history import (
    Checkpointed,
    ContinuedAsNew,
    Ended,
    NodeUpdated,
    Paused,
    Resumed,
    RunEvent,
    RunReader,
    Streamed,
    TaskFinished,
    TaskStarted,
)
from tempograph.errors import (
    GraphRecursionError,
    GraphRunError,
    InterruptTimeoutError,
    InvalidUpdateError,
    PayloadTooLargeError,
    ResumeError,
)
from tempograph.messages import ErrorKind

HISTORIES = Path(__file__).parent.parent / "histories"
# v1/v2 predate StateRef deltas and local-activity nodes; the reader reads them all.
RECORDED = sorted(HISTORIES.glob("*/*.json"))


def load(path: Path) -> tuple[list[HistoryEvent], str, str]:
    """A recorded history's events, its thread id (its run input's) and its run id."""
    text = path.read_text()
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    run_input = json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))
    history = WorkflowHistory.from_json(run_input.get("thread_id") or path.stem, text)
    run_id = history.events[0].workflow_execution_started_event_attributes
    return list(history.events), history.workflow_id, run_id.original_execution_run_id


async def read(path: Path, *, close_every_event: bool = False) -> tuple[RunReader, list[RunEvent]]:
    """Feed a recorded history to a reader; `close_every_event`: as if each event arrived in
    a page of its own (the worst a live cursor can see)."""
    events, thread_id, run_id = load(path)
    reader = RunReader(thread_id, run_id, pydantic_data_converter)
    out: list[RunEvent] = []
    for event in events:
        out += await reader.feed(event)
        if close_every_event:
            out += reader.close()
    out += reader.close()
    return reader, out


def last_versions(events: list[RunEvent]) -> dict[str, object]:
    latest: dict[str, object] = {}
    for event in events:
        if isinstance(event, Checkpointed):
            latest[event.checkpoint.checkpoint_id] = event.checkpoint
    return latest


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_events_agree_with_the_checkpoints_and_updates_of_the_run(path: Path) -> None:
    """What a live cursor yields ends where get_state_history and node_updates are: every
    checkpoint's last version is the one they report, each update once, in order."""
    reader, events = await read(path)
    checkpoints = reader.checkpoints()
    assert checkpoints, "every run has at least its first checkpoint"
    assert last_versions(events) == {c.checkpoint_id: c for c in checkpoints}
    first_yields = [
        e.checkpoint.checkpoint_id for e in events if isinstance(e, Checkpointed) and not e.revised
    ]
    assert len(first_yields) == len(set(first_yields)) == len(checkpoints)
    assert [e.update for e in events if isinstance(e, NodeUpdated)] == reader.updates
    assert isinstance(events[-1], Ended | ContinuedAsNew) and reader.end is events[-1]


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_pages_of_any_size_give_the_same_result(path: Path) -> None:
    """A step's node activities split over pages still make one checkpoint (revised once its
    batch grows), and the run's checkpoints do not depend on how events arrived."""
    whole, _ = await read(path)
    split, events = await read(path, close_every_event=True)
    assert split.checkpoints() == whole.checkpoints()
    assert split.updates == whole.updates
    assert last_versions(events) == {c.checkpoint_id: c for c in whole.checkpoints()}


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_pauses_and_resumes_alternate(path: Path) -> None:
    _, events = await read(path)
    marks = [type(e).__name__ for e in events if isinstance(e, Paused | Resumed)]
    assert marks == ["Paused", "Resumed"] * (len(marks) // 2)
    for event in events:
        if isinstance(event, Paused):
            assert event.checkpoint_id is not None


async def test_a_breakpoint_pause_is_one_checkpoint_with_its_steps_in_order() -> None:
    """Scenario chain (interrupt_after b, resumed, then an update): the pause's recorded
    checkpoint and the next step's node input are the same checkpoint."""
    reader, events = await read(HISTORIES / "v5" / "chain.json")
    checkpoints = reader.checkpoints()
    assert [c.step for c in checkpoints] == [0, 1, 2, 3]
    assert [c.source for c in checkpoints] == ["input", "loop", "loop", "loop"]
    assert [c.next for c in checkpoints] == [["a"], ["b"], ["c"], []]
    assert [u.node for u in reader.updates] == ["a", "b", "c"]
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Paused") < kinds.index("Resumed") < len(kinds) - 1
    assert isinstance(events[-1], Ended) and events[-1].status == "COMPLETED"
    assert events[-1].output is not None and "log" in events[-1].output


async def test_parallel_tasks_make_one_checkpoint_and_one_update_each() -> None:
    """Scenario joins: two branches in each step (next lists every task of the step)."""
    reader, _ = await read(HISTORIES / "v5" / "joins.json")
    assert [c.next for c in reader.checkpoints()] == [["a1", "b"], ["a2", "k"], ["k", "j"], []]
    assert [u.node for u in reader.updates] == ["a1", "b", "a2", "k", "k", "j"]


async def test_local_activity_nodes_are_read_from_their_markers() -> None:
    remote, _ = await read(HISTORIES / "v5" / "chat.json")
    local, _ = await read(HISTORIES / "v5" / "chat_local.json")
    assert [c.step for c in local.checkpoints()] == [c.step for c in remote.checkpoints()]
    assert [c.next for c in local.checkpoints()] == [c.next for c in remote.checkpoints()]
    assert [u.values for u in local.updates] == [u.values for u in remote.updates]


async def test_a_failed_run_ends_with_the_error_the_client_raises() -> None:
    reader, events = await read(HISTORIES / "v5" / "failing.json")
    end = events[-1]
    assert isinstance(end, Ended) and end.status == "FAILED"
    assert isinstance(end.error, GraphRunError) and str(end.error)
    assert reader.updates == []  # the failing node wrote nothing


def test_every_error_kind_has_one_exception() -> None:
    assert error_for(ErrorKind.GRAPH_RECURSION, "m").__class__ is GraphRecursionError
    assert error_for(ErrorKind.INTERRUPT_TIMEOUT, "m").__class__ is InterruptTimeoutError
    assert error_for(ErrorKind.INVALID_UPDATE, "m").__class__ is InvalidUpdateError
    assert error_for(ErrorKind.INVALID_STATE_UPDATE, "m").__class__ is InvalidUpdateError
    assert error_for(ErrorKind.PAYLOAD_TOO_LARGE, "m").__class__ is PayloadTooLargeError
    for kind in (ErrorKind.NODE_ERROR, ErrorKind.INVALID_INPUT, "SomeUserType", None):
        assert error_for(kind, "m").__class__ is GraphRunError
    for kind in RESUME_ERROR_KINDS:
        error = error_for(kind, "why")
        assert isinstance(error, ResumeError) and error.kind == kind and str(error) == "why"
    assert set(ERROR_CLASSES) <= set(ErrorKind)


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_events_carry_history_event_ids_in_order_whatever_the_pages(path: Path) -> None:
    """Resumable streams number their parts by event id: the same on every read."""
    _, events = await read(path)
    ids = [e.event_id for e in events]
    assert all(ids) and ids == sorted(ids)
    # Pages that split a step's batch add revised checkpoints, nothing else.
    _, split = await read(path, close_every_event=True)
    assert [(type(e).__name__, e.event_id) for e in split if not _revised(e)] == [
        (type(e).__name__, e.event_id) for e in events if not _revised(e)
    ]
    assert [e.event_id for e in split] == sorted(e.event_id for e in split)


def _revised(event: RunEvent) -> bool:
    return isinstance(event, Checkpointed) and event.revised


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_every_task_that_finishes_was_started(path: Path) -> None:
    reader, events = await read(path)
    started = [(e.task_id, e.node) for e in events if isinstance(e, TaskStarted)]
    finished = [e for e in events if isinstance(e, TaskFinished)]
    assert {(e.task_id, e.node) for e in finished} <= set(started)
    # A finished task that did not pause or fail is a node update.
    assert [e.writes for e in finished if not e.interrupts and e.error is None] == [
        u.values for u in reader.updates
    ]


async def test_tasks_of_a_send_step_and_the_interrupts_a_pause_waits_on() -> None:
    _, events = await read(HISTORIES / "v6" / "send.json")
    started = [e for e in events if isinstance(e, TaskStarted)]
    assert [(e.node, e.input, e.triggers) for e in started[:2]] == [
        ("rev", {"item": "p"}, ("__pregel_push",)),
        ("rev", {"item": "q"}, ("__pregel_push",)),
    ]
    raised = [i for e in events if isinstance(e, TaskFinished) for i in e.interrupts]
    [pause] = [e for e in events if isinstance(e, Paused)]
    assert list(pause.interrupts) == raised and len(raised) == 2
    assert [i["value"] for i in raised] == [{"review": "p"}, {"review": "q"}]


async def test_interrupt_ids_are_the_ones_a_resume_answers() -> None:
    """Scenario par: the second resume answers one pending interrupt by its id; the pause
    before it waits on that id and one other."""
    _, events = await read(HISTORIES / "v6" / "par.json")
    pauses = [e for e in events if isinstance(e, Paused)]
    assert len(pauses[0].interrupts) == 2
    assert pauses[1].interrupts == pauses[0].interrupts[1:]  # the one not answered yet
    assert all(len(i["id"]) == 32 for i in pauses[0].interrupts)


async def test_a_failed_node_finishes_with_its_error() -> None:
    _, events = await read(HISTORIES / "v6" / "failing.json")
    [failed] = [e for e in events if isinstance(e, TaskFinished)]
    assert failed.error == {"error": "ValueError", "message": "kaboom"} and failed.writes == {}


async def test_live_output_of_a_streamed_run_is_read_from_its_signals() -> None:
    _, events = await read(HISTORIES / "v7" / "streamed.json")
    batches = [e.batch for e in events if isinstance(e, Streamed)]
    assert batches and {b.node for b in batches} <= {"talk", "talk_again"}
    kinds = [i.kind for b in batches for i in b.items]
    assert kinds.count("model_start") == kinds.count("model_end") == 2 and "chunk" in kinds
    # Between the node's start and its result.
    names = [type(e).__name__ for e in events]
    first = names.index("Streamed")
    assert names[first - 1] == "TaskStarted" and "TaskFinished" in names[first:]
