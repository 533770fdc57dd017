"""Thread and run status, from one table.

An execution's `Outcome` is read from Temporal alone (execution status, the run's own state,
the cancellation's cause recorded in history, the refused resume kept on the thread's record),
so every server process derives the same answers. The table then gives the thread status, the
run status and the thread's `error` (langgraph-hitl.md §5.3: a run paused at an interrupt or a
breakpoint is a "success"; "interrupted" means cancelled; a cancelled thread is "interrupted"
with a UserInterrupt error).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from temporalio.client import WorkflowExecutionStatus

from tempograph._cron import CANCELLED_BY_USER
from tempograph._cron import SUPERSEDED as SUPERSEDED_REASON

ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
RunStatus = Literal["pending", "running", "success", "error", "timeout", "interrupted"]


class CancelCause(Enum):
    """Why a run was cancelled: the reason of the cancel request, which Temporal records in
    the run's history (WorkflowExecutionCancelRequested `cause`)."""

    # Also written by a thread cron's firing (tempograph._cron), which cancels the same way.
    USER = CANCELLED_BY_USER
    SUPERSEDED = SUPERSEDED_REASON
    OTHER = ""  # any other cancel request (GraphClient.cancel, the Temporal CLI or UI)

    @classmethod
    def of(cls, reason: str) -> CancelCause:
        for cause in cls:
            if cause.value and cause.value == reason:
                return cause
        return cls.OTHER


class Outcome(Enum):
    WORKING = "working"  # running a step
    PAUSED = "paused"  # at an interrupt or a breakpoint
    REFUSED = "refused"  # paused, and the last resume was refused (nothing changed)
    COMPLETED = "completed"
    CONTINUED = "continued"  # continued as new (a later execution goes on)
    FAILED = "failed"  # a node or the graph raised
    CANCELLED = "cancelled"  # cancelled (or terminated) part-way: resumable from a checkpoint
    SUPERSEDED = "superseded"  # a pause discarded by new input on the thread
    ENDED = "ended"  # timed out


@dataclass(frozen=True)
class Row:
    thread: ThreadStatus
    run: RunStatus
    # The thread's `error`: "failure" (the run's), "refused" (the refused resume's),
    # "cancelled" (UserInterrupt), "ended" (Timeout), or None.
    error: str | None


TABLE: dict[Outcome, Row] = {
    Outcome.WORKING: Row("busy", "running", None),
    Outcome.PAUSED: Row("interrupted", "success", None),
    Outcome.REFUSED: Row("error", "error", "refused"),
    Outcome.COMPLETED: Row("idle", "success", None),
    Outcome.CONTINUED: Row("error", "success", "ended"),
    Outcome.FAILED: Row("error", "error", "failure"),
    Outcome.CANCELLED: Row("interrupted", "interrupted", "cancelled"),
    Outcome.SUPERSEDED: Row("interrupted", "success", "cancelled"),
    Outcome.ENDED: Row("error", "timeout", "ended"),
}

CANCELLED_ERROR = {"error": "UserInterrupt", "message": "The run was cancelled"}


def outcome(
    status: WorkflowExecutionStatus | None,
    *,
    paused: bool = False,
    refused: bool = False,
    failure_error: str | None = None,
    cancel: CancelCause | None = None,
) -> Outcome:
    """The outcome of an execution. `paused`/`refused` matter while it runs; `failure_error`
    (the failure's exception type) and `cancel` (the cause of a cancel request in its history)
    once it has failed or been cancelled. A run cancelled while a node ran ends as failed."""
    if status == WorkflowExecutionStatus.RUNNING:
        if not paused:
            return Outcome.WORKING
        return Outcome.REFUSED if refused else Outcome.PAUSED
    if status == WorkflowExecutionStatus.COMPLETED:
        return Outcome.COMPLETED
    if status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
        return Outcome.CONTINUED
    if status == WorkflowExecutionStatus.FAILED and (
        cancel is None and failure_error != "CancelledError"
    ):
        return Outcome.FAILED
    if status in (
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.CANCELED,
        WorkflowExecutionStatus.TERMINATED,
    ):
        return Outcome.SUPERSEDED if cancel == CancelCause.SUPERSEDED else Outcome.CANCELLED
    return Outcome.ENDED


def thread_error(
    found: Outcome,
    status: WorkflowExecutionStatus | None,
    *,
    failure: dict[str, str] | None = None,
    refused: dict[str, str] | None = None,
) -> dict[str, str] | None:
    """The thread's `error` for an outcome (TABLE's error column)."""
    kind = TABLE[found].error
    if kind == "failure":
        return failure
    if kind == "refused":
        return refused
    if kind == "cancelled":
        return dict(CANCELLED_ERROR)
    if kind == "ended":
        ended = status.name if status is not None else "unknown"
        return {"error": "Timeout", "message": f"The run ended: {ended}"}
    return None
