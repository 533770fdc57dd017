"""A review of /store as a hostile user would use it, through the real langgraph-sdk and raw
HTTP: the store's default TTL on items put without one, offsets past any database integer,
repeated query parameters, and a search answer too large to read (4xx naming the field, never
a 500 nor a silently ignored part of the request)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from temporalio.client import Client
from temporalio.common import RetryPolicy

from tempograph import GraphClient, create_worker
from tempograph.errors import GraphRunError
from tempograph.graph import END, START, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.store import MAX_SEARCH_BYTES, MAX_VALUE_BYTES, BaseStore, SqliteStore, TTLConfig
from tempograph.store._sql import SqlStore
from tests.postgres_cluster import fresh_database

QUEUE = "tempograph-store-review"


class Clock:
    def __init__(self, store: SqlStore) -> None:
        self.now = 1_800_000_000.0
        store.clock = lambda: self.now


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqlStore:
    from tempograph.store import PostgresStore

    ttl = TTLConfig(default_ttl=1.0)
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "store.sqlite", ttl=ttl)
    return PostgresStore(fresh_database(request.getfixturevalue("postgres_uri")), ttl=ttl)


@pytest_asyncio.fixture
async def url(client: Client, store: SqlStore) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=QUEUE), ["memory"], store=store)
    async with serve(app) as base:
        yield base
    store.close()


async def test_an_item_put_without_ttl_gets_the_stores_default_ttl(
    url: str, store: SqlStore
) -> None:
    """The route passed ttl=None ("never expires") when the body had none, so a store made with
    ttl={"default_ttl": ...} (create_app(store=...)) kept every item put over HTTP forever. As
    the Agent Server: no ttl -> the store's default; the SDK never sends ttl=None."""
    clock = Clock(store)
    sdk = get_client(url=url, api_key=None)
    try:
        await sdk.store.put_item(["mem"], "sdk", {"v": 1})
        async with httpx.AsyncClient(base_url=url) as http:
            put = await http.put(
                "/store/items", json={"namespace": ["mem"], "key": "raw", "value": {}}
            )
            assert put.status_code == 204, put.text
            kept = await http.put(
                "/store/items", json={"namespace": ["mem"], "key": "long", "value": {}, "ttl": 10}
            )
            assert kept.status_code == 204, kept.text
        clock.now += 30  # half the default TTL: still there, and not refreshed by this read
        assert await sdk.store.get_item(["mem"], "sdk", refresh_ttl=False) is not None
        clock.now += 45
        assert await sdk.store.get_item(["mem"], "sdk") is None
        assert await sdk.store.get_item(["mem"], "raw") is None
        assert await sdk.store.get_item(["mem"], "long") is not None
    finally:
        await sdk.aclose()


async def test_offsets_past_a_database_integer_are_422(url: str) -> None:
    """offset=10**30 reached SQLite (OverflowError: a 500) and PostgreSQL (a bigint error)."""
    async with httpx.AsyncClient(base_url=url) as http:
        for path in ("/store/items/search", "/store/namespaces"):
            for body in ({"offset": 10**30}, {"offset": 2**63}):
                answer = await http.post(path, json=body)
                assert answer.status_code == 422, (path, body, answer.text)
                assert answer.json()["detail"].startswith("offset"), answer.text
        ok = await http.post("/store/items/search", json={"offset": 2**62})
        assert ok.status_code == 200 and ok.json() == {"items": []}


async def test_a_repeated_query_parameter_is_refused(url: str) -> None:
    """GET /store/items?namespace=a&namespace=b&key=k answered for one namespace, ignoring the
    other."""
    async with httpx.AsyncClient(base_url=url) as http:
        for query in (
            "namespace=a&namespace=b&key=k",
            "namespace=a&key=k&key=j",
            "namespace=a&key=k&refresh_ttl=true&refresh_ttl=false",
        ):
            answer = await http.get(f"/store/items?{query}")
            assert answer.status_code == 422, (query, answer.text)
            assert "given more than once" in answer.json()["detail"]


async def test_a_search_answer_too_large_is_422_naming_limit(url: str) -> None:
    big = {"x": "y" * (MAX_VALUE_BYTES - 100)}
    count = MAX_SEARCH_BYTES // MAX_VALUE_BYTES + 2
    sdk = get_client(url=url, api_key=None)
    try:
        for i in range(count):
            await sdk.store.put_item(["huge"], f"k{i}", big, ttl=60)
        with pytest.raises(httpx.HTTPStatusError) as raised:
            await sdk.store.search_items(["huge"], limit=count)
        assert raised.value.response.status_code == 422
        assert raised.value.response.json()["detail"].startswith("limit:")
        assert "ask for fewer" in raised.value.response.text
        found = await sdk.store.search_items(["huge"], limit=count - 4)
        assert len(found["items"]) == count - 4
    finally:
        await sdk.aclose()


class NoteState(TypedDict, total=False):
    note: str
    stored: bool


def store_note(state: NoteState, store: BaseStore) -> dict[str, Any]:
    store.put(("notes",), "last", {"note": state["note"]})
    return {"stored": True}


def note_graph() -> Any:
    g = StateGraph(NoteState)
    g.add_node(
        "store_note",
        store_note,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=2),
    )
    g.add_edge(START, "store_note")
    g.add_edge("store_note", END)
    return g.compile()


async def test_a_node_whose_store_database_is_unreachable_fails_per_its_retry_policy(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose TEMPOGRAPH_STORE_URI names a server that accepts connections and never
    answers: each attempt of the node fails within connect_timeout with a StoreUnavailableError
    naming the store's database (was psycopg's bare "connection timeout expired"), the node is
    retried per its policy, then the run fails with that error (it neither hangs on the
    connection nor retries forever)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        monkeypatch.setenv(
            "TEMPOGRAPH_STORE_URI",
            f"postgresql://u@127.0.0.1:{port}/db?sslmode=disable&connect_timeout=1",
        )
        queue = f"{QUEUE}-unreachable"
        async with create_worker(client, {"notes": note_graph()}, task_queue=queue):
            graphs = GraphClient(client, task_queue=queue)
            thread = f"store-down-{uuid.uuid4().hex[:8]}"
            started = time.monotonic()
            with pytest.raises(GraphRunError, match="store's database") as raised:
                await graphs.invoke("notes", {"note": "hi"}, thread_id=thread)
            elapsed = time.monotonic() - started
    assert f"PostgreSQL 127.0.0.1:{port}/db" in str(raised.value), str(raised.value)
    assert "connection timeout expired" in str(raised.value)
    # 2 attempts, each at most 2 connections of 1 s: well under a minute.
    assert elapsed < 30, elapsed
