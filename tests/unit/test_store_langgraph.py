"""tempograph.store.langgraph: a tempograph store behind LangGraph's BaseStore API (what
LangGraph code types its `store` with), its methods and its errors."""

from __future__ import annotations

import pytest
from langgraph.store.base import BaseStore as LangGraphBaseStore
from langgraph.store.base import InvalidNamespaceError, Item, SearchItem

from tempograph.store import NotSupportedError, SqliteStore
from tempograph.store.langgraph import as_langgraph_store


async def test_langgraph_methods_run_on_the_tempograph_store() -> None:
    inner = SqliteStore(":memory:")
    store = as_langgraph_store(inner)
    assert isinstance(store, LangGraphBaseStore)
    assert as_langgraph_store(store) is store  # type: ignore[arg-type]

    store.put(("users", "u1"), "prefs", {"theme": "dark"}, ttl=5)
    item = store.get(("users", "u1"), "prefs")
    assert isinstance(item, Item) and item.value == {"theme": "dark"}
    assert inner.get(("users", "u1"), "prefs") is not None  # the same rows
    [hit] = store.search(("users",), filter={"theme": "dark"})
    assert isinstance(hit, SearchItem) and hit.key == "prefs" and hit.score is None
    assert store.list_namespaces(prefix=("users",)) == [("users", "u1")]
    assert store.list_namespaces(suffix=("u1",), max_depth=1) == [("users",)]

    await store.aput(("users", "u2"), "prefs", {"theme": "light"})
    got = await store.aget(("users", "u2"), "prefs")
    assert got is not None and got.value == {"theme": "light"}
    assert len(await store.asearch(("users",))) == 2
    await store.adelete(("users", "u2"), "prefs")
    assert await store.aget(("users", "u2"), "prefs") is None
    store.delete(("users", "u1"), "prefs")
    assert store.list_namespaces() == []

    with pytest.raises(InvalidNamespaceError):
        store.put(("a.b",), "k", {})  # LangGraph's own check first
    with pytest.raises(NotSupportedError, match="semantic search"):
        store.search(("users",), query="dark themes")
