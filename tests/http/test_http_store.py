"""The store through the real langgraph-sdk (0.4.14) on both backends: client.store.put_item /
get_item / search_items / list_namespaces / delete_item against /store, a graph whose nodes
read and write the same store (runtime.store, a `store` parameter, get_store()) run by a
worker on the session's Temporal dev server, TTLs, and the refusals (4xx naming the field)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, TypedDict

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.config import get_store
from tempograph.graph import END, START, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.runtime import Runtime
from tempograph.store import MAX_VALUE_BYTES, BaseStore, PostgresStore, SqliteStore
from tests.postgres_cluster import fresh_database

QUEUE = "tempograph-store-tests"


class MemoryState(TypedDict, total=False):
    user: str
    note: str
    previous: str | None
    found: list[list[str]]
    visits: int


def remember(state: MemoryState, runtime: Runtime[Any]) -> dict[str, Any]:
    """A sync node: runtime.store (LangGraph's way)."""
    assert runtime.store is not None
    ns = ("memories", state["user"])
    before = runtime.store.get(ns, "last")
    runtime.store.put(ns, "last", {"note": state["note"]})
    return {"previous": None if before is None else before.value["note"]}


async def recall(state: MemoryState, store: BaseStore) -> dict[str, Any]:
    """An async node taking a `store` parameter."""
    items = await store.asearch(("memories",), filter={"note": state["note"]}, limit=100)
    return {"found": sorted([*i.namespace, i.key] for i in items)}


def count_visit(state: MemoryState) -> dict[str, Any]:
    """get_store(), as langgraph.config.get_store()."""
    store = get_store()
    item = store.get(("visits",), state["user"])
    visits = (item.value["n"] if item else 0) + 1
    store.put(("visits",), state["user"], {"n": visits})
    return {"visits": visits}


def memory_graph() -> Any:
    g = StateGraph(MemoryState)
    g.add_node("remember", remember)
    g.add_node("recall", recall)
    g.add_node("count_visit", count_visit)
    g.add_edge(START, "remember")
    g.add_edge("remember", "recall")
    g.add_edge("recall", "count_visit")
    g.add_edge("count_visit", END)
    return g.compile()


@pytest_asyncio.fixture(scope="module")
async def store_worker(client: Client) -> AsyncIterator[None]:
    async with create_worker(client, {"memory": memory_graph()}, task_queue=QUEUE):
        yield


@pytest.fixture(params=["sqlite", "postgres"])
def store_uri(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The store of this test, named by TEMPOGRAPH_STORE_URI: the worker's nodes (in this
    process) and the HTTP app both open it from there."""
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path}/store.sqlite"
    else:
        uri = fresh_database(request.getfixturevalue("postgres_uri"))
    monkeypatch.setenv("TEMPOGRAPH_STORE_URI", uri)
    yield uri


@pytest_asyncio.fixture
async def url(client: Client, store_worker: None, store_uri: str) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=QUEUE), ["memory"])
    expected = SqliteStore if store_uri.startswith("sqlite") else PostgresStore
    assert isinstance(app.state.store, expected)
    async with serve(app) as base:
        yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


def status_of(exc: BaseException) -> int:
    assert isinstance(exc, httpx.HTTPStatusError)
    return exc.response.status_code


async def test_sdk_store_methods_and_nodes_share_the_store(sdk: LangGraphClient) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    await sdk.store.put_item(["memories", user], "last", {"note": "earlier"})
    item = await sdk.store.get_item(["memories", user], "last")
    assert item["namespace"] == ["memories", user] and item["key"] == "last"
    assert item["value"] == {"note": "earlier"}
    assert item["created_at"] == item["updated_at"]

    # A run: its nodes read what the SDK put, and write what the SDK then reads.
    out = await sdk.runs.wait(None, "memory", input={"user": user, "note": "hello"})
    assert isinstance(out, dict)
    assert out["previous"] == "earlier"
    assert out["found"] == [["memories", user, "last"]]
    assert out["visits"] == 1
    after = await sdk.store.get_item(["memories", user], "last")
    assert after["value"] == {"note": "hello"}
    assert after["created_at"] == item["created_at"] and after["updated_at"] > item["updated_at"]
    visits = await sdk.store.get_item(["visits"], user)
    assert visits["value"] == {"n": 1}
    again = await sdk.runs.wait(None, "memory", input={"user": user, "note": "hello"})
    assert isinstance(again, dict) and again["previous"] == "hello" and again["visits"] == 2

    # search: prefix, filter, pages; every item has a score (null: no semantic search).
    await sdk.store.put_item(["memories", "other"], "last", {"note": "bye"})
    found = await sdk.store.search_items(["memories"], limit=10)
    assert {(*i["namespace"], i["key"]) for i in found["items"]} == {
        ("memories", user, "last"),
        ("memories", "other", "last"),
    }
    assert all(i["score"] is None for i in found["items"])
    hello = await sdk.store.search_items(["memories"], filter={"note": "hello"})
    assert [i["namespace"] for i in hello["items"]] == [["memories", user]]
    page = await sdk.store.search_items(["memories"], limit=1, offset=1)
    assert len(page["items"]) == 1
    assert page["items"][0]["key"] == "last"

    spaces = await sdk.store.list_namespaces()
    assert spaces["namespaces"] == [["memories", "other"], ["memories", user], ["visits"]]
    assert (await sdk.store.list_namespaces(prefix=["memories"], max_depth=1))["namespaces"] == [
        ["memories"]
    ]
    assert (await sdk.store.list_namespaces(suffix=["other"]))["namespaces"] == [
        ["memories", "other"]
    ]

    await sdk.store.delete_item(["memories", user], "last")
    assert await sdk.store.get_item(["memories", user], "last") is None  # null, as the server


async def test_ttl_through_the_sdk(sdk: LangGraphClient) -> None:
    await sdk.store.put_item(["ttl"], "short", {"v": 1}, ttl=0.05)  # 3 s
    await sdk.store.put_item(["ttl"], "kept", {"v": 2})
    assert (await sdk.store.get_item(["ttl"], "short", refresh_ttl=False))["value"] == {"v": 1}
    await asyncio.sleep(3.5)
    assert await sdk.store.get_item(["ttl"], "short") is None
    assert [i["key"] for i in (await sdk.store.search_items(["ttl"]))["items"]] == ["kept"]


async def test_info_says_the_store_is_served(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        info = (await http.get("/info")).json()
    assert info["flags"]["store"] is True


REFUSALS: list[tuple[str, str, Any, int, str]] = [
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "index": ["t"]},
     422, "index"),
    ("PUT", "/store/items", {"namespace": ["a.b"], "key": "k", "value": {}}, 422, "periods"),
    ("PUT", "/store/items", {"namespace": ["a", ""], "key": "k", "value": {}}, 422, "empty"),
    ("PUT", "/store/items", {"namespace": [], "key": "k", "value": {}}, 422, "empty"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "", "value": {}}, 422, "key"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": [1]}, 422, "value"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "ttl": -1},
     422, "ttl"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "extra": 1},
     422, "extra"),
    ("PUT", "/store/items",
     {"namespace": ["a"], "key": "k", "value": {"x": "y" * MAX_VALUE_BYTES}}, 413, "value"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a"], "query": "hi"}, 422, "query"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a"], "limit": 0}, 422, "limit"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a"], "limit": "5"}, 422, "limit"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "ttl": True},
     422, "ttl"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a"], "offset": -1}, 422, "offset"),
    ("POST", "/store/items/search",
     {"namespace_prefix": ["a"], "filter": {"x": {"$in": [1]}}}, 422, "filter"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a.b"]}, 422, "periods"),
    ("POST", "/store/namespaces", {"prefix": ["a.b"]}, 422, "periods"),
    ("POST", "/store/namespaces", {"max_depth": 0}, 422, "max_depth"),
    ("POST", "/store/namespaces", {"limit": 5000}, 422, "limit"),
    ("DELETE", "/store/items", {"namespace": ["a.b"], "key": "k"}, 422, "periods"),
    ("GET", "/store/items?namespace=a", None, 400, "Key is required"),
    ("GET", "/store/items?namespace=a..b&key=k", None, 422, "empty"),
    ("GET", "/store/items?namespace=a&key=k&refresh_ttl=maybe", None, 422, "refresh_ttl"),
    ("GET", "/store/items?namespace=a&key=k&other=1", None, 422, "other"),
]  # fmt: skip


async def test_refusals_name_the_field(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await http.put("/store/items", json={"namespace": ["a"], "key": "k", "value": {"v": 1}})
        for method, path, body, status, text in REFUSALS:
            answer = await http.request(method, path, json=body)
            assert answer.status_code == status, (method, path, body, answer.text)
            assert text in answer.text, (method, path, body, answer.text)
        kept = await http.get("/store/items", params={"namespace": "a", "key": "k"})
        assert kept.json()["value"] == {"v": 1}  # nothing changed


async def test_the_sdk_refuses_a_query_with_the_servers_422(sdk: LangGraphClient) -> None:
    with pytest.raises(httpx.HTTPStatusError) as raised:
        await sdk.store.search_items(["docs"], query="about cats")
    assert status_of(raised.value) == 422
    assert "semantic search is not supported" in raised.value.response.text


@pytest.mark.parametrize(
    "store",
    [
        "postgresql://nobody@/nodb?host=/nonexistent-socket-dir&port=1&connect_timeout=2",
        "sqlite:////proc/no-such-folder/store.sqlite",
    ],
)
async def test_an_unreachable_database_is_503(client: Client, store: str) -> None:
    from tempograph.store import open_store

    app = create_app(GraphClient(client, task_queue=QUEUE), ["memory"], store=open_store(store))
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        answer = await http.get("/store/items", params={"namespace": "a", "key": "k"})
        assert answer.status_code == 503, answer.text
        assert "store's database is unavailable" in answer.json()["detail"]
        put = await http.put("/store/items", json={"namespace": ["a"], "key": "k", "value": {}})
        assert put.status_code == 503, put.text
