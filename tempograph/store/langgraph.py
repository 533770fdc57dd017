"""A tempograph store as a LangGraph store: `as_langgraph_store(store)` is a
`langgraph.store.base.BaseStore` (what LangGraph code checks with isinstance, or types its
`store` parameters with) that runs every operation on `store`. Needs the `langgraph` extra.

    from tempograph.store import default_store
    from tempograph.store.langgraph import as_langgraph_store

    graph = builder.compile(store=as_langgraph_store(default_store()))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

try:
    from langgraph.store import base as lg
except ImportError:  # pragma: no cover - the message is the point
    raise ImportError(
        "tempograph.store.langgraph needs LangGraph: pip install 'tempograph-hitl[langgraph]'"
    ) from None

from tempograph.store.base import (
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    SearchItem,
    SearchOp,
)

__all__ = ["LangGraphStore", "as_langgraph_store"]


class LangGraphStore(lg.BaseStore):
    """LangGraph's BaseStore over a tempograph store (`store`)."""

    supports_ttl = True

    def __init__(self, store: BaseStore) -> None:
        self.store = store
        self.ttl_config = store.ttl_config  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LangGraphStore({self.store!r})"

    def batch(self, ops: Iterable[lg.Op]) -> list[lg.Result]:
        return [_result(r) for r in self.store.batch([_op(op) for op in ops])]

    async def abatch(self, ops: Iterable[lg.Op]) -> list[lg.Result]:
        return [_result(r) for r in await self.store.abatch([_op(op) for op in ops])]


def as_langgraph_store(store: BaseStore) -> LangGraphStore:
    return store if isinstance(store, LangGraphStore) else LangGraphStore(store)


def _op(op: Any) -> Op:
    if isinstance(op, lg.GetOp):
        return GetOp(tuple(op.namespace), op.key, op.refresh_ttl)
    if isinstance(op, lg.PutOp):
        return PutOp(tuple(op.namespace), op.key, op.value, op.index, op.ttl)
    if isinstance(op, lg.SearchOp):
        return SearchOp(
            tuple(op.namespace_prefix), op.filter, op.limit, op.offset, op.query, op.refresh_ttl
        )
    if isinstance(op, lg.ListNamespacesOp):
        conditions = (
            None
            if op.match_conditions is None
            else tuple(MatchCondition(c.match_type, tuple(c.path)) for c in op.match_conditions)
        )
        return ListNamespacesOp(conditions, op.max_depth, op.limit, op.offset)
    raise TypeError(f"Unknown LangGraph store operation: {op!r}")


def _item(item: Item) -> lg.Item:
    if isinstance(item, SearchItem):
        return lg.SearchItem(
            item.namespace, item.key, item.value, item.created_at, item.updated_at, item.score
        )
    return lg.Item(
        value=item.value,
        key=item.key,
        namespace=item.namespace,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _result(result: Any) -> Any:
    if isinstance(result, Item):
        return _item(result)
    if isinstance(result, list):
        return [_item(r) if isinstance(r, Item) else r for r in result]
    return result
