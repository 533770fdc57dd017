"""Running a command's coroutine: logging on stderr (stdout is for data), and a stop event for
the long-running commands, set by SIGINT or SIGTERM so that they shut down cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

import structlog

from tempograph.logs import configure_logging
from tempograph.observability import flush


def setup_logging(default_level: str) -> None:
    """TEMPOGRAPH_LOG_LEVEL, else `default_level`; logs go to stderr so that `--json` output
    on stdout stays parseable."""
    configure_logging(os.environ.get("TEMPOGRAPH_LOG_LEVEL", default_level))
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


def run_async(coro: Coroutine[Any, Any, None], *, log_level: str = "INFO") -> None:
    setup_logging(log_level)
    try:
        asyncio.run(coro)
    finally:
        flush()  # buffered spans: the CLI ends with os._exit, which runs no atexit hook


def stop_event() -> asyncio.Event:
    """An event set on SIGINT or SIGTERM (a second signal of either kind stops at once)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            os._exit(130)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    return stop
