"""The store through LangGraph's JavaScript SDK (`@langchain/langgraph-sdk`, tests/js/
store_tour.mjs): items put, read, searched, listed and deleted, and a run whose nodes use the
same store (the SQLite default here; both backends are covered in Python by
test_http_store.py). Needs node and npm, as test_js_sdk.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.store import open_store
from tests.http.test_http_store import memory_graph
from tests.http.test_js_sdk import _run_script, node  # noqa: F401 - the node fixture

QUEUE = "js-sdk-store"


@pytest_asyncio.fixture
async def url(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    uri = f"sqlite:///{tmp_path}/js.sqlite"
    monkeypatch.setenv("TEMPOGRAPH_STORE_URI", uri)
    async with create_worker(client, {"memory": memory_graph()}, task_queue=QUEUE):
        app = create_app(GraphClient(client, task_queue=QUEUE), ["memory"], store=open_store(uri))
        async with serve(app) as base:
            yield base


async def test_store_through_the_js_sdk(
    node: str,  # noqa: F811 - the fixture imported above
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = f"js{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("STORE_USER", user)
    seen = await _run_script(node, url, "store_tour.mjs")
    assert seen["put"]["value"] == {"note": "from js"}
    assert seen["put"]["namespace"] == ["memories", user]
    assert seen["put"]["createdAt"] == seen["put"]["created_at"]
    assert seen["run"]["previous"] == "from js"
    assert seen["run"]["found"] == [["memories", user, "last"]]
    assert seen["after"]["value"] == {"note": "hello js"}
    assert [i["key"] for i in seen["search"]["items"]] == ["last"]
    assert seen["search"]["items"][0]["score"] is None
    assert seen["namespaces"] == {"namespaces": [["memories", user]]}
    assert seen["deleted"] is None
    assert seen["query"]["status"] == 422
    assert "semantic search" in seen["query"]["message"]
