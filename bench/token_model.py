"""A chat model that emits tokens at a fixed pace and notes when it emitted each one.

Shared by the token benchmark's Tempograph side (bench/tokens.py) and its LangGraph reference
(bench/peers/tokens_langgraph.py, run in the peer's venv): it needs langchain-core only. The
last human message is the run's key; `EMITTED[key]` holds the wall-clock time of each chunk,
taken just before the chunk is handed to LangChain (the "model emits it" instant).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

EMITTED: dict[str, list[float]] = {}


def token(i: int) -> str:
    """The i-th token: a short word, as an LLM's average token (~4 characters)."""
    return f" w{i % 1000:03d}"


class PacedModel(BaseChatModel):
    """`tokens` chunks, one every `interval` seconds (a real model's ~20-100 tokens/s)."""

    tokens: int = 100
    interval: float = 0.01

    @property
    def _llm_type(self) -> str:
        return "paced"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(token(i) for i in range(self.tokens))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        times = EMITTED.setdefault(str(messages[-1].content), [])
        for i in range(self.tokens):
            if i:
                time.sleep(self.interval)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token(i)))
            times.append(time.time())
            yield chunk  # LangChain passes it to the callbacks (on_llm_new_token)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        times = EMITTED.setdefault(str(messages[-1].content), [])
        for i in range(self.tokens):
            if i:
                await asyncio.sleep(self.interval)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token(i)))
            times.append(time.time())
            yield chunk
