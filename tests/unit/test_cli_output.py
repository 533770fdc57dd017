"""What the CLI prints, rendered from snapshots without a server."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from typing import TypedDict

from tempograph.cli._output import (
    Endpoints,
    banner,
    checkpoint_line,
    describe,
    example_input,
    to_json,
)
from tempograph.graph import END, START, StateGraph
from tempograph.messages import Checkpoint, PendingInterrupt, StateSnapshot
from tempograph.types import Interrupt


def snapshot(**changes: object) -> StateSnapshot:
    base = StateSnapshot(
        thread_id="t1",
        graph="revise",
        status="interrupted",
        values={"some_text": "draft"},
        next=["human_node"],
        interrupts=[PendingInterrupt(id="abc", value={"q": 1}, node="human_node", task_id="x")],
        step=1,
        paused_at="interrupt",
    )
    return base.model_copy(update=changes)


def test_a_paused_run_says_how_to_answer_with_the_callers_command() -> None:
    text = describe(snapshot(), "python starter.py")
    assert "thread t1 · graph revise · interrupted (interrupt) · step 1" in text
    assert "[abc] human_node asks" in text
    assert "answer: python starter.py resume t1 '<json answer>'" in text
    assert "tempograph resume t1" in describe(snapshot())


def test_a_breakpoint_says_how_to_continue() -> None:
    text = describe(snapshot(interrupts=[], paused_at="before"))
    assert "continue: tempograph resume t1" in text


def test_json_renders_interrupts_and_models() -> None:
    out = json.loads(to_json({"__interrupt__": [Interrupt(value="v", id="i")]}))
    assert out == {"__interrupt__": [{"value": "v", "id": "i", "response_schema": None}]}
    assert json.loads(to_json(snapshot()))["status"] == "interrupted"


def test_checkpoint_line() -> None:
    c = Checkpoint(
        checkpoint_id="cp",
        thread_id="t1",
        run_id="r",
        step=1,
        source="loop",
        values={"a": 1},
        next=[],
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert checkpoint_line(c).startswith("cp  step 1   loop")


class Draft(TypedDict):
    count: int
    text: str


def test_example_input_uses_the_first_text_key() -> None:
    g = StateGraph(Draft)
    g.add_node("n", lambda s: {})
    g.add_edge(START, "n")
    g.add_edge("n", END)
    assert example_input(g.compile()) == {"text": "hello"}
    assert example_input(object()) == {}


def test_banner_lists_urls_and_a_first_command() -> None:
    ep = Endpoints(
        api="http://127.0.0.1:2024",
        temporal="127.0.0.1:7233",
        ui="http://localhost:8233",
        graphs=["agent"],
        task_queue="tempograph",
        data_dir=".data",
    )
    text = banner(ep, {"text": "hello"})
    for expected in ("http://127.0.0.1:2024/docs", "http://localhost:8233", "(embedded"):
        assert expected in text
    curl = next(line for line in text.splitlines() if "curl" in line)
    body = json.loads(shlex.split(curl)[-1])
    assert body == {"assistant_id": "agent", "input": {"text": "hello"}}
    assert '  tempograph run agent \'{"text": "hello"}\'' in text
    other = banner(
        Endpoints(
            api="http://127.0.0.1:9",
            temporal="127.0.0.1:7999",
            ui=None,
            graphs=["a"],
            task_queue="q",
        )
    )
    assert "TEMPORAL_ADDRESS=127.0.0.1:7999 TEMPOGRAPH_TASK_QUEUE=q tempograph run a" in other
