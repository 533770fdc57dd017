"""The Tempograph graphs of the benchmark (the peers build the same ones in LangGraph).

- `linear_N`: START -> n0 -> ... -> n{N-1} -> END, every node returns {"i": i + 1};
- `fanout_W`: START -> b0..b{W-1} (in parallel, each appends its index) -> join -> END;
- `asks_K`: START -> ask0 -> ... -> ask{K-1} -> END, each node asks with `interrupt`;
- `grow_N`: N nodes, each appending a GROW_BYTES entry to the state (history when state grows).

With `local=True` the same graphs are compiled to run their nodes as Temporal local activities,
when the runtime has that option (`LOCAL_ACTIVITIES`); names get a `_local` suffix.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypedDict

from tempograph.graph import END, START, CompiledGraph, StateGraph
from tempograph.types import interrupt

LINEAR_SIZES = (1, 10, 50)
FANOUT_WIDTH = 8
HITL_QUESTIONS = 2
GROW_SIZES = (2, 10)
GROW_BYTES = 1000
LOCAL_ACTIVITIES = "local_activities" in inspect.signature(StateGraph.compile).parameters

Node = Callable[[Any], Awaitable[dict[str, Any]]]


class CounterState(TypedDict):
    i: int


class FanState(TypedDict):
    out: Annotated[list[int], operator.add]
    seen: int


class AskState(TypedDict):
    answers: Annotated[list[str], operator.add]


class GrowState(TypedDict):
    log: Annotated[list[str], operator.add]


async def step(state: CounterState) -> dict[str, int]:
    return {"i": state["i"] + 1}


def make_branch(k: int) -> Node:
    async def branch(state: FanState) -> dict[str, list[int]]:
        return {"out": [k]}

    return branch


async def join(state: FanState) -> dict[str, int]:
    return {"seen": len(state["out"])}


def make_ask(k: int) -> Node:
    async def ask(state: AskState) -> dict[str, list[str]]:
        return {"answers": [interrupt({"q": f"q{k}"})]}

    return ask


async def grow(state: GrowState) -> dict[str, list[str]]:
    return {"log": [f"{len(state['log']):04d}".ljust(GROW_BYTES, "x")]}


def name(base: str, local: bool) -> str:
    return f"{base}_local" if local else base


def chain(schema: type[Any], nodes: list[tuple[str, Node]], local: bool) -> CompiledGraph:
    g = StateGraph(schema)
    for node, fn in nodes:
        g.add_node(node, fn)
    names = [node for node, _ in nodes]
    for a, b in zip([START, *names], [*names, END], strict=True):
        g.add_edge(a, b)
    return compile_graph(g, local)


def compile_graph(g: StateGraph, local: bool) -> CompiledGraph:
    options: dict[str, Any] = {"local_activities": True} if local else {}
    return g.compile(**options)


def linear(n: int, local: bool) -> CompiledGraph:
    return chain(CounterState, [(f"n{k}", step) for k in range(n)], local)


def fanout(width: int, local: bool) -> CompiledGraph:
    g = StateGraph(FanState)
    g.add_node("join", join)
    for k in range(width):
        g.add_node(f"b{k}", make_branch(k))
        g.add_edge(START, f"b{k}")
        g.add_edge(f"b{k}", "join")
    g.add_edge("join", END)
    return compile_graph(g, local)


def asks(questions: int, local: bool) -> CompiledGraph:
    return chain(AskState, [(f"ask{k}", make_ask(k)) for k in range(questions)], local)


def grown(n: int, local: bool) -> CompiledGraph:
    return chain(GrowState, [(f"g{k}", grow) for k in range(n)], local)


def all_graphs(local: bool) -> dict[str, CompiledGraph]:
    """Every graph the latency and history scenarios run, by name."""
    graphs = {name(f"linear_{n}", local): linear(n, local) for n in LINEAR_SIZES}
    graphs[name(f"fanout_{FANOUT_WIDTH}", local)] = fanout(FANOUT_WIDTH, local)
    graphs[name(f"asks_{HITL_QUESTIONS}", local)] = asks(HITL_QUESTIONS, local)
    graphs |= {name(f"grow_{n}", local): grown(n, local) for n in GROW_SIZES}
    return graphs
