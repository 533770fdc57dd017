"""Temporal's answers mapped to Tempograph's errors, in one place.

A run reports what went wrong as the `type` of an ApplicationError (an ErrorKind: a refused
resume, a failed run...); ERROR_CLASSES maps each kind to the exception users catch, and
`error_for` builds it. The client and the HTTP layer both use it, so a kind means the same
exception everywhere. RPC errors are classified here too: Temporal unreachable, no worker
polling, a call's own deadline.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from temporalio.client import RPCError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCStatusCode

from tempograph.errors import (
    GraphRecursionError,
    GraphRunError,
    InterruptTimeoutError,
    InvalidUpdateError,
    PayloadTooLargeError,
    ResumeError,
    TempographError,
    TemporalUnavailableError,
    ThreadNotFoundError,
)
from tempograph.messages import ErrorKind

# Kinds of a refused resume: the run is left paused, as it was (ResumeError.kind says which).
RESUME_ERROR_KINDS: frozenset[str] = frozenset(
    {
        ErrorKind.NOT_PAUSED,
        ErrorKind.INVALID_RESUME,
        ErrorKind.UNKNOWN_INTERRUPT,
        ErrorKind.AMBIGUOUS_RESUME,
        ErrorKind.MISSING_RESUME_VALUE,
        ErrorKind.INVALID_ANSWER,
    }
)

# The one table ErrorKind -> exception class. Any other kind (NodeError, InvalidInput, a
# node's own ApplicationError type...) is a GraphRunError.
ERROR_CLASSES: dict[str, type[TempographError]] = {
    **dict.fromkeys(RESUME_ERROR_KINDS, ResumeError),
    ErrorKind.INVALID_STATE_UPDATE: InvalidUpdateError,
    ErrorKind.INVALID_UPDATE: InvalidUpdateError,
    ErrorKind.GRAPH_RECURSION: GraphRecursionError,
    ErrorKind.INTERRUPT_TIMEOUT: InterruptTimeoutError,
    ErrorKind.PAYLOAD_TOO_LARGE: PayloadTooLargeError,
}

# Statuses that mean "Temporal could not be reached" (after the SDK's own retries).
UNREACHABLE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


def error_for(kind: str | None, message: str) -> TempographError:
    """The exception for an error `kind` (an ErrorKind, or any other type name) and message."""
    cls = ERROR_CLASSES.get(kind or "", GraphRunError)
    if cls is ResumeError:
        return ResumeError(message, str(kind))
    return cls(message)


def run_error(cause: BaseException | None) -> TempographError:
    """A failed run's error (the cause of a WorkflowFailureError)."""
    if isinstance(cause, ApplicationError):
        return error_for(cause.type, cause.message)
    return GraphRunError(str(cause))


def update_error(exc: WorkflowUpdateFailedError) -> TempographError:
    """A refused or failed update (a resume, a state edit, a wait for the next pause)."""
    return run_error(exc.cause)


def failure_kind(exc: WorkflowUpdateFailedError) -> str | None:
    """The ErrorKind (or other type) an update failed with, if the run gave one."""
    cause = exc.cause
    return cause.type if isinstance(cause, ApplicationError) else None


def is_no_poller(exc: RPCError) -> bool:
    """The server's answer to a query no worker picked up."""
    return exc.status == RPCStatusCode.FAILED_PRECONDITION and "poller" in exc.message


def is_timed_out(exc: RPCError) -> bool:
    """The call's own deadline passed (rpc_timeout): the SDK says CANCELLED "Timeout expired"
    when it gives up first, the server DEADLINE_EXCEEDED when it does."""
    if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return True
    return exc.status == RPCStatusCode.CANCELLED and "timeout" in exc.message.lower()


def is_run_not_ready(exc: RPCError) -> bool:
    """Temporal's answer to an update while the run's last workflow task has failed: transient,
    the server retries that task (within ~10-20 s after e.g. a refused 3 MiB update)."""
    return exc.status == RPCStatusCode.FAILED_PRECONDITION and "failed state" in exc.message


def not_found(thread_id: str) -> ThreadNotFoundError:
    return ThreadNotFoundError(f"No run found for thread '{thread_id}'")


def unreachable(address: str, exc: RPCError) -> TemporalUnavailableError:
    return TemporalUnavailableError(f"Temporal unreachable at {address}: {exc.message}")


def no_worker_message(task_queue: str, after: str) -> str:
    return (
        f"No worker is polling task queue '{task_queue}': start one (`make worker`, or "
        f"create_worker(...) in your service). {after}"
    ).strip()


class _HasAddress(Protocol):
    @property
    def address(self) -> str: ...


Owner = TypeVar("Owner", bound=_HasAddress)
Result = TypeVar("Result")
Params = ParamSpec("Params")


def translates_rpc_errors(
    method: Callable[Concatenate[Owner, Params], Coroutine[Any, Any, Result]],
) -> Callable[Concatenate[Owner, Params], Coroutine[Any, Any, Result]]:
    """Temporal unreachable (after the SDK's retries) -> TemporalUnavailableError naming the
    address, instead of a raw RPCError or, worse, a misleading "not found"."""

    @functools.wraps(method)
    async def wrapper(self: Owner, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return await method(self, *args, **kwargs)
        except RPCError as exc:
            if exc.status in UNREACHABLE:
                raise unreachable(self.address, exc) from exc
            raise

    return wrapper
