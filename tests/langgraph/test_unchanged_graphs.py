"""Unchanged LangGraph graphs on Tempograph (issue 13): the same script drives a graph on
Tempograph (GraphClient, a real Temporal dev server) and on LangGraph's own runtime (in process,
InMemorySaver); values and interrupt values must match step by step."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph
from langgraph.types import Command as LangGraphCommand
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.types import Command
from tests.langgraph import lg_graphs

TASK_QUEUE = "langgraph-unchanged"

BUILDERS: dict[str, Callable[[], StateGraph[Any]]] = {
    "approval": lg_graphs.build_approval,
    "validate": lg_graphs.build_validate,
    "flow": lg_graphs.build_flow,
}

# A script: ("input", value) or ("resume", answer), one invoke each.
Script = list[tuple[str, Any]]


@pytest_asyncio.fixture(scope="module")
async def graphs_(client: Client) -> AsyncIterator[GraphClient]:
    served = {name: build().compile() for name, build in BUILDERS.items()}
    async with create_worker(client, served, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


def _shape(out: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in out.items() if k != "__interrupt__"}
    return {"values": values, "interrupts": [i.value for i in out.get("__interrupt__", [])]}


def reference(name: str, script: Script) -> list[dict[str, Any]]:
    """LangGraph's own runtime, in process."""
    graph = BUILDERS[name]().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    outs = []
    for kind, value in script:
        arg = value if kind == "input" else LangGraphCommand(resume=value)
        outs.append(_shape(graph.invoke(arg, config)))  # type: ignore[arg-type]
    return outs


async def on_tempograph(graphs: GraphClient, name: str, script: Script) -> list[dict[str, Any]]:
    thread = f"lg-{uuid.uuid4().hex[:12]}"
    outs = []
    for kind, value in script:
        arg = value if kind == "input" else Command(resume=value)
        outs.append(_shape(await graphs.invoke(name, arg, thread_id=thread)))
    return outs


SCRIPTS: dict[str, tuple[str, Script]] = {
    "approve": ("approval", [("input", {"llm_output": "", "decision": ""}), ("resume", "approve")]),
    "reject": ("approval", [("input", {"llm_output": "", "decision": ""}), ("resume", "no")]),
    "validate": (
        "validate",
        [("input", {}), ("resume", "abc"), ("resume", "-3"), ("resume", "42")],
    ),
    "flow-wide": ("flow", [("input", {"topic": "wide"}), ("resume", "go")]),
    "flow-narrow-stop": ("flow", [("input", {"topic": "narrow"}), ("resume", "stop")]),
}


@pytest.mark.parametrize("case", sorted(SCRIPTS))
async def test_same_values_and_interrupts_as_langgraph(graphs_: GraphClient, case: str) -> None:
    name, script = SCRIPTS[case]
    expected = reference(name, script)
    assert expected[0]["interrupts"], "the script must pause at least once"
    assert await on_tempograph(graphs_, name, script) == expected


async def test_interrupt_is_a_durable_tempograph_pause(graphs_: GraphClient) -> None:
    thread = f"lg-{uuid.uuid4().hex[:12]}"
    out = await graphs_.invoke("approval", {"llm_output": "", "decision": ""}, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert len(pending.id) == 32
    state = await graphs_.get_state(thread)
    assert state.next == ["human_approval"]
    assert [i.value for i in state.interrupts] == [pending.value]
    # The answer goes to the interrupt by id, as with a native graph.
    out = await graphs_.invoke(
        "approval", Command(resume={pending.id: "approve"}), thread_id=thread
    )
    assert out == {"llm_output": "This is the generated output.", "decision": "approved"}


async def test_custom_events_of_a_langgraph_node_are_recorded(graphs_: GraphClient) -> None:
    thread = f"lg-{uuid.uuid4().hex[:12]}"
    events = [
        part
        async for part in graphs_.stream(
            "flow", {"topic": "narrow"}, thread_id=thread, stream_mode="custom"
        )
    ]
    assert {"planning": "narrow"} in [e for e in events]
