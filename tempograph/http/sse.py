"""Server-sent events framed as the Agent Server frames them (agents.md §1.1), sent by
sse-starlette's EventSourceResponse (as the Agent Server does).

A frame is `event: X` CRLF `data: <compact JSON>` CRLF [`id: <id>` CRLF] CRLF. `frame` builds it
here because sse-starlette's ServerSentEvent writes `id:` *before* `event:`; the Agent Server
writes it last and passes bytes through sse-starlette too, so the bytes on the wire stay the
Agent Server's (tests/http/test_http_stream_modes.py checks them). What EventStream takes from
sse-starlette: a `: heartbeat` comment every HEARTBEAT_SECONDS (proxies drop idle connections
during a long node or a human pause; SSE clients skip comments), the body stopped (its
generator closed, so its `finally` runs) as soon as the client disconnects, HEAD answered
without opening a stream, and `Cache-Control: no-store` / `X-Accel-Buffering: no` (nginx would
otherwise buffer the stream). Its shutdown drain (cancel streams on SIGTERM) hooks uvicorn's own
signal handlers, which `tempograph serve` leaves to the CLI: the CLI stops the server itself.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

# Read when a response is made (tests shorten it).
HEARTBEAT_SECONDS = 5.0
CRLF = "\r\n"


def frame(event: str, data: Any, event_id: str | None = None) -> bytes:
    """One SSE event; `event_id` adds the `id:` line of a resumable stream."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    line = f"id: {event_id}\r\n" if event_id is not None else ""
    return f"event: {event}\r\ndata: {body}\r\n{line}\r\n".encode()


def _heartbeat() -> ServerSentEvent:
    return ServerSentEvent(comment="heartbeat", sep=CRLF)  # b": heartbeat\r\n\r\n"


HEARTBEAT = _heartbeat().encode()


class EventStream(EventSourceResponse):
    """A `text/event-stream` response of `frames` (bytes from `frame`, sent as they are) with a
    heartbeat comment every HEARTBEAT_SECONDS."""

    def __init__(
        self, frames: AsyncIterator[bytes], *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(
            frames,
            headers=headers,
            ping=HEARTBEAT_SECONDS,
            sep=CRLF,
            ping_message_factory=_heartbeat,
        )
