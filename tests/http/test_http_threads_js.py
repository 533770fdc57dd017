"""Threads through LangGraph's JavaScript SDK (`@langchain/langgraph-sdk`, tests/js/
threads_tour.mjs): a TTL read back and expiring, supersteps at creation, updateState with a
list of updates, search with select and extract. Needs node and npm, as test_js_sdk.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.http.test_js_sdk import _run_script, node  # noqa: F401 - the node fixture
from tests.sample_graphs import build_chain

QUEUE = "js-sdk-threads"


@pytest_asyncio.fixture
async def url(client: Client) -> AsyncIterator[str]:
    async with create_worker(client, {"chain": build_chain()}, task_queue=QUEUE):
        app = create_app(GraphClient(client, task_queue=QUEUE), ["chain"])
        async with serve(app) as base:
            yield base


async def test_threads_through_the_js_sdk(
    node: str,  # noqa: F811 - the fixture imported above
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THREADS_TAG", uuid.uuid4().hex)
    seen = await _run_script(node, url, "threads_tour.mjs")
    assert seen["ttl"]["strategy"] == "delete" and seen["ttl"]["ttl_minutes"] == 0.04
    assert seen["ttl"]["expires_at"]
    assert seen["supersteps"] == {"values": {"log": ["a", "b"]}, "next": ["c"]}
    assert seen["edited"] == {"values": {"log": ["a", "b", "x", "y"]}, "next": ["c"]}
    assert seen["finished"] == {"log": ["a", "b", "x", "y", "c"]}
    assert seen["search"] == [
        {
            "thread_id": seen["copiedId"],
            "status": "idle",
            "extracted": {"last": "c", "copied": True},
        }
    ]
    assert seen["expired"] is True
