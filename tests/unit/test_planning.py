"""Planning the next superstep: edges, joins, routers' answers (goto) and Send."""

from __future__ import annotations

import pytest

from tempograph._engine import (
    RunFailedError,
    Task,
    Topology,
    add_targets,
    copy_joins,
    merge,
    plan,
    preview,
    start_tasks,
)
from tempograph.messages import END, START, EdgeSpec, GraphSpec, NodeResult, NodeSpec, SendSpec


def graph(nodes: list[str], edges: list[tuple[list[str], str]]) -> Topology:
    return Topology.of(
        GraphSpec(
            name="g",
            nodes=[NodeSpec(name=n) for n in nodes],
            channels=[],
            edges=[EdgeSpec(sources=s, target=t) for s, t in edges],
        )
    )


def names(tasks: list[Task]) -> list[str]:
    return [t.node for t in tasks]


CHAIN = graph(["a", "b", "c"], [([START], "a"), (["a"], "b"), (["b"], "c"), (["c"], END)])


def test_topology_indexes_single_source_edges_and_joins() -> None:
    topo = graph(["a", "b", "c"], [([START], "a"), (["a"], "b"), (["a", "b"], "c")])
    assert topo.successors == {START: ["a"], "a": ["b"]}
    assert topo.joins == [({"a", "b"}, "c")]
    assert topo.nodes == {"a", "b", "c"}


def test_a_join_from_start_waits_only_for_its_nodes() -> None:
    topo = graph(["a", "c"], [([START, "a"], "c")])
    assert topo.joins == [({"a"}, "c")]


def test_start_tasks_follow_starts_static_edges() -> None:
    assert names(start_tasks(CHAIN)) == ["a"]


def test_static_edges_plan_the_next_step() -> None:
    joins: dict[int, set[str]] = {}
    assert names(plan(CHAIN, joins, [Task("a")], [NodeResult()])) == ["b"]
    assert plan(CHAIN, joins, [Task("c")], [NodeResult()]) == []  # END is no task


def test_fan_out_and_targets_once_each() -> None:
    topo = graph(["a", "b", "c", "d"], [(["a"], "b"), (["a"], "c"), (["b"], "d"), (["c"], "d")])
    joins: dict[int, set[str]] = {}
    step = plan(topo, joins, [Task("a")], [NodeResult()])
    assert names(step) == ["b", "c"]
    # Both b and c lead to d: one task (LangGraph runs d once).
    assert names(plan(topo, joins, step, [NodeResult(), NodeResult()])) == ["d"]


def test_goto_adds_targets_after_static_edges() -> None:
    joins: dict[int, set[str]] = {}
    planned = plan(CHAIN, joins, [Task("a")], [NodeResult(goto=["c", "b"])])
    assert names(planned) == ["b", "c"]


def test_goto_to_end_plans_nothing() -> None:
    topo = graph(["a"], [])
    assert plan(topo, {}, [Task("a")], [NodeResult(goto=[END])]) == []


def test_each_send_is_its_own_task_with_its_argument() -> None:
    topo = graph(["a", "w"], [])
    sends = [SendSpec(node="w", arg=1), SendSpec(node="w", arg=2)]
    planned = plan(topo, {}, [Task("a")], [NodeResult(sends=sends)])
    assert [(t.node, t.send.arg if t.send else None) for t in planned] == [("w", 1), ("w", 2)]


def test_a_send_and_an_edge_to_the_same_node_are_two_tasks() -> None:
    topo = graph(["a", "w"], [(["a"], "w")])
    planned = plan(topo, {}, [Task("a")], [NodeResult(sends=[SendSpec(node="w", arg=9)])])
    assert [(t.node, t.send is not None) for t in planned] == [("w", False), ("w", True)]


def test_a_join_fires_once_all_its_sources_finished_over_several_steps() -> None:
    topo = graph(["a", "b", "c", "j"], [(["a"], "b"), (["b", "c"], "j")])
    joins: dict[int, set[str]] = {}
    assert names(plan(topo, joins, [Task("a"), Task("c")], [NodeResult(), NodeResult()])) == ["b"]
    assert joins == {0: {"c"}}
    assert names(plan(topo, joins, [Task("b")], [NodeResult()])) == ["j"]
    assert joins == {0: set()}  # reset: the join can fire again


def test_a_join_does_not_fire_twice_for_one_source() -> None:
    topo = graph(["b", "c", "j"], [(["b", "c"], "j")])
    joins: dict[int, set[str]] = {}
    assert plan(topo, joins, [Task("b")], [NodeResult()]) == []
    assert plan(topo, joins, [Task("b")], [NodeResult()]) == []
    assert names(plan(topo, joins, [Task("c")], [NodeResult()])) == ["j"]


def test_copy_joins_is_independent() -> None:
    joins = {0: {"a"}}
    copied = copy_joins(joins)
    copied[0].add("b")
    assert joins == {0: {"a"}}


def test_unknown_goto_target_fails_the_run() -> None:
    with pytest.raises(RunFailedError, match="'nowhere' is not a node") as info:
        plan(CHAIN, {}, [Task("a")], [NodeResult(goto=["nowhere"])])
    assert info.value.kind == "InvalidUpdateError"


def test_send_to_unknown_node_fails_the_run() -> None:
    with pytest.raises(RunFailedError, match="Send to unknown node 'x'") as info:
        add_targets(CHAIN, [], [], [SendSpec(node="x")])
    assert info.value.kind == "InvalidUpdateError"


def test_add_targets_edits_the_list_in_place() -> None:
    tasks = [Task("a")]
    assert add_targets(CHAIN, tasks, ["a", "b", END], []) is tasks
    assert names(tasks) == ["a", "b"]


def test_merge_keeps_order_and_adds_sends_always() -> None:
    send = Task("b", SendSpec(node="b", arg=1))
    merged = merge([Task("a"), Task("b")], [Task("b"), Task("c"), send])
    assert names(merged) == ["a", "b", "c", "b"]
    assert merged[-1] is send


def test_preview_shows_next_nodes_without_joins() -> None:
    topo = graph(["a", "b", "c", "j"], [(["a"], "b"), (["a", "c"], "j")])
    results = [NodeResult(goto=["c", END], sends=[SendSpec(node="b")])]
    assert names(preview(topo, [Task("a")], results)) == ["b", "c"]
