"""The runtime of a node, as in `langgraph.runtime`: `Runtime` (`context`, `stream_writer`,
`store`).

A node that takes a parameter named `runtime` (or annotated `Runtime[...]`) receives one. Its
`context` is the invocation's `context` (`GraphClient.invoke(..., context={...})`), turned into
the graph's `context_schema` (`StateGraph(State, context_schema=Ctx)`: a dataclass or a pydantic
model is built from the dict, keys it does not have are left out; a TypedDict stays a dict);
None when the invocation passed none. Its `store` is the worker's store (tempograph.store: the
database named by TEMPOGRAPH_STORE_URI, by default the SQLite file .tempograph/store.sqlite),
also given to a node parameter named `store` and answered by `tempograph.config.get_store()`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from tempograph.config import StreamWriter

if TYPE_CHECKING:
    from tempograph.store.base import BaseStore

__all__ = ["Runtime", "get_runtime"]

ContextT = TypeVar("ContextT")


def _no_writer(_: Any) -> None:
    raise RuntimeError("This Runtime has no stream writer (it was not made by a node activity)")


@dataclass(frozen=True)
class Runtime(Generic[ContextT]):
    """What a node gets besides its state: the run's context, the store and its stream
    writer."""

    context: ContextT = None  # type: ignore[assignment]
    store: BaseStore | None = None
    stream_writer: StreamWriter = field(default=_no_writer)
    previous: Any = None


def coerce_context(schema: type[Any] | None, context: dict[str, Any] | None) -> Any:
    """The invocation's context dict as the graph's context_schema (LangGraph's _coerce_context;
    like the Agent Server, keys the schema does not have are left out of a dataclass)."""
    if context is None or schema is None or not isinstance(schema, type):
        return context
    if issubclass(schema, BaseModel):
        return schema.model_validate(context)
    if dataclasses.is_dataclass(schema):
        names = {f.name for f in dataclasses.fields(schema) if f.init}
        return schema(**{k: v for k, v in context.items() if k in names})
    return context


def get_runtime(context_schema: type[ContextT] | None = None) -> Runtime[ContextT]:
    """The Runtime of the node running now (LangGraph's get_runtime)."""
    from tempograph.config import _runtime

    runtime = _runtime.get()
    if runtime is None:
        raise RuntimeError("Called get_runtime outside of a runnable context (a node)")
    return runtime
