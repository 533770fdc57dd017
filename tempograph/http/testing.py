"""Serve an ASGI app with uvicorn inside the running event loop (tests, notebooks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serve(
    app: Any, *, host: str = "127.0.0.1", port: int | None = None
) -> AsyncIterator[str]:
    """Run `app` on host:port (a free port by default) until the block ends; yields its URL."""
    config = uvicorn.Config(
        app, host=host, port=port or free_port(), log_level="warning", lifespan="off"
    )
    server = _QuietServer(config)
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
