"""A LangGraph CompiledStateGraph as a Tempograph CompiledGraph.

The topology is translated to Tempograph's (pinned in the run's history at start, as for a
native graph): state channels with their reducers, nodes, static edges, joins, conditional
edges (as routers), compiled breakpoints. What has no faithful translation is refused here, at
create_worker time, naming the node or channel and why.
"""

from __future__ import annotations

import copy
import operator
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, cast

import structlog
from langgraph.channels import BinaryOperatorAggregate, EphemeralValue, LastValue
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.memory import InMemoryStore

from tempograph._langgraph._internals import is_branch_writer
from tempograph._langgraph._run import StateView, make_node, make_router
from tempograph.graph import CompiledGraph, StateGraph
from tempograph.messages import END, START, Breakpoints, ChannelSpec
from tempograph.reducers import add_messages, builtin_name

log = structlog.get_logger("tempograph.langgraph")


class UnsupportedGraphError(TypeError):
    """A LangGraph graph uses something Tempograph cannot run faithfully (yet)."""


class LangGraphGraph(CompiledGraph):
    """A compiled LangGraph graph served by Tempograph. `source` is the LangGraph object."""

    def __init__(
        self,
        builder: StateGraph,
        interrupt_before: Breakpoints,
        interrupt_after: Breakpoints,
        name: str | None,
        source: CompiledStateGraph,
    ) -> None:
        super().__init__(builder, interrupt_before, interrupt_after, name)
        self.source = source

    def coerce_state(self, values: dict[str, Any]) -> Any:
        # The LangGraph node picks its own input keys and applies its schema's mapper.
        return StateView(self.with_message_objects(values))


def is_langgraph_graph(obj: Any) -> bool:
    return isinstance(obj, CompiledStateGraph)


def from_langgraph(graph: CompiledStateGraph, name: str) -> LangGraphGraph:
    """Translate `graph` (served as `name`; the name is only used in error messages)."""
    builder_in = graph.builder
    where = f"LangGraph graph '{name}'"
    _check_persistence(graph, name)
    if getattr(builder_in, "managed", None):
        raise UnsupportedGraphError(
            f"{where}: managed values ({', '.join(builder_in.managed)}; e.g. RemainingSteps) "
            "are not supported yet"
        )
    state_keys = [k for k in builder_in.channels if k in graph.channels]
    channels: list[ChannelSpec] = []
    hints: dict[str, Any] = {}
    ephemeral: set[str] = set()
    for key in state_keys:
        spec, hint = _channel(graph.channels[key], key, where)
        if spec is None:
            ephemeral.add(key)
            continue
        channels.append(spec)
        hints[key] = hint
    schema = typing.TypedDict(f"{_identifier(name)}State", hints)  # type: ignore[misc]
    builder = StateGraph(schema, context_schema=getattr(builder_in, "context_schema", None))
    builder.channels = channels
    kept = frozenset(c.name for c in channels)
    messages = frozenset(c.name for c in channels if c.reducer == "add_messages")
    for node in graph.nodes:
        if node == START:
            continue
        _check_node(graph, node, where)
        child = _subgraph(graph, node, name)
        if child is not None:
            # A child GraphRun, as a Tempograph subgraph node: its interrupts pause this run.
            builder.add_node(node, cast(Any, child))  # a CompiledGraph node is a subgraph
            continue
        builder.add_node(
            node, make_node(graph, node, kept, frozenset(ephemeral), messages, store=graph.store)
        )
    for source, target in sorted(builder_in.edges):
        builder.add_edge(source, target)
    for sources, target in sorted(builder_in.waiting_edges):
        builder.add_edge(list(sources), target)
    # graph.nodes holds START too (its branches are the conditional edges from START).
    for source in graph.nodes:
        router = make_router(graph, source)
        if router is not None:
            builder.add_conditional_edges(source, router)
    before = _breakpoints(graph.interrupt_before_nodes)
    after = _breakpoints(graph.interrupt_after_nodes)
    builder._validate(before, after)
    return LangGraphGraph(builder, before, after, graph.name, source=graph)


def _subgraph(graph: CompiledStateGraph, node: str, name: str) -> LangGraphGraph | None:
    """The translated child graph of a node that is a compiled LangGraph graph
    (`add_node("sub", subgraph_builder.compile())`); None for any other node. A node function
    that calls `subgraph.invoke(...)` itself runs in its activity (see _run.make_node)."""
    bound = graph.nodes[node].bound
    if not isinstance(bound, CompiledStateGraph):
        return None
    where = f"LangGraph graph '{name}'"
    if bound.checkpointer is False:
        # LangGraph runs it inside the parent's task, without persistence (no interrupts).
        return None
    if any(is_branch_writer(w) for w in graph.nodes[node].writers):
        raise UnsupportedGraphError(
            f"{where}: node '{node}' is a subgraph with conditional edges out of it: not "
            "supported yet (route from a node after it)"
        )
    return from_langgraph(bound, f"{name}/{node}")


def _check_persistence(graph: CompiledStateGraph, name: str) -> None:
    """A checkpointer given to compile() is not used: the run's Temporal history is its
    checkpoint (get_state, history, forks read it). Said once, when the worker is built, as
    LangGraph users pass one out of habit (create_agent(checkpointer=...)).

    A store is used: nodes get it as LangGraph gives it (runtime.store, a `store` parameter),
    in the worker process. Its writes are a node's side effects, outside the run's history
    (a retried node writes again); an InMemoryStore is this worker process's alone, not
    shared by other workers nor kept across restarts, so that one is warned about."""
    if graph.checkpointer not in (None, False, True):
        log.warning(
            f"LangGraph graph '{name}': its checkpointer "
            f"({type(graph.checkpointer).__name__}) is not used: Temporal history is the "
            "checkpoint",
            graph=name,
        )
    if isinstance(graph.store, InMemoryStore):
        log.warning(
            f"LangGraph graph '{name}': its InMemoryStore lives in this worker process only "
            "(other workers see another store, a restart empties it); give compile() a "
            "shared store (e.g. PostgresStore) for runs served by several workers",
            graph=name,
        )


def _channel(channel: Any, key: str, where: str) -> tuple[ChannelSpec | None, Any]:
    """The Tempograph channel of a LangGraph state key, and its type hint (with the reducer the
    worker applies when the workflow has no built-in for it). None: an ephemeral key."""
    kind = type(channel)
    if kind is LastValue:
        return ChannelSpec(name=key), Any
    if kind is BinaryOperatorAggregate:
        reducer = _reducer(channel.operator)
        has_initial = channel.is_available()
        initial = copy.deepcopy(channel.get()) if has_initial else None
        spec = ChannelSpec(
            name=key,
            reducer=builtin_name(reducer) or "custom",
            has_initial=has_initial,
            initial=initial,
        )
        return spec, Annotated[Any, reducer]
    if kind is EphemeralValue:
        # e.g. create_agent's `jump_to`: seen by the writing node's own conditional edges.
        return None, None
    raise UnsupportedGraphError(
        f"{where}: state key '{key}' is a {kind.__name__} channel; Tempograph supports plain "
        "keys (LastValue), Annotated[T, reducer] keys (BinaryOperatorAggregate) and ephemeral "
        "keys seen by the writing node's own conditional edges (EphemeralValue)"
    )


def _reducer(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """LangGraph's add_messages as Tempograph's (the workflow applies it itself, on serialized
    messages); operator.add stays; any other reducer runs in the worker."""
    if op is operator.add:
        return op
    module = getattr(op, "__module__", "") or ""
    if module.startswith("langgraph.graph.message") and getattr(op, "__name__", "") in (
        "add_messages",
        "_add_messages",
    ):
        return add_messages
    return op


def _check_node(graph: CompiledStateGraph, node: str, where: str) -> None:
    proc = graph.nodes[node]
    spec = graph.builder.nodes.get(node)
    if not isinstance(proc.channels, list):
        raise UnsupportedGraphError(
            f"{where}: node '{node}' reads a single root channel; only dict-like state "
            "schemas are supported"
        )
    if spec is None:
        return
    refused = {
        "defer=True": getattr(spec, "defer", False),
        "retry_policy (use Temporal retries: not mapped yet)": spec.retry_policy,
        "cache_policy": spec.cache_policy,
        "timeout": getattr(spec, "timeout", None),
        "error handler": getattr(spec, "is_error_handler", False)
        or getattr(spec, "error_handler_node", None),
    }
    for what, value in refused.items():
        if value:
            raise UnsupportedGraphError(f"{where}: node '{node}' uses {what}: not supported yet")


def _breakpoints(nodes: Any) -> Breakpoints:
    if nodes == "*":
        return "*"
    listed = [n for n in (nodes or []) if n != END]
    return listed or None


def _identifier(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) or "Graph"


def adapt(graphs: Mapping[str, Any]) -> dict[str, Any]:
    """`graphs` with each LangGraph graph translated (others unchanged)."""
    return {
        name: from_langgraph(g, name) if is_langgraph_graph(g) else g for name, g in graphs.items()
    }
