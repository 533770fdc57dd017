"""An unchanged LangGraph graph served by Tempograph, compiled with a tempograph store seen
through LangGraph's API (tempograph.store.langgraph.as_langgraph_store): its nodes get it as
LangGraph gives it (a `store: BaseStore` parameter, `runtime.store`, get_store()) and write
the same database /store and Tempograph nodes use."""

from __future__ import annotations

import operator
import uuid
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.config import get_store
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.store import SqliteStore
from tempograph.store.langgraph import as_langgraph_store


class State(TypedDict, total=False):
    user: str
    log: Annotated[list[str], operator.add]


def write(state: State, store: BaseStore) -> dict[str, Any]:
    store.put(("lg", state["user"]), "note", {"by": "write"})
    return {"log": ["write"]}


async def read(state: State, runtime: Runtime[Any]) -> dict[str, Any]:
    assert runtime.store is not None
    item = await runtime.store.aget(("lg", state["user"]), "note")
    get_store().put(("lg", state["user"]), "seen", {"note": None if item is None else item.value})
    return {"log": [f"read={None if item is None else item.value['by']}"]}


async def test_langgraph_nodes_use_the_tempograph_store(client: Client, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "lg.sqlite")
    builder = StateGraph(State)
    builder.add_node("write", write)
    builder.add_node("read", read)
    builder.add_edge(START, "write")
    builder.add_edge("write", "read")
    builder.add_edge("read", END)
    graph = builder.compile(store=as_langgraph_store(store))
    queue = f"lg-store-{uuid.uuid4().hex[:6]}"
    user = f"u{uuid.uuid4().hex[:6]}"
    async with create_worker(client, {"lg": graph}, task_queue=queue):
        out = await GraphClient(client, task_queue=queue).invoke(
            "lg", {"user": user, "log": []}, thread_id=f"t-{uuid.uuid4().hex[:12]}"
        )
    assert out["log"] == ["write", "read=write"]
    seen = store.get(("lg", user), "seen")
    assert seen is not None and seen.value == {"note": {"by": "write"}}
    store.close()


async def test_a_graph_compiled_without_a_store_gets_the_workers(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on the Agent Server, a graph compiled without a store still gets one: the worker's
    (TEMPOGRAPH_STORE_URI), the database /store serves."""
    uri = f"sqlite:///{tmp_path}/worker.sqlite"
    monkeypatch.setenv("TEMPOGRAPH_STORE_URI", uri)
    builder = StateGraph(State)
    builder.add_node("write", write)
    builder.add_node("read", read)
    builder.add_edge(START, "write")
    builder.add_edge("write", "read")
    builder.add_edge("read", END)
    queue = f"lg-store-{uuid.uuid4().hex[:6]}"
    user = f"u{uuid.uuid4().hex[:6]}"
    async with create_worker(client, {"lg": builder.compile()}, task_queue=queue):
        out = await GraphClient(client, task_queue=queue).invoke(
            "lg", {"user": user, "log": []}, thread_id=f"t-{uuid.uuid4().hex[:12]}"
        )
    assert out["log"] == ["write", "read=write"]
    store = SqliteStore(tmp_path / "worker.sqlite")
    seen = store.get(("lg", user), "seen")
    assert seen is not None and seen.value == {"note": {"by": "write"}}
    store.close()


async def test_create_worker_store_reaches_tempograph_nodes(client: Client, tmp_path: Path) -> None:
    """create_worker(store=) is what nodes get, instead of TEMPOGRAPH_STORE_URI's."""
    from tempograph import graph as tg
    from tempograph.config import get_store as tg_get_store

    def remember(state: State) -> dict[str, Any]:
        tg_get_store().put(("tg", state["user"]), "k", {"v": 1})
        return {"log": ["remember"]}

    builder = tg.StateGraph(State)
    builder.add_node("remember", remember)
    builder.add_edge(tg.START, "remember")
    builder.add_edge("remember", tg.END)
    store = SqliteStore(tmp_path / "given.sqlite")
    queue = f"tg-store-{uuid.uuid4().hex[:6]}"
    user = f"u{uuid.uuid4().hex[:6]}"
    async with create_worker(client, {"tg": builder.compile()}, task_queue=queue, store=store):
        await GraphClient(client, task_queue=queue).invoke(
            "tg", {"user": user, "log": []}, thread_id=f"t-{uuid.uuid4().hex[:12]}"
        )
    item = store.get(("tg", user), "k")
    assert item is not None and item.value == {"v": 1}
    store.close()
