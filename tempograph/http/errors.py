"""Error answers of the HTTP API: `HttpError` (status + `{"detail"}`), the texts clients match
on, the checks of values before they reach Temporal, and the app's exception handlers."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from tempograph import limits
from tempograph.errors import (
    GraphRunError,
    InvalidUpdateError,
    NoWorkerError,
    ResumeError,
    TempographError,
    TemporalUnavailableError,
    ThreadBusyError,
    ThreadIdConflictError,
    ThreadNotFoundError,
)
from tempograph.http.jsonbody import PathIdTooLongError

log = logging.getLogger("tempograph.http")

NOT_FOUND = "Thread or assistant not found."
# A thread id that is taken: by a Tempograph thread, or by an execution Tempograph did not
# start (another team's workflow in the namespace, never touched, never shown). Creating a
# thread or a run on it gets the same answer either way, so it says nothing about what holds it.
THREAD_EXISTS = "Thread with ID {} already exists"
UNAVAILABLE = THREAD_EXISTS
BUSY = (
    "Thread is already running a task. Wait for it to finish or choose a different multitask "
    "strategy."
)


class HttpError(Exception):
    """An error answer: status code and {"detail": ...}."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


# The HTTP status of each error a thread edit answers with: one table, the first class that
# matches wins (tempograph._client.failures maps a run's ErrorKinds to these classes).
ERROR_STATUS: tuple[tuple[type[TempographError], int], ...] = (
    (InvalidUpdateError, 400),
    (ThreadNotFoundError, 404),
    (ResumeError, 409),
    (ThreadBusyError, 409),
    (GraphRunError, 400),
)


def http_error(exc: TempographError) -> HttpError | None:
    """The answer for `exc` (ERROR_STATUS), or None when it has no row."""
    for cls, status in ERROR_STATUS:
        if isinstance(exc, cls):
            return HttpError(status, str(exc))
    return None


def not_supported(field: str, fix: str = "") -> HttpError:
    """422 for a request field given a value Tempograph does not honour yet: refused, never
    silently ignored."""
    return HttpError(422, f"{field} is not supported yet" + (f": {fix}" if fix else ""))


def thread_not_found(thread_id: str) -> HttpError:
    return HttpError(404, f"Thread with ID {thread_id} not found")


def check_new_thread_id(thread_id: str) -> None:
    """422 for a thread id that could never be addressed again (limits.check_thread_id)."""
    try:
        limits.check_thread_id(thread_id)
    except limits.LimitError as exc:
        raise HttpError(422, f"thread_id: {exc}") from None


def addressable(thread_id: str) -> bool:
    try:
        limits.check_thread_id(thread_id)
    except limits.LimitError:
        return False
    return True


def check_message(what: str, value: Any) -> None:
    """A value the request sends to a run or a thread record: at most limits.MAX_JSON_DEPTH
    levels deep (422) and limits.MAX_MESSAGE_BYTES as JSON (413), checked before anything
    reaches Temporal."""
    if value is None:
        return
    try:
        limits.check_depth(value, what)
    except limits.LimitError as exc:
        raise HttpError(422, str(exc)) from None
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "replace"))
    if size > limits.MAX_MESSAGE_BYTES:
        raise HttpError(
            413,
            f"{what} is {size} bytes as JSON; Tempograph's limit for one message to a run or "
            f"thread is {limits.MAX_MESSAGE_BYTES} bytes (limits.MAX_MESSAGE_BYTES). Store large "
            "data elsewhere and pass a reference.",
        )


def describe_validation_errors(errors: Any) -> str:
    """Pydantic errors as one line: `body.assistant_id: Field required; ...`; a body that is not
    JSON as `body: JSON decode error (<why>)`."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":
            why = (error.get("ctx") or {}).get("error")
            parts.append(f"body: JSON decode error ({why})" if why else "body: JSON decode error")
            continue
        loc = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request"


def install_error_handlers(app: FastAPI, temporal_address: str) -> None:
    """`{"detail"}` answers for every error a request can meet: HttpError as given, limits
    422, Temporal unreachable 503, no worker 503, an id held by another workflow 409,
    anything unexpected 500 (logged)."""
    unavailable = f"Temporal unreachable at {temporal_address}"

    @app.exception_handler(HttpError)
    async def on_http_error(request: Request, exc: HttpError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(PathIdTooLongError)
    @app.exception_handler(limits.LimitError)
    async def on_limit(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RPCError)
    async def on_rpc_error(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.UNAVAILABLE:
            log.warning("%s: %s", unavailable, exc.message)
            return JSONResponse({"detail": unavailable}, status_code=503)
        log.error(
            "Temporal refused a request to %s: %s (%s)", request.url.path, exc.message, exc.status
        )
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)

    @app.exception_handler(RuntimeError)
    async def on_runtime_error(request: Request, exc: RuntimeError) -> JSONResponse:
        if str(exc).startswith("Failed client connect"):  # a lazy client's (re)connect
            log.warning("%s: %s", unavailable, exc)
            return JSONResponse({"detail": unavailable}, status_code=503)
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation_errors(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def on_starlette(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(TemporalUnavailableError)
    async def on_unavailable(request: Request, exc: TemporalUnavailableError) -> JSONResponse:
        log.warning("%s", exc)
        return JSONResponse({"detail": unavailable}, status_code=503)

    @app.exception_handler(NoWorkerError)
    async def on_no_worker(request: Request, exc: NoWorkerError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(ThreadIdConflictError)
    async def on_id_conflict(request: Request, exc: ThreadIdConflictError) -> JSONResponse:
        thread_id = request.path_params.get("thread_id", "")
        return JSONResponse({"detail": UNAVAILABLE.format(thread_id)}, status_code=409)
