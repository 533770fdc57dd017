"""The benchmark graphs in LangGraph itself (the same as bench/graphs.py builds for Tempograph),
for every peer venv. Node functions are module-level: Temporal's plugin refuses closures and
functions defined in __main__. `metadata` is added to every node (the plugin reads activity
options there); with it, a fan-out branch reads its index from its own node metadata (the
plugin's way), without it each branch is a closure over its index (langgraph-temporal does not
hand node metadata to nodes)."""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

Graph = StateGraph[Any, Any, Any, Any]


class CounterState(TypedDict):
    i: int


class FanState(TypedDict):
    out: Annotated[list[int], operator.add]
    seen: int


class HitlState(TypedDict):
    answers: Annotated[list[str], operator.add]


async def step(state: CounterState) -> dict[str, int]:
    return {"i": state["i"] + 1}


async def branch(state: FanState, config: RunnableConfig) -> dict[str, list[int]]:
    return {"out": [config["metadata"]["branch"]]}


def branch_k(k: int) -> Callable[[FanState], Awaitable[dict[str, list[int]]]]:
    async def branch(state: FanState) -> dict[str, list[int]]:
        return {"out": [k]}

    return branch


async def join(state: FanState) -> dict[str, int]:
    return {"seen": len(state["out"])}


async def ask1(state: HitlState) -> dict[str, list[str]]:
    return {"answers": [interrupt({"q": "first?"})]}


async def ask2(state: HitlState) -> dict[str, list[str]]:
    return {"answers": [interrupt({"q": "second?"})]}


def linear_graph(n: int, metadata: dict[str, Any] | None = None) -> Graph:
    g = StateGraph(CounterState)
    prev = START
    for k in range(n):
        g.add_node(f"n{k}", step, metadata=dict(metadata or {}))
        g.add_edge(prev, f"n{k}")
        prev = f"n{k}"
    g.add_edge(prev, END)
    return g


def fanout_graph(width: int, metadata: dict[str, Any] | None = None) -> Graph:
    g = StateGraph(FanState)
    g.add_node("join", join, metadata=dict(metadata or {}))
    for k in range(width):
        if metadata is None:
            g.add_node(f"b{k}", branch_k(k))
        else:
            g.add_node(f"b{k}", branch, metadata={**metadata, "branch": k})
        g.add_edge(START, f"b{k}")
        g.add_edge(f"b{k}", "join")
    g.add_edge("join", END)
    return g


def hitl_graph(metadata: dict[str, Any] | None = None, asks: int = 2) -> Graph:
    """START -> ask1 -> ask2 -> END; with asks=1, START -> ask1 -> END (the throughput op)."""
    g = StateGraph(HitlState)
    names = ["ask1", "ask2"][:asks]
    for name, fn in zip(names, (ask1, ask2), strict=False):
        g.add_node(name, fn, metadata=dict(metadata or {}))
    for a, b in zip([START, *names], [*names, END], strict=True):
        g.add_edge(a, b)
    return g
