"""A token stream survives an HTTP reconnect (issue 12): a client streaming LLM tokens
(`messages-tuple`, resumable) loses its connection mid-answer and rejoins on another server
process with `runs.join_stream(last_event_id=...)`: every token arrives, once, in order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest_asyncio
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.graph import START, MessagesState, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import serve

TASK_QUEUE = "http-token-reconnect"
WORDS = [f" w{i}" for i in range(40)]


class SlowModel(BaseChatModel):
    """Streams WORDS, 20 ms apart: a reconnect lands in the middle of the answer."""

    @property
    def _llm_type(self) -> str:
        return "slow"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage("".join(WORDS)))])

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        raise NotImplementedError("async only")

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for word in WORDS:
            await asyncio.sleep(0.02)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


async def talk(state: MessagesState) -> dict[str, Any]:
    return {"messages": [await SlowModel().ainvoke(state["messages"])]}


builder = StateGraph(MessagesState)
builder.add_node("talk", talk)
builder.add_edge(START, "talk")
GRAPHS = {"slow_talk": builder.compile()}


@pytest_asyncio.fixture(scope="module")
async def sdks(client: Client) -> AsyncIterator[tuple[LangGraphClient, LangGraphClient]]:
    """Two server processes (nothing shared but Temporal) and a worker."""
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        a = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(GRAPHS))
        b = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(GRAPHS))
        async with serve(a) as url_a, serve(b) as url_b:
            sdk_a, sdk_b = get_client(url=url_a, api_key=None), get_client(url=url_b, api_key=None)
            yield sdk_a, sdk_b
            await sdk_a.aclose()
            await sdk_b.aclose()


def tokens(parts: list[tuple[str, Any, str | None]]) -> list[str]:
    return [
        data[0]["content"]
        for event, data, _ in parts
        if event == "messages" and data[0]["type"] == "AIMessageChunk" and data[0]["content"]
    ]


async def test_a_token_stream_survives_a_reconnect(
    sdks: tuple[LangGraphClient, LangGraphClient],
) -> None:
    a, b = sdks
    tid = (await a.threads.create())["thread_id"]
    seen: list[tuple[str, Any, str | None]] = []
    stream = a.runs.stream(
        tid,
        "slow_talk",
        input={"messages": [{"role": "user", "content": "hi"}]},
        stream_mode=["messages-tuple"],
        stream_resumable=True,
    )
    async with contextlib.aclosing(stream) as parts:  # type: ignore[type-var]
        async for part in parts:
            seen.append((part.event, part.data, part.id))
            if len(tokens(seen)) >= 3:
                break  # the connection drops in the middle of the answer
    run_id = seen[0][1]["run_id"]
    assert (await b.runs.get(tid, run_id))["status"] in ("pending", "running")
    rest = [
        (p.event, p.data, p.id)
        async for p in b.runs.join_stream(
            tid, run_id, last_event_id=seen[-1][2], stream_mode=["messages-tuple"]
        )
    ]
    got = tokens(seen) + tokens(rest)
    assert got == WORDS  # every token, once, in order, across the two connections
    ids = [i for _, _, i in seen + rest]
    assert len(set(ids)) == len(ids)
    # The answer stored in the thread is the streamed one (same message id as the chunks).
    state = await b.threads.get_state(tid)
    [_, answer] = state["values"]["messages"]
    assert answer["content"] == "".join(WORDS)
    assert {d[0]["id"] for e, d, _ in seen + rest if e == "messages"} == {answer["id"]}
