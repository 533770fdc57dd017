"""Serve an ASGI app with uvicorn inside the running event loop (tests, notebooks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

from tempograph.http.serving import HttpSettings, QuietServer, server_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    settings: HttpSettings | None = None,
    lifespan: str = "off",
) -> AsyncIterator[str]:
    """Run `app` on host:port (a free port by default) until the block ends; yields its URL.
    The server applies the connection timeouts and limits of `settings` (as server.py does).
    `lifespan="on"` runs the app's startup and shutdown (e.g. the thread TTL sweeper)."""
    config = server_config(
        app,
        host=host,
        port=port or free_port(),
        settings=settings or HttpSettings(),
        log_level="warning",
        lifespan=lifespan,
    )
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises the startup error
                raise RuntimeError("uvicorn stopped during startup")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{config.port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
