"""The graph language, as in `langgraph.graph`: StateGraph, START, END.

A compiled graph has two halves:
- its topology as data (`CompiledGraph.spec`, a GraphSpec), which the workflow interprets;
- its Python callables (nodes, routers, custom reducers), which only activities call.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Hashable, Sequence
from datetime import timedelta
from typing import Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel
from temporalio.common import RetryPolicy

from tempograph._engine.reducers import (
    REMOVE_ALL_MESSAGES,
    is_message_reducer,
    to_message_objects,
)
from tempograph.messages import (
    END,
    START,
    Breakpoints,
    ChannelSpec,
    EdgeSpec,
    GraphSpec,
    NodeSpec,
    RetrySpec,
)
from tempograph.reducers import add_messages, builtin_name
from tempograph.types import Send

__all__ = [
    "END",
    "REMOVE_ALL_MESSAGES",
    "START",
    "CompiledGraph",
    "MessagesState",
    "RemoveMessage",
    "StateGraph",
    "add_messages",
]

if typing.TYPE_CHECKING:
    AnyMessage = Any
else:
    try:
        from langchain_core.messages import AnyMessage
    except ImportError:  # without langchain-core, messages are dicts in LangChain's form
        AnyMessage = dict[str, Any]


class MessagesState(typing.TypedDict):
    """A state with one key, `messages`, merged by add_messages (as in LangGraph)."""

    messages: typing.Annotated[list[AnyMessage], add_messages]


def _remove_message(id: str) -> Any:  # noqa: A002 - LangChain's parameter name
    """A message that deletes the message with `id` (REMOVE_ALL_MESSAGES: all of them)."""
    return {"type": "remove", "id": id, "content": ""}


if typing.TYPE_CHECKING:
    RemoveMessage: Any = _remove_message
else:
    try:
        from langchain_core.messages import RemoveMessage
    except ImportError:
        RemoveMessage = _remove_message

NodeFn = Callable[..., Any]


class Invocable(typing.Protocol):
    """A LangChain Runnable (ToolNode, a chain...): a node called as `invoke(state, config)`."""

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any: ...  # noqa: A002


NodeLike = NodeFn | Invocable
Router = Callable[..., Any]

# Nodes' default activity options (add_node overrides them per node):
# - start_to_close_timeout 10 min (NodeSpec's default): LLM calls and tools can take minutes;
#   this only bounds a node that hangs.
# - heartbeat_timeout 15 s: the node activity heartbeats while the node runs, so a worker that
#   dies mid-node has the node retried elsewhere within ~15 s instead of 10 min.
DEFAULT_HEARTBEAT_TIMEOUT = 15.0


@dataclasses.dataclass
class _Branch:
    path: Router
    path_map: dict[Hashable, str] | None


@dataclasses.dataclass
class _Node:
    fn: NodeLike
    spec: NodeSpec
    local_activity: bool | None = None  # None: the graph's default (compile)


class StateGraph:
    """A graph whose nodes read a shared state and return updates to it."""

    def __init__(
        self, state_schema: type[Any], context_schema: type[Any] | None = None, **_: Any
    ) -> None:
        self.state_schema = state_schema
        # The type of a run's `context` in nodes (Runtime.context): dataclass, pydantic model
        # or TypedDict (tempograph.runtime.coerce_context).
        self.context_schema = context_schema
        self.channels = _channels_of(state_schema)
        self.nodes: dict[str, _Node] = {}
        self.edges: list[tuple[tuple[str, ...], str]] = []
        self.branches: dict[str, list[_Branch]] = {}

    def add_node(
        self,
        node: str | NodeLike,
        action: NodeLike | None = None,
        *,
        start_to_close_timeout: timedelta | float | None = None,
        heartbeat_timeout: timedelta | float | None = None,
        retry_policy: RetryPolicy | None = None,
        local_activity: bool | None = None,
        **_langgraph_options: Any,
    ) -> StateGraph:
        """Add a node. Options set its activity: timeouts and Temporal retry policy.

        By default a node may take 10 minutes (`start_to_close_timeout`) and is tried 3 times;
        it heartbeats automatically while it runs, and a node whose worker stops heartbeating
        for 15 s (`heartbeat_timeout`; it died, or lost its connection) is retried on another
        worker. `heartbeat_timeout=0` turns that off (the node is then only retried after its
        start-to-close timeout). An async node must not block the event loop for longer than
        its heartbeat timeout (make it a sync function, which runs in a thread).

        `local_activity=True` runs the node as a Temporal local activity, in the worker that
        runs the workflow, with no server round trip (about 1-2 ms instead of 10): for cheap
        nodes (formatters, validators, routers, interrupt() steps). Timeouts, retries and
        interrupts behave the same. Not for long or side-effecting nodes: a local activity
        holds the workflow task while it runs, is retried from the start after a worker crash
        without heartbeats, and its input is not recorded in history. `None` takes the graph's
        default, `compile(local_activities=...)`.
        """
        if action is None:
            if isinstance(node, str):
                raise ValueError(f"Node '{node}' needs a function")
            # A function, or a LangChain Runnable (ToolNode, a chain) named by its `name`.
            action = node
            name = getattr(node, "__name__", None) or getattr(node, "name", None) or ""
        else:
            if not isinstance(node, str):
                raise TypeError("add_node(name, fn): the name must be a string")
            name = node
        if not name or name in (START, END):
            raise ValueError(f"'{name}' is not a valid node name")
        if name in self.nodes:
            raise ValueError(f"Node `{name}` already present.")
        spec = NodeSpec(name=name, heartbeat_timeout_seconds=DEFAULT_HEARTBEAT_TIMEOUT)
        if start_to_close_timeout is not None:
            spec.start_to_close_timeout_seconds = _seconds(start_to_close_timeout)
        if heartbeat_timeout is not None:
            spec.heartbeat_timeout_seconds = _seconds(heartbeat_timeout) or None
        if retry_policy is not None:
            spec.retry = RetrySpec.from_policy(retry_policy)
        self.nodes[name] = _Node(fn=action, spec=spec, local_activity=local_activity)
        return self

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> StateGraph:
        """Add `start_key -> end_key`. A list of sources is a join: it waits for all of them."""
        sources = (start_key,) if isinstance(start_key, str) else tuple(start_key)
        if not sources:
            raise ValueError("add_edge needs at least one source")
        if END in sources:
            raise ValueError("END cannot be the start of an edge")
        if end_key == START:
            raise ValueError("START cannot be the end of an edge")
        self.edges.append((sources, end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Router,
        path_map: dict[Hashable, str] | list[str] | None = None,
    ) -> StateGraph:
        """Route from `source` with `path(state)`, which returns node names, Sends, or keys of
        `path_map`. The router sees the state with `source`'s own writes applied."""
        mapping: dict[Hashable, str] | None
        if isinstance(path_map, list):
            mapping = {name: name for name in path_map}
        else:
            mapping = dict(path_map) if path_map is not None else None
        self.branches.setdefault(source, []).append(_Branch(path=path, path_map=mapping))
        return self

    def set_entry_point(self, key: str) -> StateGraph:
        return self.add_edge(START, key)

    def set_finish_point(self, key: str) -> StateGraph:
        return self.add_edge(key, END)

    def add_sequence(self, nodes: Sequence[NodeFn | tuple[str, NodeFn]]) -> StateGraph:
        previous: str | None = None
        for item in nodes:
            name, fn = item if isinstance(item, tuple) else (getattr(item, "__name__", ""), item)
            self.add_node(name, fn)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def compile(
        self,
        checkpointer: Any = None,
        *,
        interrupt_before: Breakpoints = None,
        interrupt_after: Breakpoints = None,
        name: str | None = None,
        local_activities: bool = False,
        notify: str | None = None,
        **_: Any,
    ) -> CompiledGraph:
        """Check the graph and freeze it. `checkpointer` is accepted for LangGraph code and
        ignored: Temporal history is the checkpoint. `local_activities=True` runs every node as
        a local activity unless its add_node says otherwise (see add_node). `notify`: a webhook
        URL POSTed when a run of this graph pauses, is answered, or an interrupt's deadline
        passes (tempograph.notifications)."""
        self._validate(interrupt_before, interrupt_after)
        if notify is not None and not (
            isinstance(notify, str) and notify.startswith(("http://", "https://"))
        ):
            raise ValueError(f"compile(notify=...) takes an http(s) URL, got {notify!r}")
        compiled = CompiledGraph(self, interrupt_before, interrupt_after, name, local_activities)
        compiled.notify = notify
        return compiled

    def _validate(self, before: Breakpoints, after: Breakpoints) -> None:
        known = set(self.nodes)
        for sources, target in self.edges:
            for source in sources:
                if source != START and source not in known:
                    raise ValueError(f"Found edge starting at unknown node '{source}'")
            if target != END and target not in known:
                raise ValueError(f"Found edge ending at unknown node `{target}`")
        for source, branches in self.branches.items():
            if source != START and source not in known:
                raise ValueError(f"Found conditional edge starting at unknown node '{source}'")
            for branch in branches:
                for target in (branch.path_map or {}).values():
                    if target != END and target not in known:
                        raise ValueError(
                            f"At '{source}' node, 'path_map' has unknown node '{target}'"
                        )
        if not any(START in s for s, _ in self.edges) and START not in self.branches:
            raise ValueError(
                "Graph must have an entrypoint: add at least one edge from START to another node"
            )
        for breakpoints in (before, after):
            if breakpoints is None or breakpoints == "*":
                continue
            for node in breakpoints:
                if node not in known:
                    raise ValueError(f"Interrupt node `{node}` not found")


class CompiledGraph:
    """A graph ready to be served by a worker (`tempograph.create_worker`)."""

    def __init__(
        self,
        builder: StateGraph,
        interrupt_before: Breakpoints,
        interrupt_after: Breakpoints,
        name: str | None,
        local_activities: bool = False,
    ) -> None:
        self.builder = builder
        self.local_activities = local_activities
        self.name = name or "graph"
        self.state_schema = builder.state_schema
        self.context_schema: type[Any] | None = getattr(builder, "context_schema", None)
        self.channels = {c.name: c for c in builder.channels}
        self.reducers: dict[str, Callable[[Any, Any], Any]] = _reducers_of(builder.state_schema)
        # Keys merged by add_messages: nodes see LangChain message objects there (when
        # langchain-core is installed); history holds their serialized dicts.
        self.message_channels = frozenset(
            key for key, reducer in self.reducers.items() if is_message_reducer(reducer)
        )
        self.interrupt_before = interrupt_before
        self.interrupt_after = interrupt_after
        self.notify: str | None = None  # compile(notify=URL)

    def spec(self, name: str) -> GraphSpec:
        """The topology as data, under the name the worker serves it by."""
        b = self.builder
        nodes = [
            n.spec.model_copy(
                update={
                    "has_router": node in b.branches,
                    "subgraph": f"{name}/{node}" if isinstance(n.fn, CompiledGraph) else None,
                    # A subgraph node is a child workflow, never an activity.
                    "local_activity": not isinstance(n.fn, CompiledGraph)
                    and (
                        n.local_activity if n.local_activity is not None else self.local_activities
                    ),
                }
            )
            for node, n in b.nodes.items()
        ]
        return GraphSpec(
            name=name,
            nodes=nodes,
            channels=list(b.channels),
            edges=[EdgeSpec(sources=list(s), target=t) for s, t in b.edges],
            start_has_router=START in b.branches,
            interrupt_before=self.interrupt_before,
            interrupt_after=self.interrupt_after,
            notify=self.notify,
        )

    def node_fn(self, node: str) -> NodeLike:
        return self.builder.nodes[node].fn

    def subgraphs(self, name: str) -> dict[str, CompiledGraph]:
        """Compiled graphs used as nodes, by the name the worker serves them under
        ("<graph>/<node>", recursively): each runs as a child GraphRun."""
        found: dict[str, CompiledGraph] = {}
        for node, n in self.builder.nodes.items():
            if isinstance(n.fn, CompiledGraph):
                found[f"{name}/{node}"] = n.fn
                found.update(n.fn.subgraphs(f"{name}/{node}"))
        return found

    def branches(self, source: str) -> list[_Branch]:
        return self.builder.branches.get(source, [])

    def coerce_state(self, values: dict[str, Any]) -> Any:
        """The state as a node expects it: a model instance for pydantic schemas, else a dict."""
        schema = self.state_schema
        values = self.with_message_objects(values)
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return schema.model_validate(values)
        if dataclasses.is_dataclass(schema) and isinstance(schema, type):
            return schema(**values)
        return dict(values)

    def with_message_objects(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` with the message channels' dicts as LangChain message objects."""
        if not self.message_channels:
            return values
        out = dict(values)
        for key in self.message_channels:
            if isinstance(out.get(key), list):
                out[key] = to_message_objects(out[key])
        return out

    def get_graph(self) -> Any:
        return self.builder


def route(
    branch: _Branch, state: Any, injected: dict[str, Any] | None = None
) -> tuple[list[str], list[Send]]:
    """Run one router and resolve its answer to node names and Sends. `injected`: what a
    router may take besides the state, by kind ("config", "runtime"...; see call_args)."""
    args, kwargs = call_args(branch.path, state, injected or {})
    answer = branch.path(*args, **kwargs)
    items = answer if isinstance(answer, list | tuple) else [answer]
    goto: list[str] = []
    sends: list[Send] = []
    for item in items:
        if isinstance(item, Send):
            sends.append(item)
            continue
        target = branch.path_map[item] if branch.path_map is not None else item
        if not isinstance(target, str):
            raise ValueError(f"Router returned {item!r}: expected a node name or Send")
        goto.append(target)
    return goto, sends


# What a node (or router) may take besides its state, as in LangGraph 1.x: by parameter name,
# or by annotation (`runtime: Runtime[Ctx]`, `config: RunnableConfig`).
_KIND_BY_NAME = {"config": "config", "runtime": "runtime", "writer": "writer", "store": "store"}
_KIND_BY_ANNOTATION = {
    "Runtime": "runtime",
    "RunnableConfig": "config",
    "StreamWriter": "writer",
    "BaseStore": "store",
}


def call_args(
    fn: Callable[..., Any], first: Any, injected: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The arguments to call `fn` with: `first` (the state), then each further parameter
    `fn` declares, from `injected` ({kind: value}, kinds "config", "runtime", "writer",
    "store")."""
    args: list[Any] = [first]
    kwargs: dict[str, Any] = {}
    for name, kind, positional in injected_params(fn):
        if kind not in injected:
            continue
        if positional:
            args.append(injected[kind])
        else:
            kwargs[name] = injected[kind]
    return args, kwargs


def injected_params(fn: Callable[..., Any]) -> tuple[tuple[str, str, bool], ...]:
    """(name, kind, positional-only) of the parameters after the first that Tempograph fills."""
    try:
        return _injected_params_cached(fn)
    except TypeError:  # an unhashable callable object
        return _injected_params(fn)


@functools.lru_cache(maxsize=4096)
def _injected_params_cached(fn: Callable[..., Any]) -> tuple[tuple[str, str, bool], ...]:
    return _injected_params(fn)


def _injected_params(fn: Callable[..., Any]) -> tuple[tuple[str, str, bool], ...]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return ()
    try:
        hints = get_type_hints(fn)
    except Exception:  # unresolvable string annotations: read them as text
        hints = {}
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    found: list[tuple[str, str, bool]] = []
    for index, p in enumerate(params[1:]):
        if p.kind not in (*kinds, inspect.Parameter.KEYWORD_ONLY):
            continue
        kind = _kind_of_annotation(hints.get(p.name, p.annotation)) or _KIND_BY_NAME.get(p.name)
        if kind is None and index == 0 and p.kind in kinds and p.default is p.empty:
            kind = "config"  # a second positional parameter, whatever its name: (state, config)
        if kind is None:
            if p.kind == inspect.Parameter.POSITIONAL_ONLY:
                break  # cannot pass the ones after it
            continue
        found.append((p.name, kind, p.kind == inspect.Parameter.POSITIONAL_ONLY))
    return tuple(found)


def _kind_of_annotation(annotation: Any) -> str | None:
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        text = annotation
    else:
        origin = get_origin(annotation) or annotation
        text = getattr(origin, "__name__", "") or str(origin)
    for name, kind in _KIND_BY_ANNOTATION.items():
        if text == name or text.startswith(name + "[") or text.endswith("." + name):
            return kind
    return None


def accepts_config(fn: Callable[..., Any]) -> bool:
    """True when a node takes a second (config) parameter, as LangGraph nodes may."""
    try:
        return _accepts_config_cached(fn)
    except TypeError:  # an unhashable callable object
        return _accepts_config(fn)


@functools.lru_cache(maxsize=4096)
def _accepts_config_cached(fn: Callable[..., Any]) -> bool:
    return _accepts_config(fn)


def _accepts_config(fn: Callable[..., Any]) -> bool:
    try:
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return False
    return len(params) >= 2


def _annotations(schema: type[Any]) -> dict[str, Any]:
    return get_type_hints(schema, include_extras=True)


def _reducers_of(schema: type[Any]) -> dict[str, Callable[[Any, Any], Any]]:
    reducers: dict[str, Callable[[Any, Any], Any]] = {}
    for key, hint in _annotations(schema).items():
        if get_origin(hint) is typing.Annotated:
            for meta in get_args(hint)[1:]:
                if callable(meta) and not isinstance(meta, type):
                    reducers[key] = meta
    return reducers


def _channels_of(schema: type[Any]) -> list[ChannelSpec]:
    reducers = _reducers_of(schema)
    channels: list[ChannelSpec] = []
    for key, hint in _annotations(schema).items():
        if key.startswith("_"):
            continue
        reducer = reducers.get(key)
        if reducer is None:
            channels.append(ChannelSpec(name=key))
            continue
        base = get_args(hint)[0]
        origin = get_origin(base) or base
        has_initial = origin in (list, dict, str, int, float)
        channels.append(
            ChannelSpec(
                name=key,
                reducer=builtin_name(reducer) or "custom",
                has_initial=has_initial,
                initial=origin() if has_initial else None,
            )
        )
    return channels


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
