"""StreamParts: the Agent Server's stream parts per mode, from RunEvents (no server).

Recorded histories (tests/histories/v7, streamed.json has token batches and custom events)
and synthetic RunEvents; shapes from ../shared/research/agents.md §1.2-§1.5, §2.5."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tempograph._client.history import (
    Checkpointed,
    Ended,
    Paused,
    RunEvent,
    Streamed,
    TaskFinished,
    TaskStarted,
)
from tempograph._client.stream_parts import STREAM_MODES, Part, StreamParts
from tempograph.messages import STREAM_CHUNK_DEFAULTS, Checkpoint, StreamBatch, StreamItem
from tests.unit.test_history_reader import read

HISTORIES = Path(__file__).parent.parent / "histories"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CALL_ID = "lc_run--0000"


def parts_of(events: list[RunEvent], modes: list[str], **start: Any) -> list[Part]:
    parts = StreamParts(modes, thread_id="t", run_id="r", metadata={"graph_id": "g"})
    out = parts.start(start.get("resumed_from"))
    for event in events:
        out += parts.feed(event)
    return out


def checkpoint(step: int, values: dict[str, Any], nxt: list[str], eid: int) -> Checkpointed:
    c = Checkpoint(
        checkpoint_id=f"c{step}",
        thread_id="t",
        run_id="r",
        step=step,
        source="loop",
        values=values,
        next=nxt,
        created_at=NOW,
    )
    return Checkpointed(c, event_id=eid)


def agent_run() -> list[RunEvent]:
    """An agent node that streams two tokens and writes the message; a review that pauses."""
    state: dict[str, Any] = {"messages": []}
    ai = {**STREAM_CHUNK_DEFAULTS, "type": "ai", "content": "Hi there", "id": CALL_ID}
    return [
        checkpoint(0, state, ["agent"], 5),
        TaskStarted("r", "agent", "t1", 0, state, ("branch:to:agent",), event_id=5),
        Streamed(
            "r",
            StreamBatch(
                node="agent",
                task_id="t1",
                step=0,
                items=[
                    StreamItem(kind="custom", value={"phase": "model"}),
                    StreamItem(
                        kind="model_start",
                        value={
                            "run_id": "0000",
                            "id": CALL_ID,
                            "name": "FakeModel",
                            "tags": [],
                            "metadata": {"ls_provider": "fake"},
                        },
                    ),
                    StreamItem(kind="chunk", value={"content": "Hi"}),
                ],
            ),
            event_id=7,
        ),
        Streamed(
            "r",
            StreamBatch(
                node="agent",
                task_id="t1",
                step=0,
                seq=1,
                items=[
                    StreamItem(kind="chunk", value={"content": " there"}),
                    StreamItem(kind="model_end"),
                ],
            ),
            event_id=9,
        ),
        TaskFinished("r", "agent", "t1", 0, writes={"messages": [ai]}, event_id=11),
        checkpoint(1, {"messages": [ai]}, ["review"], 15),
        TaskStarted("r", "review", "t2", 1, {"messages": [ai]}, ("branch:to:review",), 15),
        TaskFinished(
            "r",
            "review",
            "t2",
            1,
            interrupts=({"value": "ok?", "id": "i1", "response_schema": None},),
            event_id=17,
        ),
        Paused(
            "r",
            "c1",
            NOW,
            interrupts=({"value": "ok?", "id": "i1", "response_schema": None},),
            event_id=20,
        ),
    ]


def test_unknown_modes_are_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="'nope'.*checkpoints"):
        StreamParts(["values", "nope"], thread_id="t", run_id="r")
    assert "messages-tuple" in STREAM_MODES


def test_ids_strictly_increase_and_are_the_same_on_replay() -> None:
    modes = sorted(STREAM_MODES)
    first = parts_of(agent_run(), modes)
    again = parts_of(agent_run(), modes)
    assert [(p.id, p.event) for p in first] == [(p.id, p.event) for p in again]
    keys = [(p.source, p.index) for p in first]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_a_superstep_in_the_agent_servers_order() -> None:
    """values, tasks start, custom, messages, updates, tasks result, values, ... at the pause
    updates, values + __interrupt__, then the paused task's result (agents.md §1.4)."""
    modes = ["values", "updates", "messages-tuple", "custom", "tasks"]
    events = [p.event for p in parts_of(agent_run(), modes)]
    assert events == [
        "values",
        "tasks",
        "custom",
        "messages",
        "messages",
        "updates",
        "tasks",
        "values",
        "tasks",
        "updates",
        "values",
        "tasks",
    ]


def test_token_chunks_are_rebuilt_whole_with_langgraph_metadata() -> None:
    parts = [p for p in parts_of(agent_run(), ["messages-tuple"]) if p.event == "messages"]
    assert len(parts) == 2  # the returned message was streamed: not sent again
    chunk, metadata = parts[0].data
    assert list(chunk) == list(STREAM_CHUNK_DEFAULTS)
    assert chunk == {**STREAM_CHUNK_DEFAULTS, "content": "Hi", "id": CALL_ID}
    assert metadata["langgraph_node"] == "agent" and metadata["langgraph_step"] == 1
    assert metadata["langgraph_triggers"] == ["branch:to:agent"]
    assert metadata["langgraph_checkpoint_ns"] == metadata["checkpoint_ns"] == "agent:t1"
    assert metadata["ls_provider"] == "fake" and metadata["graph_id"] == "g"
    assert (metadata["thread_id"], metadata["run_id"]) == ("t", "r")


def test_legacy_messages_accumulate_the_partial_message() -> None:
    parts = parts_of(agent_run(), ["messages"])
    assert [p.event for p in parts] == ["messages/metadata", "messages/partial", "messages/partial"]
    assert list(parts[0].data) == [CALL_ID]
    last = parts[-1].data[0]
    assert (last["type"], last["content"], last["id"]) == ("ai", "Hi there", CALL_ID)
    assert "tool_call_chunks" not in last


def test_a_pause_in_updates_values_and_tasks() -> None:
    parts = parts_of(agent_run(), ["values", "updates", "tasks"])
    interrupt = {"value": "ok?", "id": "i1", "response_schema": None}
    assert parts[-3].data == {"__interrupt__": [interrupt]}
    assert parts[-2].data["__interrupt__"] == [interrupt] and "messages" in parts[-2].data
    assert parts[-1].data == {
        "id": "t2",
        "name": "review",
        "error": None,
        "result": {},
        "interrupts": [interrupt],
    }


def test_events_mode_has_the_root_nodes_and_model_calls() -> None:
    parts = parts_of(agent_run(), ["events"])
    seen = [(p.data["event"], p.data["name"]) for p in parts]
    assert seen[0] == ("on_chain_start", "g") and seen[-1] == ("on_chain_end", "g")
    assert ("on_chain_start", "agent") in seen and ("on_chain_end", "agent") in seen
    assert [e for e, n in seen if n == "FakeModel"] == [
        "on_chat_model_start",
        "on_chat_model_stream",
        "on_chat_model_stream",
        "on_chat_model_end",
    ]
    start = next(p.data for p in parts if p.data["name"] == "review")
    assert start["metadata"]["langgraph_node"] == "review"
    assert start["tags"] == ["graph:step:2"] and start["parent_ids"] == ["r"]
    end = next(p.data for p in parts if p.data["event"] == "on_chat_model_end")
    assert end["data"]["output"]["content"] == "Hi there"


def test_node_returned_messages_not_streamed_are_sent_whole_once() -> None:
    state = {"messages": [{"type": "human", "content": "hi", "id": "h1"}]}
    tool = {"type": "tool", "content": "sunny", "id": "m1", "tool_call_id": "c1"}
    events: list[RunEvent] = [
        TaskStarted("r", "tools", "t1", 2, state, ("branch:to:tools",), event_id=3),
        TaskFinished("r", "tools", "t1", 2, writes={"messages": [state["messages"][0], tool]}),
    ]
    parts = parts_of(events, ["messages-tuple", "updates"])
    assert [p.event for p in parts] == ["messages", "updates"]
    message, metadata = parts[0].data
    assert message == tool and metadata["ls_integration"] == "langgraph"
    legacy = parts_of(events, ["messages"])
    assert [p.event for p in legacy] == ["messages/metadata", "messages/complete"]


def test_custom_events_come_from_the_result_when_not_streamed() -> None:
    events: list[RunEvent] = [
        TaskStarted("r", "a", "t1", 0, {}, ("branch:to:a",), event_id=3),
        TaskFinished("r", "a", "t1", 0, writes={"x": 1}, custom=({"n": 1}, {"n": 2}), event_id=5),
    ]
    assert [p.data for p in parts_of(events, ["custom"])] == [{"n": 1}, {"n": 2}]
    # Streamed live: the result's copy (if any) is not sent again.
    live = Streamed(
        "r",
        StreamBatch(node="a", task_id="t1", step=0, items=[StreamItem(kind="custom", value=7)]),
        event_id=4,
    )
    assert [p.data for p in parts_of([events[0], live, events[1]], ["custom"])] == [7]


def test_a_node_with_no_writes_and_a_failed_node() -> None:
    events: list[RunEvent] = [
        TaskStarted("r", "a", "t1", 0, {}, ("branch:to:a",), event_id=3),
        TaskFinished("r", "a", "t1", 0, event_id=5),
        TaskStarted("r", "b", "t2", 1, {}, ("branch:to:b",), event_id=7),
        TaskFinished("r", "b", "t2", 1, error={"error": "ValueError", "message": "x"}, event_id=9),
        Ended("r", "FAILED", NOW, event_id=12),
    ]
    parts = parts_of(events, ["updates", "tasks"])
    assert [p.data for p in parts if p.event == "updates"] == [{"a": None}]
    failed = parts[-1].data
    assert failed["error"] == {"error": "ValueError", "message": "x"} and failed["result"] == {}


def test_a_static_breakpoint_is_an_empty_interrupt_in_updates_only() -> None:
    events: list[RunEvent] = [checkpoint(1, {"x": 1}, ["b"], 5), Paused("r", "c1", NOW, (), 8)]
    parts = parts_of(events, ["values", "updates"])
    assert [(p.event, p.data) for p in parts] == [
        ("values", {"x": 1}),
        ("updates", {"__interrupt__": []}),
    ]


def test_a_resume_starts_with_the_state_it_resumes_from() -> None:
    events: list[RunEvent] = [
        checkpoint(1, {"x": 1}, ["b"], 5),
        Ended("r", "COMPLETED", NOW, output={"x": 2}, event_id=9),
    ]
    parts = parts_of(events, ["values"], resumed_from={"x": 1})
    assert [(p.id, p.data) for p in parts] == [("0-0", {"x": 1}), ("9-0", {"x": 2})]


def test_checkpoints_and_debug_shapes() -> None:
    events: list[RunEvent] = [
        checkpoint(0, {"x": 0}, ["a"], 3),
        TaskStarted("r", "a", "t1", 0, {"x": 0}, ("branch:to:a",), event_id=3),
        TaskFinished("r", "a", "t1", 0, writes={"x": 1}, event_id=5),
        checkpoint(1, {"x": 1}, [], 7),
    ]
    parts = parts_of(events, ["checkpoints", "debug"])
    checkpoints = [p.data for p in parts if p.event == "checkpoints"]
    assert checkpoints[1]["parent_config"]["configurable"]["checkpoint_id"] == "c0"
    assert checkpoints[1]["metadata"] == {"source": "loop", "step": 1, "parents": {}}
    assert checkpoints[0]["tasks"][0]["name"] == "a"
    debug = [p.data for p in parts if p.event == "debug"]
    assert [(d["type"], d["step"]) for d in debug] == [
        ("checkpoint", 0),
        ("task", 1),
        ("task_result", 1),
        ("checkpoint", 1),
    ]
    assert debug[3]["payload"]["parent_checkpoint"]["checkpoint_id"] == "c0"


async def test_a_recorded_streamed_run() -> None:
    """A run recorded with token batches and custom events (histories v7/streamed)."""
    _, events = await read(HISTORIES / "v7" / "streamed.json")
    parts = parts_of(events, ["messages-tuple", "custom", "updates"])
    tokens = [
        p.data[0] for p in parts if p.event == "messages" and p.data[0]["type"] == "AIMessageChunk"
    ]
    assert "".join(t["content"] for t in tokens[:7]) == "tokens one by one"
    streamed_id = tokens[0]["id"]
    assert all(
        p.data[0]["id"] != streamed_id
        for p in parts
        if p.event == "messages" and p.data[0]["type"] == "ai"
    )
    assert [p.data for p in parts if p.event == "custom"] == [{"turn": 1}, {"turn": 4}]
    keys = [(p.source, p.index) for p in parts]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
