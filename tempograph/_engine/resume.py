"""Resumes: which messages a paused run accepts, and which task each answer goes to.

A run paused at dynamic interrupts waits for answers. A resume carries one answer (when one
interrupt is pending), or a map {interrupt id: answer}; optionally a state update and goto
nodes. Validation here runs in the update's validator (and for signals, before anything is
changed), so a refused resume leaves the run exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tempograph import schema_check
from tempograph._engine.breakpoints import unknown_breakpoints
from tempograph._engine.errors import RejectedError, RunFailedError
from tempograph._engine.tasks import TaskSlot
from tempograph.messages import (
    END,
    ErrorKind,
    InvalidMessageError,
    PendingInterrupt,
    ResumeInput,
    StateUpdate,
    parse_message,
    stable_id,
)

# A dict resume value is a map {interrupt id: answer} only when every key looks like an id
# (LangGraph's rule: resume-map detection depends on ids being 32 lowercase hex characters).
INTERRUPT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class PauseView:
    """What the checks need to know about the run (a read-only view of its state)."""

    thread_id: str
    status: str
    # A resume or state update was accepted and not yet applied: nothing more is accepted.
    busy: bool
    channels: Collection[str]
    nodes: Collection[str]
    paused_at: str | None = None
    pending: Sequence[PendingInterrupt] = ()
    last_step: Sequence[str] = ()
    # Check typed answers as runs recorded before jsonschema did (schema_check.check_legacy).
    legacy_answers: bool = False


def is_resume_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and INTERRUPT_ID.match(k) for k in value)
    )


def parse_resume(raw: Any) -> ResumeInput:
    """A resume message from raw JSON (RejectedError with InvalidResume when it does not parse)."""
    try:
        return parse_message(ResumeInput, raw)
    except InvalidMessageError as exc:
        raise RejectedError(
            f'{exc}. Expected {{"resume": <answer>, "update": {{...}}, "goto": [...]}}',
            ErrorKind.INVALID_RESUME,
        ) from None


def check_resume(cmd: ResumeInput, run: PauseView) -> None:
    """Refuse (RejectedError) a resume that cannot apply to the run as it is."""
    if run.status != "interrupted" or run.busy:
        state = "already resumed" if run.busy else run.status
        raise RejectedError(
            f"Thread '{run.thread_id}' is not paused ({state}): there is nothing to resume",
            ErrorKind.NOT_PAUSED,
        )
    unknown_keys = sorted(set(cmd.update or {}) - set(run.channels))
    if unknown_keys:
        raise RejectedError(
            f"Unknown state key(s) in update: {unknown_keys}", ErrorKind.INVALID_RESUME
        )
    targets = {g if isinstance(g, str) else g.node for g in cmd.goto}
    unknown_nodes = sorted(targets - set(run.nodes))
    if unknown_nodes:
        raise RejectedError(f"Unknown node(s) in goto: {unknown_nodes}", ErrorKind.INVALID_RESUME)
    for name in ("interrupt_before", "interrupt_after"):
        unknown = unknown_breakpoints(getattr(cmd, name), list(run.nodes))
        if unknown:
            raise RejectedError(
                f"Unknown node(s) in {name}: {unknown}; the graph's nodes are {sorted(run.nodes)}",
                ErrorKind.INVALID_RESUME,
            )
    if run.paused_at != "interrupt" or not run.pending:
        return  # at a static breakpoint any resume (even none) continues the run
    pending = [p.id for p in run.pending]
    if is_resume_map(cmd.resume):
        unknown = sorted(set(cmd.resume) - set(pending))
        if unknown:
            raise RejectedError(
                f"Unknown interrupt id(s) {unknown}: pending interrupt ids are {pending}",
                ErrorKind.UNKNOWN_INTERRUPT,
            )
        check_answers(run.pending, cmd.resume, legacy=run.legacy_answers)
    elif cmd.resume is None:
        if not cmd.update and not cmd.goto:
            raise RejectedError(
                "The run is waiting at a dynamic interrupt: the resume needs a value, "
                'e.g. {"resume": "yes"} (null is not an answer)',
                ErrorKind.MISSING_RESUME_VALUE,
            )
    elif cmd.resume == {}:
        raise RejectedError("An empty resume map answers nothing", ErrorKind.MISSING_RESUME_VALUE)
    elif len(pending) > 1:
        raise RejectedError(
            "When there are multiple pending interrupts, you must specify the interrupt id "
            f"when resuming: send a map {{interrupt id: value}}. Pending ids: {pending}",
            ErrorKind.AMBIGUOUS_RESUME,
        )
    else:
        check_answers(run.pending, {pending[0]: cmd.resume}, legacy=run.legacy_answers)


def check_answers(
    pending: Sequence[PendingInterrupt], answers: dict[str, Any], *, legacy: bool = False
) -> None:
    """Typed answers: refuse one that does not fit its interrupt's response_schema (`legacy`:
    with the checker of runs recorded before jsonschema)."""
    checker = schema_check.check_legacy if legacy else schema_check.check
    for p in pending:
        if p.id in answers and p.validate_answer and p.response_schema:
            problems = checker(answers[p.id], p.response_schema)
            if problems:
                raise RejectedError(
                    f"The answer to interrupt {p.id} (node '{p.node}') does not fit its "
                    f"response_schema: {'; '.join(problems)}",
                    ErrorKind.INVALID_ANSWER,
                )


def check_state_update(update: StateUpdate, run: PauseView) -> None:
    """Refuse (RejectedError) an update_state that cannot apply to the paused run."""
    if run.status != "interrupted" or run.busy:
        raise RejectedError(
            f"Thread '{run.thread_id}' is not paused ({run.status}): update_state needs "
            "a paused run",
            ErrorKind.NOT_PAUSED,
        )
    unknown_keys = sorted(set(update.values or {}) - set(run.channels))
    if unknown_keys:
        raise RejectedError(f"Unknown state key(s): {unknown_keys}", ErrorKind.INVALID_STATE_UPDATE)
    if update.as_node is not None and update.as_node not in run.nodes and update.as_node != END:
        raise RejectedError(f"Node {update.as_node} does not exist", ErrorKind.INVALID_STATE_UPDATE)
    if update.as_node is None and run.paused_at == "after" and len(run.last_step) > 1:
        raise RejectedError("Ambiguous update, specify as_node", ErrorKind.INVALID_STATE_UPDATE)


def answers_by_id(resume: ResumeInput, pending_ids: Sequence[str]) -> dict[str, Any]:
    """The resume's answers by interrupt id (a bare answer goes to the first pending id)."""
    if resume.resume is None:
        return {}
    if is_resume_map(resume.resume):
        return dict(resume.resume)
    return {pending_ids[0]: resume.resume}


def give_answers(waiting: Sequence[TaskSlot], resume: ResumeInput) -> list[TaskSlot]:
    """Hand the resume's answers to the waiting tasks; returns the tasks to run again.

    Answered tasks re-run from their start with one more answer (a subgraph gets its answers
    forwarded as a map, or None to go on from a breakpoint). With an update but no answer, the
    waiting nodes re-run and interrupt again on the updated state."""
    flat = [pid for slot in waiting for pid in slot.pending_ids]
    answered = answers_by_id(resume, flat) if flat else {}
    to_run: list[TaskSlot] = []
    for slot in waiting:
        if slot.is_child:
            forward = {pid: answered[pid] for pid in slot.pending_ids if pid in answered}
            if forward or not slot.pending_ids:  # a child at a breakpoint goes on with any
                slot.answers.append(forward or None)
                to_run.append(slot)
        elif slot.pending_ids[0] in answered:
            slot.answers.append(answered[slot.pending_ids[0]])
            to_run.append(slot)
    if not to_run and resume.resume is None:
        to_run = [slot for slot in waiting if not slot.is_child]
    return to_run


def pending_interrupts(
    slot: TaskSlot, deadlines: dict[str, datetime], now: datetime
) -> list[PendingInterrupt]:
    """What a waiting task asks: its interrupt (with a stable id), or its subgraph's. A new
    deadline is recorded in `deadlines` when the question is first asked, not on re-runs."""
    result = slot.result
    if result.child_pending is not None:
        # A subgraph's own deadlines are its own: the child resumes itself.
        return [p.model_copy(update={"deadline": None}) for p in result.child_pending]
    raised = result.interrupt
    assert raised is not None
    interrupt_id = stable_id(slot.id, raised.slot)
    if raised.timeout_seconds is not None and interrupt_id not in deadlines:
        deadlines[interrupt_id] = now + timedelta(seconds=raised.timeout_seconds)
    return [
        PendingInterrupt(
            id=interrupt_id,
            value=raised.value,
            node=slot.node,
            task_id=slot.id,
            response_schema=raised.response_schema,
            validate_answer=raised.validate_answer,
            deadline=deadlines.get(interrupt_id),
            has_default=raised.has_default,
            default=raised.default,
            notify=raised.notify,
        )
    ]


def expired_answers(pending: Sequence[PendingInterrupt], now: datetime) -> ResumeInput | None:
    """At a deadline: the defaults of the interrupts whose deadline passed, as a resume; a
    passed interrupt without a default fails the run (InterruptTimeout)."""
    expired = [p for p in pending if p.deadline is not None and p.deadline <= now]
    for p in expired:
        if not p.has_default:
            raise RunFailedError(
                f"Interrupt {p.id} at node '{p.node}' got no answer before its deadline "
                f"({p.deadline.isoformat() if p.deadline else ''}) and has no default",
                ErrorKind.INTERRUPT_TIMEOUT,
            )
    if expired:
        return ResumeInput(resume={p.id: p.default for p in expired})
    return None
