"""What a node can ask about its invocation, as in `langgraph.config`: `get_config()`,
`get_stream_writer()` and `get_store()`.

The node activity sets both for the duration of the node's call (context variables, so they
also work in a sync node's thread and in LangChain Runnables the node calls; routers that run
after the node see them too).

Custom stream events: until the stream modes read them, `get_stream_writer()` records what a
node writes in the node's result (`NodeResult.custom`, in history), in order, at most
MAX_CUSTOM_EVENTS events and MAX_CUSTOM_BYTES bytes (as JSON) per node call. Beyond that, events
are dropped with one warning per node call in the worker's log (a progress stream must not
fail a node). A value that is not JSON-serializable raises TypeError at
the call.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from pydantic_core import to_jsonable_python

if TYPE_CHECKING:
    from tempograph.store.base import BaseStore

__all__ = [
    "MAX_CUSTOM_BYTES",
    "MAX_CUSTOM_EVENTS",
    "RunnableConfig",
    "StreamWriter",
    "get_config",
    "get_store",
    "get_stream_writer",
]

log = structlog.get_logger("tempograph.config")

# LangGraph's RunnableConfig is a TypedDict; a node's config here is a plain dict of that shape.
RunnableConfig = dict[str, Any]
StreamWriter = Callable[[Any], None]

# Per node call: custom events kept in the node's result (which lands in history).
MAX_CUSTOM_EVENTS = 100
MAX_CUSTOM_BYTES = 256 * 1024


@dataclass
class CustomEvents:
    """The custom events of one node call, bounded (see the module docstring)."""

    node: str = ""
    # Set when a client streams the run: events go there, live (the node activity's
    # Publisher, with its own bounds), instead of into the node's result.
    sink: Callable[[Any], None] | None = None
    events: list[Any] = field(default_factory=list)
    size: int = 0
    dropped: int = 0

    def write(self, chunk: Any) -> None:
        try:
            value = to_jsonable_python(chunk)
            size = len(json.dumps(value, separators=(",", ":")))
        except Exception as exc:
            raise TypeError(
                f"A custom stream event must be JSON-serializable: {chunk!r} is not ({exc})"
            ) from exc
        if self.sink is not None:
            self.sink(value)
            return
        if len(self.events) >= MAX_CUSTOM_EVENTS or self.size + size > MAX_CUSTOM_BYTES:
            if not self.dropped:
                log.warning(
                    "custom stream events over the per-node limit are dropped",
                    node=self.node,
                    max_events=MAX_CUSTOM_EVENTS,
                    max_bytes=MAX_CUSTOM_BYTES,
                )
            self.dropped += 1
            return
        self.events.append(value)
        self.size += size


_config: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "tempograph_config", default=None
)
_writer: contextvars.ContextVar[StreamWriter | None] = contextvars.ContextVar(
    "tempograph_stream_writer", default=None
)
# A tempograph.runtime.Runtime (Any: that module imports this one).
_runtime: contextvars.ContextVar[Any] = contextvars.ContextVar("tempograph_runtime", default=None)


def get_config() -> RunnableConfig:
    """The config of the node (or router) running now: `configurable` holds the invocation's
    keys plus `thread_id`; `metadata` holds the invocation's plus `langgraph_node`,
    `langgraph_step`... Outside a node: RuntimeError, as in LangGraph."""
    config = _config.get()
    if config is None:
        raise RuntimeError("Called get_config outside of a runnable context (a node)")
    return config


def get_stream_writer() -> StreamWriter:
    """A writer for custom stream events of the node running now: `writer({"progress": 1})`.

    The events are recorded, in order, in the node's result (history), bounded per node call
    (MAX_CUSTOM_EVENTS, MAX_CUSTOM_BYTES; more are dropped with a warning in the worker's log).
    A value that is not JSON-serializable raises TypeError. Outside a node: RuntimeError."""
    writer = _writer.get()
    if writer is None:
        raise RuntimeError("Called get_stream_writer outside of a runnable context (a node)")
    return writer


def get_store() -> BaseStore:
    """The store of the node (or router) running now (tempograph.store.BaseStore: the worker's
    store, as `runtime.store`). Outside a node: RuntimeError, as in LangGraph."""
    runtime = _runtime.get()
    store = getattr(runtime, "store", None)
    if store is None:
        raise RuntimeError("Called get_store outside of a runnable context (a node)")
    return store


@contextmanager
def node_context(config: dict[str, Any], writer: StreamWriter, runtime: Any) -> Iterator[None]:
    """Used by the node activity: get_config() / get_stream_writer() for the node's call; with
    langchain-core installed, Runnables the node calls inherit `config` (as under LangGraph)."""
    tokens = (_config.set(config), _writer.set(writer), _runtime.set(runtime))
    lc_token = None
    lc_var = _langchain_config_var()
    if lc_var is not None:
        lc_token = lc_var.set(config)
    try:
        yield
    finally:
        if lc_var is not None and lc_token is not None:
            lc_var.reset(lc_token)
        _runtime.reset(tokens[2])
        _writer.reset(tokens[1])
        _config.reset(tokens[0])


def _langchain_config_var() -> contextvars.ContextVar[Any] | None:
    try:
        from langchain_core.runnables.config import var_child_runnable_config
    except ImportError:
        return None
    return var_child_runnable_config
