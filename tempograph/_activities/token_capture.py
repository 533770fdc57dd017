"""LLM token chunks of the chat model calls a node makes, captured for its Publisher.

A LangChain callback handler, as LangGraph's own StreamMessagesHandler: on a chat model's start
it records the call (its LangChain run id, model name, tags, `ls_*` metadata), then passes
each token chunk on, compacted (messages.StreamItem: fields equal to their defaults and the
call's own id are left out; readers rebuild the Agent Server's full chunk dict). Having
`tap_output_iter` / `tap_output_aiter` makes it a langchain-core streaming handler, so a plain
`model.invoke(...)` in a node streams (as under LangGraph when a messages mode is asked). A
model tagged "nostream" is not streamed. Needs langchain-core (imported only when a run
streams); without it there are no chat models to capture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGenerationChunk

from tempograph._activities.publisher import Publisher
from tempograph.messages import STREAM_CHUNK_DEFAULTS

NOSTREAM_TAGS = frozenset({"nostream", "langsmith:nostream"})


def compact_chunk(dumped: dict[str, Any], call_id: str) -> dict[str, Any]:
    """A chunk's model_dump() without what readers can rebuild (see messages.StreamItem)."""
    out: dict[str, Any] = {"content": dumped.get("content", "")}
    for key, value in dumped.items():
        if key == "content" or (key == "id" and value == call_id):
            continue
        if key in STREAM_CHUNK_DEFAULTS and STREAM_CHUNK_DEFAULTS[key] == value:
            continue
        out[key] = value
    return out


class TokenCapture(BaseCallbackHandler):
    """Feeds one node call's chat model tokens to `publisher`."""

    run_inline = True  # called in order, in the model's own thread or task

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.calls: dict[UUID, int] = {}
        self.started = 0

    def tap_output_aiter(self, run_id: UUID, output: AsyncIterator[Any]) -> AsyncIterator[Any]:
        return output

    def tap_output_iter(self, run_id: UUID, output: Iterator[Any]) -> Iterator[Any]:
        return output

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if tags and NOSTREAM_TAGS.intersection(tags):
            return
        call = self.started
        self.started += 1
        self.calls[run_id] = call
        ids = (serialized or {}).get("id") or ["chat_model"]
        self.publisher.add(
            "model_start",
            {
                "run_id": str(run_id),
                "id": f"lc_run--{run_id}",
                "name": kwargs.get("name") or ids[-1],
                "tags": list(tags or []),
                "metadata": {k: v for k, v in (metadata or {}).items() if k.startswith("ls_")},
            },
            call,
        )

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: Any = None,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        call = self.calls.get(run_id)
        if call is None or not isinstance(chunk, ChatGenerationChunk):
            return
        self.publisher.add(
            "chunk", compact_chunk(chunk.message.model_dump(), f"lc_run--{run_id}"), call
        )

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._ended(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._ended(run_id)

    def _ended(self, run_id: UUID) -> None:
        call = self.calls.pop(run_id, None)
        if call is not None:
            self.publisher.add("model_end", None, call)
