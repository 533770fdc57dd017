"""Small pieces shared by the GraphRun workflow's modules: tasks, failures, resume parsing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from tempograph.messages import (
        Breakpoints,
        InvalidMessageError,
        ResumeInput,
        SendSpec,
        StateUpdate,
        parse_message,
    )

# A dict resume value is a map {interrupt id: answer} only when every key looks like an id
# (LangGraph's rule: resume-map detection depends on ids being 32 lowercase hex characters).
INTERRUPT_ID = re.compile(r"^[0-9a-f]{32}$")
LOCAL_ACTIVITY_TIMEOUT = timedelta(seconds=60)


def is_resume_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and INTERRUPT_ID.match(k) for k in value)
    )


class ChildWake(ResumeInput):
    """Internal: a subgraph moved on while this run was paused (not a human's resume)."""


@dataclass
class Task:
    node: str
    send: SendSpec | None = None


Updater = Callable[[StateUpdate], Awaitable[list[Task]]]


class RunFailedError(Exception):
    """The run cannot go on; `kind` becomes the ApplicationError type the caller sees."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def pick_breakpoints(per_run: Breakpoints, compiled: Breakpoints) -> Breakpoints:
    """A per-run breakpoint list replaces the compiled one (LangGraph semantics)."""
    return per_run if per_run is not None else compiled


def hits(breakpoints: Breakpoints, tasks: list[Task]) -> bool:
    if not breakpoints:
        return False
    return breakpoints == "*" or any(t.node in breakpoints for t in tasks)


def failure(what: str, exc: FailureError) -> BaseException:
    """What a failed activity (or child) means for the run. An activity's failure arrives as
    ActivityError(cause=...); a local activity's as the cause itself. A cancellation (the run
    itself was cancelled) stays a cancellation, so the run ends as cancelled, not failed."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, CancelledError):
        return asyncio.CancelledError(str(cause))
    if isinstance(cause, ApplicationError):
        return RunFailedError(f"{what}: {cause.message}", cause.type or "NodeError")
    return RunFailedError(f"{what}: {cause or exc}", type(cause or exc).__name__)


def parse_resume(raw: Any) -> ResumeInput:
    try:
        return parse_message(ResumeInput, raw)
    except InvalidMessageError as exc:
        raise rejected(
            f'{exc}. Expected {{"resume": <answer>, "update": {{...}}, "goto": [...]}}'
        ) from None


def rejected(message: str, kind: str = "InvalidResume") -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)
