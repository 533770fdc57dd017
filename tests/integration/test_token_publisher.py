"""A node's live output (LLM tokens, custom events) reaches its run's history as batched
STREAM_SIGNAL events, only when a client streams the run (issue 12, "Streaming")."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tempograph import create_worker
from tempograph._activities.publisher import MAX_BATCH_BYTES, MAX_CALL_BYTES
from tempograph.config import get_stream_writer
from tempograph.graph import START, MessagesState, StateGraph
from tempograph.messages import STREAM_SIGNAL, NodeResult, RunInput, StreamBatch

TASK_QUEUE = "token-publisher"
ANSWER = "hello big wide world"
LONG = " ".join(f"w{i}" for i in range(300))


def _model(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(text)]))


def agent(state: MessagesState) -> dict[str, Any]:
    get_stream_writer()({"progress": "thinking"})
    return {"messages": [_model(ANSWER).invoke(state["messages"])]}


async def async_agent(state: MessagesState) -> dict[str, Any]:
    reply = await _model(ANSWER).ainvoke(state["messages"])
    quiet = await _model("not streamed").with_config(tags=["nostream"]).ainvoke([])
    return {"messages": [reply, quiet]}


async def chatty(state: MessagesState) -> dict[str, Any]:
    model = _model(LONG)
    chunks = []
    async for chunk in model.astream(state["messages"]):
        chunks.append(chunk)
        await asyncio.sleep(0.002)
    return {"messages": [AIMessage(LONG, id=chunks[0].id)]}


def flood(count: int) -> Any:
    def node(state: MessagesState) -> dict[str, Any]:
        writer = get_stream_writer()
        for i in range(count):
            writer({"i": i, "pad": "x" * 680})
        return {}

    return node


def _graph(node: Any) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("agent", node)
    builder.add_edge(START, "agent")
    return builder.compile()


GRAPHS = {
    "tok_sync": _graph(agent),
    "tok_async": _graph(async_agent),
    "tok_long": _graph(chatty),
    "flood_2000": _graph(flood(2000)),
    "flood_5000": _graph(flood(5000)),
}


@pytest_asyncio.fixture(scope="module")
async def tq(client: Client) -> AsyncIterator[str]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield TASK_QUEUE


async def _run(client: Client, graph: str, stream: bool) -> tuple[list[StreamBatch], NodeResult]:
    """Run `graph` to its end; its stream batches and its node's result, from history."""
    thread = f"tok-{uuid.uuid4().hex[:10]}"
    run = RunInput(graph=graph, input={"messages": [("user", "hi")]}, stream=stream)
    handle = await client.start_workflow("GraphRun", run, id=thread, task_queue=TASK_QUEUE)
    await handle.result()
    converter = client.data_converter
    batches: list[StreamBatch] = []
    results: list[NodeResult] = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attrs = event.workflow_execution_signaled_event_attributes
            assert attrs.signal_name == STREAM_SIGNAL
            [batch] = await converter.decode(list(attrs.input.payloads), [StreamBatch])
            assert not results, "a batch arrived after the node's result"
            batches.append(batch)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attrs_c = event.activity_task_completed_event_attributes
            [result] = await converter.decode(list(attrs_c.result.payloads), [NodeResult])
            results.append(result)
    [result] = [r for r in results if r.node == "agent" or r.writes] or results
    return batches, result


async def test_tokens_and_custom_events_are_published_in_order(client: Client, tq: str) -> None:
    batches, result = await _run(client, "tok_sync", stream=True)
    assert [b.seq for b in batches] == list(range(len(batches)))
    items = [item for b in batches for item in b.items]
    assert items[0].kind == "custom" and items[0].value == {"progress": "thinking"}
    assert result.custom == []  # streamed live instead
    start = items[1]
    assert start.kind == "model_start"
    assert start.value["name"] == "GenericFakeChatModel"
    assert start.value["id"] == f"lc_run--{start.value['run_id']}"
    assert start.value["metadata"]["ls_model_type"] == "chat"
    chunks = [i.value for i in items if i.kind == "chunk"]
    assert "".join(c["content"] for c in chunks) == ANSWER
    assert all("id" not in c and "type" not in c for c in chunks)  # compact: readers rebuild
    assert items[-1].kind == "model_end"
    # The stored message is the streamed one (same id).
    [(channel, messages)] = result.writes
    assert channel == "messages" and messages[0]["id"] == start.value["id"]
    assert {b.node for b in batches} == {"agent"} and batches[0].step == 0


async def test_async_node_and_nostream_tag(client: Client, tq: str) -> None:
    batches, _ = await _run(client, "tok_async", stream=True)
    items = [item for b in batches for item in b.items]
    assert [i.kind for i in items if i.kind != "chunk"] == ["model_start", "model_end"]
    assert "".join(i.value["content"] for i in items if i.kind == "chunk") == ANSWER


async def test_nothing_is_published_when_no_client_streams(client: Client, tq: str) -> None:
    batches, result = await _run(client, "tok_sync", stream=False)
    assert batches == []
    assert result.custom == [{"progress": "thinking"}]


async def test_tokens_are_batched(client: Client, tq: str) -> None:
    batches, _ = await _run(client, "tok_long", stream=True)
    chunks = [i.value["content"] for b in batches for i in b.items if i.kind == "chunk"]
    assert "".join(chunks) == LONG  # every token, once, in order
    # ~600 chunks over more than a second: at most ~one batch per 100 ms, never one per token.
    assert len(batches) <= len(chunks) / 5, (len(batches), len(chunks))
    assert len(batches[0].items) <= 2  # the first token left at once (model_start + chunk)


async def test_a_flood_of_custom_events_is_cut_into_bounded_batches(
    client: Client, tq: str
) -> None:
    # 2,000 events of ~700 B written as fast as a thread can: ~1.4 MB, all delivered, in order,
    # in batches of at most MAX_BATCH_BYTES (a batch once grew past Temporal's 2 MiB limit and
    # was refused: events lost).
    batches, _ = await _run(client, "flood_2000", stream=True)
    values = [i.value["i"] for b in batches for i in b.items]
    assert values == list(range(2000))
    sizes = [len(b.model_dump_json()) for b in batches]
    assert max(sizes) <= MAX_BATCH_BYTES, sizes


async def test_live_output_past_the_per_call_limit_is_dropped_not_failed(
    client: Client, tq: str
) -> None:
    # ~3.5 MB: the first MAX_CALL_BYTES arrive, in order; the rest is dropped; the node succeeds.
    batches, _ = await _run(client, "flood_5000", stream=True)
    values = [i.value["i"] for b in batches for i in b.items]
    assert values == list(range(len(values)))
    assert 2000 < len(values) < 5000
    assert sum(len(b.model_dump_json()) for b in batches) <= MAX_CALL_BYTES
