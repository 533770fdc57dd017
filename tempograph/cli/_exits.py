"""Exit codes, and the one line the CLI prints for an error instead of a traceback."""

from __future__ import annotations

from temporalio.service import RPCError

from tempograph.cli._security import ConfigError
from tempograph.codec import EncryptionConfigError
from tempograph.connection import ConnectionConfigError
from tempograph.devserver import MissingDevServerError
from tempograph.errors import TempographError
from tempograph.limits import LimitError
from tempograph.observability import ObservabilityError
from tempograph.project import ProjectError

OK = 0
# Tempograph or Temporal said no (not found, not paused, unreachable, no worker, ...).
ERROR = 1
# The command line, the configuration or the installation is wrong (options, JSON arguments,
# langgraph.json, --graph specs, an empty TEMPOGRAPH_API_TOKEN, TEMPORAL_* / TLS settings,
# encryption keys, a missing extra): nothing was sent.
USAGE = 2
INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 an error from Tempograph or Temporal (one line on stderr); "
    "2 a usage or configuration error."
)


class MissingExtraError(Exception):
    """An optional dependency this command needs is not installed; the message names the
    extra to install."""


def http_extra() -> None:
    """Refuse early, naming the extra, when FastAPI/uvicorn are not installed."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(
            f"The HTTP API needs the [http] extra ({exc.name} is missing): "
            "pip install 'tempograph-hitl[http]'"
        ) from None


def error_exit(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, the line to print) for an error the CLI explains in one line; None for a
    bug, which keeps its traceback."""
    if isinstance(exc, ConfigError | ProjectError | ConnectionConfigError | EncryptionConfigError):
        return USAGE, f"error: {exc}"
    if isinstance(exc, ObservabilityError):  # e.g. traces asked for without the [otel] extra
        return USAGE, f"error: {exc}"
    if isinstance(exc, TempographError | LimitError):
        # The message says what happened and what to do.
        return ERROR, f"error: {type(exc).__name__}: {exc}"
    if isinstance(exc, MissingExtraError | MissingDevServerError):
        return USAGE, f"error: {exc}"
    if isinstance(exc, RPCError):
        status = exc.status.name if exc.status is not None else "error"
        return ERROR, f"error: Temporal refused the request ({status}): {exc.message}"
    return None
