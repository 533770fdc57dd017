"""How the HTTP API is served: settings (from the environment), request guards and uvicorn.

Limits a client cannot get around (see HttpSettings for the defaults and variables):

* Body size: a Content-Length over the limit is answered 413 before the body is read; a chunked
  body is counted as it arrives and answered 413 as soon as it passes the limit (BodyGuard).
* Slow clients: uvicorn times out idle keep-alive connections but not a request that arrives
  slowly (each byte received cancels its timer, and a new connection has none). GuardedH11
  gives every request a deadline for its headers (counted from the connection or from the first
  byte after the previous response) and one for its body (counted from the end of the headers);
  past it the server answers 408 and closes the connection. Measured: without it, 500
  connections sending a header byte every few seconds all stay open.
* Connections: `limit_concurrency` (503 past it) and h11's header size limit (16 KiB, 400).
* Host header (DNS rebinding): with `allowed_hosts`, a request whose Host is not one of them
  (port ignored) is answered 421. server.py allows the loopback names when it binds a loopback
  address, plus TEMPOGRAPH_ALLOWED_HOSTS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("tempograph.http")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
MiB = 1024 * 1024


def _env_number(name: str, default: float, environ: dict[str, str]) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number (got {raw!r})") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive (got {raw!r})")
    return value


@dataclass(frozen=True)
class HttpSettings:
    """Limits of the HTTP API. `from_env()` reads them from TEMPOGRAPH_* variables."""

    # Bytes of a request body (TEMPOGRAPH_MAX_BODY_BYTES); larger bodies get 413.
    max_body_bytes: int = 4 * MiB
    # Seconds to receive a request's headers / its body (TEMPOGRAPH_HEADER_TIMEOUT,
    # TEMPOGRAPH_BODY_TIMEOUT); then 408 and the connection is closed.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    # Seconds an idle keep-alive connection stays open (TEMPOGRAPH_KEEP_ALIVE_TIMEOUT). Longer
    # than clients keep idle connections (httpx and so langgraph-sdk 5 s, aiohttp 15 s) and than
    # a load balancer's idle timeout (AWS ALB 60 s), as nginx's 75 s: a client that reuses a
    # connection at the moment the server closes it gets a ReadError on a POST it cannot retry.
    # Measured with 5 s (= httpx's): 9 of 600 requests failed that way, 0 with 15 s.
    keep_alive_timeout: int = 75
    # Open connections and requests in flight (TEMPOGRAPH_MAX_CONNECTIONS); then 503.
    max_connections: int = 1000
    # Host names (no port) requests may name; None accepts any (TEMPOGRAPH_ALLOWED_HOSTS adds
    # to the loopback names server.py allows on a loopback address; "*" turns the check off).
    allowed_hosts: tuple[str, ...] | None = None
    # Entries of each per-process cache (threads, runs, deleted ids) (TEMPOGRAPH_CACHE_SIZE).
    cache_size: int = 10_000

    @classmethod
    def from_env(
        cls, environ: dict[str, str] | None = None, *, bind_host: str | None = None
    ) -> HttpSettings:
        env = dict(os.environ if environ is None else environ)
        defaults = cls()
        hosts: tuple[str, ...] | None = None
        extra = tuple(
            h.strip().lower()
            for h in env.get("TEMPOGRAPH_ALLOWED_HOSTS", "").split(",")
            if h.strip()
        )
        if "*" in extra:
            hosts = None
        elif bind_host is not None and is_loopback(bind_host):
            hosts = (*LOOPBACK_NAMES, *extra)
        elif extra:
            hosts = extra
        return cls(
            max_body_bytes=int(
                _env_number("TEMPOGRAPH_MAX_BODY_BYTES", defaults.max_body_bytes, env)
            ),
            header_timeout=_env_number("TEMPOGRAPH_HEADER_TIMEOUT", defaults.header_timeout, env),
            body_timeout=_env_number("TEMPOGRAPH_BODY_TIMEOUT", defaults.body_timeout, env),
            keep_alive_timeout=int(
                _env_number("TEMPOGRAPH_KEEP_ALIVE_TIMEOUT", defaults.keep_alive_timeout, env)
            ),
            max_connections=int(
                _env_number("TEMPOGRAPH_MAX_CONNECTIONS", defaults.max_connections, env)
            ),
            allowed_hosts=hosts,
            cache_size=int(_env_number("TEMPOGRAPH_CACHE_SIZE", defaults.cache_size, env)),
        )


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts local connections."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host of a Host header, without its port: "[::1]:2024" -> "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        return header.split(":", 1)[0]
    return header


# ---------------------------------------------------------------------------------------------
# ASGI guards (any server).
# ---------------------------------------------------------------------------------------------


async def _answer(send: Send, status: int, detail: str, *, close: bool = True) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HostGuard:
    """421 for a Host header not in `allowed` (DNS rebinding: a page on evil.example whose name
    resolves to 127.0.0.1 must not drive a local server)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = {host_name(h) for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host_name(raw) not in self.allowed:
                await _answer(
                    send,
                    421,
                    f"Host {raw!r} is not served here (DNS rebinding protection); add it to "
                    "TEMPOGRAPH_ALLOWED_HOSTS to allow it",
                )
                return
        await self.app(scope, receive, send)


class BodyGuard:
    """413 for a body over `limit` bytes: from Content-Length before reading, else counted as
    it arrives. The body is read whole (at most `limit` bytes) before the app runs."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self, size: int | None) -> str:
        got = f"{size} bytes" if size is not None else f"more than {self.limit} bytes"
        return (
            f"Request body too large: {got}; the limit is {self.limit} bytes "
            "(TEMPOGRAPH_MAX_BODY_BYTES)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _answer(send, 400, "Invalid Content-Length header")
                return
            if declared > self.limit:
                await _answer(send, 413, self._too_large(declared))
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _answer(send, 413, self._too_large(None))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # (a disconnect)

        await self.app(scope, replay, send)


def guard(app: ASGIApp, settings: HttpSettings) -> ASGIApp:
    """`app` behind the body and Host guards of `settings`."""
    guarded: ASGIApp = BodyGuard(app, settings.max_body_bytes)
    if settings.allowed_hosts is not None:
        guarded = HostGuard(guarded, settings.allowed_hosts)
    return guarded


# ---------------------------------------------------------------------------------------------
# uvicorn.
# ---------------------------------------------------------------------------------------------

TIMEOUT_408 = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s"
)


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers and body."""

    header_timeout: float = HttpSettings.header_timeout
    body_timeout: float = HttpSettings.body_timeout

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._reading: str | None = None  # "headers", "body" or None (not reading a request)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading is None and self.conn.their_state is h11.IDLE:
            self._arm("headers")  # the first bytes of the connection's next request
        super().data_received(data)
        self._follow()

    def _follow(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._reading != "body":
                self._arm("body")
        elif state is not h11.IDLE:
            self._disarm()  # the request is in (or the connection is closing)

    def _arm(self, what: str) -> None:
        self._disarm()
        self._reading = what
        timeout = self.header_timeout if what == "headers" else self.body_timeout
        self._deadline = self.loop.call_later(timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._reading = None

    def _timed_out(self) -> None:
        what = self._reading
        self._deadline = None
        self._reading = None
        if self.transport.is_closing():
            return
        # While reading headers, any cycle is the previous request's (answered already).
        answered = what == "body" and self.cycle is not None and self.cycle.response_started
        if not answered:
            timeout = self.header_timeout if what == "headers" else self.body_timeout
            body = json.dumps(
                {"detail": f"Request {what} not received within {timeout:g} s"}
            ).encode()
            self.transport.write(TIMEOUT_408 % (len(body), body))
        self.logger.info("closing a connection: request %s not received in time", what)
        self.transport.close()


def server_config(
    app: ASGIApp, *, host: str, port: int, settings: HttpSettings, **options: Any
) -> uvicorn.Config:
    """A uvicorn Config serving `app` (already guarded) with the timeouts of `settings`."""
    protocol = type(
        "GuardedH11",
        (GuardedH11,),
        {"header_timeout": settings.header_timeout, "body_timeout": settings.body_timeout},
    )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
        **options,
    )


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield
