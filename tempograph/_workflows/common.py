"""Small pieces shared by the GraphRun workflow's modules: tasks, failures, resume parsing."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from tempograph._engine import (
        RejectedError,
        RunFailedError,
        Task,
        hits,
        is_resume_map,
        parse_resume,
        pick_breakpoints,
    )
    from tempograph._engine.resume import INTERRUPT_ID
    from tempograph.limits import MAX_JSON_DEPTH, MAX_MESSAGE_BYTES
    from tempograph.messages import ErrorKind, ResumeInput, StateUpdate

# Re-exported: these lived here before the pure engine (tempograph._engine) existed.
__all__ = [
    "INTERRUPT_ID",
    "RunFailedError",
    "Task",
    "hits",
    "is_resume_map",
    "parse_resume",
    "pick_breakpoints",
]

LOCAL_ACTIVITY_TIMEOUT = timedelta(seconds=60)
# The patch a run records first, before any local activity: it stands for every older patch
# (GraphRun._patched), whose own markers could otherwise follow a local activity's marker in
# the next workflow task, which a full replay does not reproduce.
PATCHES_AT_START = "patches-at-start"
# The one patch a new run records (its first command): it stands for PATCHES_AT_START and the
# four patches below, which runs recorded before it evaluate as they recorded them. One marker
# instead of five (each patch marker comes with a TemporalChangeVersion upsert: 2 events, 10 ->
# 2 at every run's start).
START_PATCHES = "start-patches-v2"
# add_messages coerces messages and gives them ids (LangGraph's semantics); runs recorded before
# apply it as they did (append, replace by id), or their replay could fail where they did not.
COERCE_MESSAGES = "coerce-messages"
# Ids given by the workflow to messages without one mix in the thread id (the same first
# message on two threads got the same id); runs recorded before keep their ids on replay.
MESSAGE_IDS_PER_THREAD = "message-ids-per-thread"
# Webhook notifications (pauses, answers, passed deadlines, an invocation's end) are activities:
# runs recorded before send none.
NOTIFY = "notify"
# Typed answers are checked with jsonschema (schema_check.check); runs recorded before replay
# with the hand-written checker (schema_check.check_legacy): a signal resume's verdict is in
# their state.
JSONSCHEMA_ANSWERS = "jsonschema-answers"


class RunEndedError(Exception):
    """update_state(as_node="__end__") on a paused run: it ends here, nothing left to run."""


class ChildWake(ResumeInput):
    """Internal: a subgraph moved on while this run was paused (not a human's resume)."""


Updater = Callable[[StateUpdate], Awaitable[list[Task]]]


def failure(what: str, exc: FailureError) -> BaseException:
    """What a failed activity (or child) means for the run. An activity's failure arrives as
    ActivityError(cause=...); a local activity's as the cause itself. A cancellation (the run
    itself was cancelled) stays a cancellation, so the run ends as cancelled, not failed."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, CancelledError):
        return asyncio.CancelledError(str(cause))
    if isinstance(cause, ApplicationError):
        return RunFailedError(f"{what}: {cause.message}", cause.type or ErrorKind.NODE_ERROR)
    return RunFailedError(f"{what}: {cause or exc}", type(cause or exc).__name__)


def rejected(message: str, kind: str = ErrorKind.INVALID_RESUME) -> ApplicationError:
    """A message refused: the sender gets `kind` as the error's type; the run is untouched."""
    return ApplicationError(message, type=str(kind), non_retryable=True)


def refused(exc: RejectedError) -> ApplicationError:
    """The engine's refusal of a message, as the error its sender gets."""
    return rejected(str(exc), exc.kind)


Handler = TypeVar("Handler", bound=Callable[..., Any])


def any_arity(fn: Handler) -> Handler:
    """Let a workflow handler (or @workflow.init / @workflow.run) take any number of arguments.

    The SDK decodes arguments with the handler's type hints and calls it with as many as were
    sent: a missing or extra argument raises TypeError in the handler, and an undecodable one
    (JSON nested past the decoder's limit) fails in the SDK, either of which fails the workflow
    task on every attempt (a stuck run). `fn` is written as `fn(self, *args)`; the SDK is told it
    takes one RawValue, so a single argument arrives undecoded (see `decode_args`), and any other
    number arrives as it is, for `decode_args` to refuse.
    """
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("raw", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=RawValue),
    ]
    returns = fn.__annotations__.get("return", inspect.Signature.empty)
    setattr(fn, "__signature__", inspect.Signature(params, return_annotation=returns))  # noqa: B010
    fn.__annotations__ = {"raw": RawValue, "return": returns}
    return fn


class BadArgumentsError(ValueError):
    """A message sent to a run has the wrong number of arguments, is too big, or cannot be
    decoded. `kind` is PayloadTooLarge for a message over limits.MAX_MESSAGE_BYTES."""

    def __init__(self, message: str, kind: str = ErrorKind.INVALID_INPUT) -> None:
        super().__init__(message)
        self.kind = str(kind)


def decode_args(
    args: tuple[Any, ...],
    what: str,
    *,
    optional: bool = False,
    limit: int | None = MAX_MESSAGE_BYTES,
) -> tuple[Any, int]:
    """The one JSON argument of a message (None for none when `optional`) and its size in
    bytes, decoded here so that an undecodable or oversized one becomes a clear error instead
    of a failed workflow task."""
    if not args and optional:
        return None, 0
    if len(args) != 1:
        raise BadArgumentsError(
            f"{what} takes exactly one argument (a JSON object), got {len(args)}"
        )
    arg = args[0]
    if not isinstance(arg, RawValue):
        return arg, 0
    size = len(arg.payload.data)
    if limit is not None and size > limit:
        raise BadArgumentsError(too_big(what, size, limit), ErrorKind.PAYLOAD_TOO_LARGE)
    try:
        return workflow.payload_converter().from_payload(arg.payload), size
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the sender's
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise BadArgumentsError(
            f"{what} cannot be decoded ({first_line}): send one JSON value nested at most "
            f"{MAX_JSON_DEPTH} levels deep (limits.MAX_JSON_DEPTH)"
        ) from None


def too_big(what: str, size: int, limit: int = MAX_MESSAGE_BYTES) -> str:
    name = "limits.MAX_MESSAGE_BYTES" if limit == MAX_MESSAGE_BYTES else "the payload limit"
    return (
        f"{what} is {size} bytes, over Tempograph's limit of {limit} bytes ({name}). Keep "
        "large data outside the state (e.g. in object storage) and send a reference."
    )


def no_args(args: tuple[Any, ...], what: str) -> None:
    if args:
        raise BadArgumentsError(f"{what} takes no arguments, got {len(args)}")
