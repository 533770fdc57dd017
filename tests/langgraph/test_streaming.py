"""LLM tokens from an unchanged LangGraph node (a chat model called inside it) reach a client
that streams "messages", as they do from LangGraph's own astream: chunks with the node's
langgraph_* metadata, one id per model call, and that id is the stored message's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from langchain_core.messages import AIMessageChunk
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tests.langgraph.lg_graphs import build_chat

TASK_QUEUE = "langgraph-streaming"
QUESTION = {"messages": [{"role": "user", "content": "hi"}]}


@pytest_asyncio.fixture(scope="module")
async def gc(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, {"lg_chat": build_chat().compile()}, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


async def reference_tokens() -> list[tuple[Any, dict[str, Any]]]:
    """LangGraph's in-process astream of the same graph."""
    graph = build_chat().compile()
    return [part async for part in graph.astream(QUESTION, stream_mode="messages")]  # type: ignore[misc]


async def test_tokens_of_a_langgraph_node_stream_with_its_metadata(gc: GraphClient) -> None:
    thread = f"lg-{uuid.uuid4().hex[:12]}"
    parts = [
        part
        async for part in gc.stream(
            "lg_chat", QUESTION, thread_id=thread, stream_mode=["messages", "updates"]
        )
    ]
    tokens = [(m, meta) for kind, (m, meta) in _pairs(parts, "messages")]
    chunks = [m for m, _ in tokens if m["type"] == "AIMessageChunk"]
    expected = [m for m, _ in await reference_tokens() if isinstance(m, AIMessageChunk)]
    assert [c["content"] for c in chunks] == [e.content for e in expected]
    assert "".join(c["content"] for c in chunks) == "hello big world"
    [chunk_id] = {c["id"] for c in chunks}
    for _, meta in tokens:
        assert meta["langgraph_node"] == "chat" and meta["thread_id"] == thread
        assert meta["langgraph_triggers"] == ["branch:to:chat"]
    # The tokens come before the node's update, and the message is not sent again whole.
    kinds = [kind for kind, _ in parts]
    assert kinds.index("messages") < kinds.index("updates")
    assert all(m["type"] == "AIMessageChunk" for m, _ in tokens)

    state = await gc.get_state(thread)
    stored = state.values["messages"][-1]
    assert stored["content"] == "hello big world" and stored["id"] == chunk_id


def _pairs(parts: list[Any], mode: str) -> list[tuple[str, Any]]:
    return [(kind, data) for kind, data in parts if kind == mode]
