"""Unchanged LangGraph graphs on Tempograph (issue 13): the same script drives a graph on
Tempograph (GraphClient, a real Temporal dev server) and on LangGraph's own runtime (in process,
InMemorySaver); values, interrupt values and the next nodes must match step by step."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph
from langgraph.store.memory import InMemoryStore
from langgraph.types import Command as LangGraphCommand
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.errors import GraphRunError
from tempograph.types import Command
from tests.langgraph import lg_graphs

TASK_QUEUE = "langgraph-unchanged"

BUILDERS: dict[str, Callable[[], StateGraph[Any]]] = {
    "approval": lg_graphs.build_approval,
    "validate": lg_graphs.build_validate,
    "flow": lg_graphs.build_flow,
    "parallel": lg_graphs.build_parallel,
    "send_interrupts": lg_graphs.build_send_interrupts,
    "edit": lg_graphs.build_edit,
    "subgraph": lg_graphs.build_subgraph_node,
    "two_levels": lg_graphs.build_two_levels,
    "subgraph_call": lg_graphs.build_subgraph_call,
    "quiet_call": lg_graphs.build_quiet_call,
}
COMPILE: dict[str, dict[str, Any]] = {"edit": {"interrupt_before": ["step_2"]}}
VISITS = InMemoryStore()

# A script, one call each: ("input", value) or ("resume", answer): invoke;
# ("resume_map", f): invoke with Command(resume={interrupt id: f(interrupt value)}) for every
# pending interrupt (the ids differ between the two runtimes; the map is built the same way);
# ("update", values): update_state while paused, then ("continue", None): invoke(None).
Script = list[tuple[str, Any]]


@pytest_asyncio.fixture(scope="module")
async def graphs_(client: Client) -> AsyncIterator[GraphClient]:
    served = {name: build().compile(**COMPILE.get(name, {})) for name, build in BUILDERS.items()}
    served["visits"] = lg_graphs.build_visits().compile(store=VISITS)
    async with create_worker(client, served, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


def _shape(out: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in out.items() if k != "__interrupt__"}
    # Interrupts of tasks of one step come in no particular order in either runtime.
    interrupts = sorted((i.value for i in out.get("__interrupt__", [])), key=repr)
    return {"values": values, "interrupts": interrupts}


def _resume_map(out: dict[str, Any], answer: Callable[[Any], Any]) -> dict[str, Any]:
    return {i.id: answer(i.value) for i in out["__interrupt__"]}


def reference(name: str, script: Script) -> list[dict[str, Any]]:
    """LangGraph's own runtime, in process."""
    graph = BUILDERS[name]().compile(checkpointer=InMemorySaver(), **COMPILE.get(name, {}))
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
    outs: list[dict[str, Any]] = []
    last: dict[str, Any] = {}
    for kind, value in script:
        if kind == "update":
            graph.update_state(config, value)
            snapshot = graph.get_state(config)
            outs.append({"values": snapshot.values, "next": list(snapshot.next)})
            continue
        if kind == "input":
            arg: Any = value
        elif kind == "continue":
            arg = None
        elif kind == "resume_map":
            arg = LangGraphCommand(resume=_resume_map(last, value))
        else:
            arg = LangGraphCommand(resume=value)
        last = graph.invoke(arg, config)
        outs.append(_shape(last))
    return outs


async def on_tempograph(graphs: GraphClient, name: str, script: Script) -> list[dict[str, Any]]:
    thread = f"lg-{uuid.uuid4().hex[:12]}"
    outs: list[dict[str, Any]] = []
    last: dict[str, Any] = {}
    for kind, value in script:
        if kind == "update":
            snapshot = await graphs.update_state(thread, value)
            outs.append({"values": snapshot.values, "next": list(snapshot.next)})
            continue
        if kind == "input":
            arg: Any = value
        elif kind == "continue":
            arg = None
        elif kind == "resume_map":
            arg = Command(resume=_resume_map(last, value))
        else:
            arg = Command(resume=value)
        last = await graphs.invoke(name, arg, thread_id=thread)
        outs.append(_shape(last))
    return outs


def _answer(value: Any) -> str:
    return f"answer for {value}"


def _yes_for_even(value: Any) -> str:
    return "yes" if int(value["approve?"][-1]) % 2 == 0 else "no"


SCRIPTS: dict[str, tuple[str, Script]] = {
    "approve": ("approval", [("input", {"llm_output": "", "decision": ""}), ("resume", "approve")]),
    "reject": ("approval", [("input", {"llm_output": "", "decision": ""}), ("resume", "no")]),
    "validate": (
        "validate",
        [("input", {}), ("resume", "abc"), ("resume", "-3"), ("resume", "42")],
    ),
    "flow-wide": ("flow", [("input", {"topic": "wide"}), ("resume", "go")]),
    "flow-narrow-stop": ("flow", [("input", {"topic": "narrow"}), ("resume", "stop")]),
    # LangGraph's parallel-interrupts how-to: both questions at once, one map answers both.
    "parallel": ("parallel", [("input", {"vals": []}), ("resume_map", _answer)]),
    "send-interrupts": (
        "send_interrupts",
        [("input", {"items": ["i0", "i1", "i2"]}), ("resume_map", _yes_for_even)],
    ),
    # LangGraph's edit-state how-to: paused before step_2, the state is edited, then continued;
    # then an edit while paused at step_3's interrupt(), which sees it when answered.
    "edit-state": (
        "edit",
        [
            ("input", {"input": "hello world"}),
            ("update", {"input": "hello universe!"}),
            ("continue", None),
            ("update", {"input": "edited at the interrupt"}),
            ("resume", "ok"),
        ],
    ),
    # LangGraph's "interrupts in subgraphs": a compiled graph added as a node pauses its
    # parent (two interrupts in the child, then one in the parent); answered by value and by id.
    "subgraph": (
        "subgraph",
        [
            ("input", {"foo": "", "log": []}),
            ("resume", "yes"),
            ("resume_map", _answer),
            ("resume", "done"),
        ],
    ),
    "subgraph-two-levels": (
        "two_levels",
        [("input", {"foo": "", "log": []}), ("resume_map", _answer), ("resume", "ok")],
    ),
}


@pytest.mark.parametrize("case", sorted(SCRIPTS))
async def test_same_values_and_interrupts_as_langgraph(graphs_: GraphClient, case: str) -> None:
    name, script = SCRIPTS[case]
    expected = reference(name, script)
    assert any(o.get("interrupts") or "next" in o for o in expected), "the script must pause"
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


async def test_nodes_get_the_store_given_to_compile(graphs_: GraphClient) -> None:
    """As in LangGraph, a node's `store` parameter is the graph's store (here the worker's
    InMemoryStore: runs on other threads see what earlier runs put)."""
    user = uuid.uuid4().hex[:8]
    for expected in (1, 2):
        thread = f"lg-{uuid.uuid4().hex[:12]}"
        out = await graphs_.invoke("visits", {"user": user}, thread_id=thread)
        assert out == {"user": user, "visits": expected}
    item = VISITS.get(("visits", user), "count")
    assert item is not None and item.value == {"n": 2}


async def test_a_node_invoking_a_graph_that_does_not_interrupt(graphs_: GraphClient) -> None:
    script: Script = [("input", {"foo": "", "log": []})]
    expected = reference("quiet_call", script)
    assert expected == [{"values": {"foo": "hi!", "log": ["p1", "quiet"]}, "interrupts": []}]
    assert await on_tempograph(graphs_, "quiet_call", script) == expected


async def test_a_node_invoking_a_graph_that_interrupts_is_refused(graphs_: GraphClient) -> None:
    """LangGraph's other form of "interrupts in subgraphs" (subgraph.invoke inside a node
    function) needs the invoked graph's own checkpoint between the pause and the answer, which
    an activity does not keep: the run fails saying so, and what to write instead."""
    thread = f"lg-{uuid.uuid4().hex[:12]}"
    with pytest.raises(GraphRunError, match=r"add_node\(name, subgraph\)") as failed:
        await graphs_.invoke("subgraph_call", {"foo": "", "log": []}, thread_id=thread)
    assert "Node 'sub' invokes a LangGraph graph that called interrupt()" in str(failed.value)
