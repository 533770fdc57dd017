"""Errors users see. Names and messages follow LangGraph where it has an equivalent."""

from __future__ import annotations


class TempographError(Exception):
    """Base class for every error raised by Tempograph."""


class InvalidUpdateError(TempographError):
    """A node returned something that cannot be applied to the state (LangGraph's name)."""


class GraphRecursionError(TempographError):
    """The run took more supersteps than its recursion limit (LangGraph's name)."""


class GraphRunError(TempographError):
    """The run failed: a node raised, or the run broke a rule. The message says which."""


class ThreadNotFoundError(TempographError):
    """No run exists for this thread id."""


class ThreadBusyError(TempographError):
    """A run is already active on this thread."""


class ThreadIdConflictError(TempographError):
    """The thread id is the workflow id of an execution that is not a Tempograph run (another
    team's workflow in the same namespace): choose another thread id. Nothing about that
    execution is revealed."""


class TemporalUnavailableError(TempographError):
    """The Temporal server could not be reached (down, wrong address, network): nothing was
    done. Distinct from ThreadNotFoundError, which means the server answered "no such run"."""


class NoWorkerError(TempographError):
    """No worker polls the run's task queue, and the operation needs one (a query of a running
    run, a resume, a start that waits for the first pause): start a worker (`make worker`)."""


class RunNotReadyError(TempographError):
    """Temporal refused the call because the run's last workflow task failed ("Workflow Task in
    failed state"): Temporal retries that task by itself (e.g. after a message over 2 MiB sent
    straight to the run was refused), and GraphClient retries the call meanwhile; this error
    means the run did not recover in time. `temporal workflow describe -w <thread>` shows why."""


class ResumeError(TempographError):
    """A resume was rejected (nothing pending, unknown interrupt id, missing value...).

    The run is left exactly as it was: it is still paused and can be resumed correctly.
    `kind` says why: NotPaused, UnknownInterrupt, AmbiguousResume, MissingResumeValue,
    InvalidResume.
    """

    def __init__(self, message: str, kind: str = "InvalidResume") -> None:
        super().__init__(message)
        self.kind = kind


class PayloadTooLargeError(TempographError):
    """A state or node output is too large to be stored in Temporal history."""


class InterruptTimeoutError(GraphRunError):
    """An interrupt with a timeout and no default got no answer in time; the run failed."""
