"""The SSE response (tempograph.http.sse.EventStream on sse-starlette) over a real uvicorn: the
Agent Server's bytes, heartbeats between frames, and the body closed when the client leaves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from tempograph.http import sse
from tempograph.http.testing import serve


def make_app(closed: asyncio.Event, more: asyncio.Event) -> Starlette:
    async def frames() -> AsyncIterator[bytes]:
        try:
            yield sse.frame("metadata", {"run_id": "r", "attempt": 1}, "0-1")
            yield sse.frame("values", {"x": "é", "n": [1, 2]})
            await more.wait()  # a long node or a human pause: nothing to send
            yield sse.frame("end", None)
        finally:
            closed.set()

    async def endpoint(request: Request) -> sse.EventStream:
        return sse.EventStream(frames(), headers={"Location": "/here"})

    return Starlette(routes=[Route("/stream", endpoint, methods=["GET", "POST"])])


async def test_frames_heartbeats_and_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 0.2)
    closed, more = asyncio.Event(), asyncio.Event()
    async with serve(make_app(closed, more)) as url, httpx.AsyncClient(timeout=10) as http:
        asyncio.get_running_loop().call_later(0.7, more.set)
        r = await http.post(f"{url}/stream")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["location"] == "/here"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-accel-buffering"] == "no"
    head = (
        b'event: metadata\r\ndata: {"run_id":"r","attempt":1}\r\nid: 0-1\r\n\r\n'
        + 'event: values\r\ndata: {"x":"é","n":[1,2]}\r\n\r\n'.encode()
    )
    assert r.content.startswith(head)
    rest = r.content[len(head) :]
    assert rest.endswith(b"event: end\r\ndata: null\r\n\r\n")
    beats = rest[: -len(b"event: end\r\ndata: null\r\n\r\n")]
    assert beats == sse.HEARTBEAT * (len(beats) // len(sse.HEARTBEAT)) and len(beats) >= 2 * len(
        sse.HEARTBEAT
    )
    assert sse.HEARTBEAT == b": heartbeat\r\n\r\n"
    assert closed.is_set()


async def test_the_body_is_closed_when_the_client_leaves() -> None:
    closed, more = asyncio.Event(), asyncio.Event()
    async with serve(make_app(closed, more)) as url, httpx.AsyncClient(timeout=10) as http:
        async with http.stream("GET", f"{url}/stream") as r:
            async for chunk in r.aiter_bytes():
                if b"event: values" in chunk:
                    break
        left = time.monotonic()
        await asyncio.wait_for(closed.wait(), timeout=5)
        assert time.monotonic() - left < 1.0  # not at the next heartbeat (5 s)
        assert not more.is_set()


async def test_head_does_not_open_the_stream() -> None:
    closed, more = asyncio.Event(), asyncio.Event()
    async with serve(make_app(closed, more)) as url, httpx.AsyncClient(timeout=10) as http:
        r = await http.head(f"{url}/stream")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
