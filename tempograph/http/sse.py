"""Server-sent events framed as the Agent Server frames them (agents.md §1.1).

A frame is `event: X` CRLF `data: <compact JSON>` CRLF [`id: <id>` CRLF] CRLF; a silent stream
gets a `: heartbeat` comment every HEARTBEAT_SECONDS (proxies close idle connections), which
SSE clients skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

HEARTBEAT = b": heartbeat\r\n\r\n"
# Read at each wait (tests shorten it).
HEARTBEAT_SECONDS = 5.0


def frame(event: str, data: Any, event_id: str | None = None) -> bytes:
    """One SSE event; `event_id` adds the `id:` line of a resumable stream."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    line = f"id: {event_id}\r\n" if event_id is not None else ""
    return f"event: {event}\r\ndata: {body}\r\n{line}\r\n".encode()


async def with_heartbeats(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`frames`, with a heartbeat comment whenever none came for HEARTBEAT_SECONDS."""
    source = frames.__aiter__()
    pending: asyncio.Future[bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(source.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=HEARTBEAT_SECONDS)
            if not done:
                yield HEARTBEAT
                continue
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                pending = None
                return
            pending = None
            yield chunk
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(RuntimeError):
                await aclose()
