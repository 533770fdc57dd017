"""What the LangGraph adapter accepts, translates and refuses (no server needed)."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.managed import RemainingSteps
from langgraph.store.memory import InMemoryStore
from structlog.testing import capture_logs

from tempograph.cli._serve import checked
from tempograph.project import ProjectError, load_project
from tempograph.worker import checked_graphs
from tests.langgraph import lg_graphs


def test_topology_is_translated() -> None:
    [(name, graph)] = checked_graphs({"flow": lg_graphs.build_flow().compile()}).items()
    spec = graph.spec(name)
    channels = {c.name: (c.reducer, c.initial) for c in spec.channels}
    assert channels == {
        "topic": ("last", None),
        "route": ("last", None),
        "log": ("add", []),
        "counts": ("custom", {}),
        "items": ("last", None),
        "verdict": ("last", None),
    }
    edges = sorted((tuple(e.sources), e.target) for e in spec.edges)
    assert (("left", "right"), "review") in edges  # the join
    assert ((START,), "plan") in edges
    routers = sorted(n.name for n in spec.nodes if n.has_router)
    assert routers == ["plan", "review"]


def test_compiled_breakpoints_are_kept() -> None:
    compiled = lg_graphs.build_approval().compile(interrupt_before=["human_approval"])
    graph = checked_graphs({"g": compiled})["g"]
    assert graph.spec("g").interrupt_before == ["human_approval"]


class Steps(TypedDict):
    log: Annotated[list[str], operator.add]
    remaining_steps: RemainingSteps


def test_managed_values_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="remaining_steps"):
        checked_graphs({"steps": steps_builder().compile()})


def test_a_subgraph_node_is_a_tempograph_subgraph() -> None:
    """A compiled LangGraph graph added as a node runs as a child GraphRun (its translation is
    served as "<graph>/<node>", recursively); a node function calling one stays a node."""
    graph = checked_graphs({"nested": lg_graphs.build_two_levels().compile()})["nested"]
    spec = {n.name: n.subgraph for n in graph.spec("nested").nodes}
    assert spec == {"p1": None, "outer": "nested/outer"}
    children = graph.subgraphs("nested")
    assert sorted(children) == ["nested/outer", "nested/outer/inner"]
    inner = children["nested/outer/inner"].spec("nested/outer/inner")
    assert [n.name for n in inner.nodes] == ["s1", "s2", "s3"]
    assert {c.name for c in inner.channels} == {"foo", "bar", "log"}
    called = checked_graphs({"called": lg_graphs.build_subgraph_call().compile()})["called"]
    assert [n.subgraph for n in called.spec("called").nodes] == [None, None]


def test_conditional_edges_out_of_a_subgraph_node_are_refused() -> None:
    parent = StateGraph(lg_graphs.ParentState)
    parent.add_node("child", lg_graphs.build_child().compile())
    parent.add_edge(START, "child")
    parent.add_conditional_edges("child", lambda s: END)
    with pytest.raises(TypeError, match="node 'child' is a subgraph with conditional edges"):
        checked_graphs({"nested": parent.compile()})


def test_langgraph_json_serves_a_langgraph_builder(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(
        "from tests.langgraph.lg_graphs import build_approval\n\nbuilder = build_approval()\n"
    )
    (tmp_path / "langgraph.json").write_text('{"graphs": {"approval": "./agent.py:builder"}}')
    project = load_project(tmp_path)
    served = checked_graphs(project.graphs)
    assert [n.name for n in served["approval"].spec("approval").nodes] == [
        "generate_llm_output",
        "human_approval",
        "approved_path",
        "rejected_path",
    ]


def test_a_checkpointer_given_to_compile_is_said_to_be_unused() -> None:
    compiled = lg_graphs.build_approval().compile(checkpointer=InMemorySaver())
    with capture_logs() as logs:
        checked_graphs({"approval": compiled})
    [warning] = [e for e in logs if e["log_level"] == "warning"]
    assert warning["event"] == (
        "LangGraph graph 'approval': its checkpointer (InMemorySaver) is not used: "
        "Temporal history is the checkpoint"
    )
    with capture_logs() as logs:
        checked_graphs({"approval": lg_graphs.build_approval().compile()})
    assert [e for e in logs if e["log_level"] == "warning"] == []


def test_an_in_memory_store_is_said_to_be_per_worker() -> None:
    compiled = lg_graphs.build_visits().compile(store=InMemoryStore())
    with capture_logs() as logs:
        checked_graphs({"visits": compiled})
    [warning] = [e for e in logs if e["log_level"] == "warning"]
    assert "InMemoryStore lives in this worker process only" in warning["event"]


def test_the_cli_says_the_unsupported_feature(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(
        "from tests.langgraph.test_translation import steps_builder\n\nbuilder = steps_builder()\n"
    )
    (tmp_path / "langgraph.json").write_text('{"graphs": {"steps": "./agent.py:builder"}}')
    project = load_project(tmp_path)
    with pytest.raises(ProjectError) as refused:
        checked(project.graphs)
    message = str(refused.value)
    assert message.startswith("LangGraph graph 'steps': managed values (remaining_steps;")
    assert "from tempograph.graph import" not in message
    assert message.endswith(
        "served unchanged apart from this feature: see 'Unchanged LangGraph graphs' in the README)"
    )


def steps_builder() -> StateGraph[Steps]:
    builder = StateGraph(Steps)
    builder.add_node("a", lambda s: {"log": ["a"]})
    builder.add_edge(START, "a")
    builder.add_edge("a", END)
    return builder
