"""`tempograph serve` keeps an idle keep-alive connection open longer than HTTP clients keep
theirs (found by the throughput bench, bench/throughput.py: with the server's old 5 s, equal to
httpx's keepalive_expiry, langgraph-sdk's `runs.wait` failed with httpx.ReadError when it reused
a connection the server was closing at that moment; a POST is not retried).

The real `tempograph serve` command in its own process, with its defaults; a raw connection
sends a request, stays idle past httpx's 5 s, and sends another on the same connection.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from bench.throughput import HttpServerProcess
from tempograph.http.serving import HttpSettings
from tests.conftest import SessionServer

HTTPX_IDLE_S = httpx.Limits().keepalive_expiry or 5.0  # what langgraph-sdk's client uses
REQUEST = b"GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_keep_alive_outlasts_the_clients() -> None:
    assert HttpSettings().keep_alive_timeout > 15  # httpx 5 s, aiohttp 15 s


async def test_an_idle_connection_is_still_served_after_httpx_would_drop_it(
    server: SessionServer,
) -> None:
    http = HttpServerProcess(server.address, "keepalive-test")
    await http.start()
    try:
        parts = urlsplit(http.url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for _ in range(2):
                writer.write(REQUEST)
                await writer.drain()
                got = await asyncio.wait_for(reader.readuntil(b'{"ok":true}'), timeout=10)
                assert got.startswith(b"HTTP/1.1 200 "), got
                # Idle longer than httpx keeps a connection (it would open a new one then).
                await asyncio.sleep(HTTPX_IDLE_S + 1)
            assert not reader.at_eof()  # still open
        finally:
            writer.close()
    finally:
        await http.close()
