"""A cron on a thread: what its Temporal Schedule starts at each firing, shared by the HTTP API
(tempograph/http/cron_store.py builds it), the TempographCronFiring workflow
(tempograph/_workflows/cron_thread.py) and its activity (tempograph/_activities/cron_firing.py).

A Schedule starts a workflow whose id ends with the firing's time; a thread's run is the
GraphRun execution whose id is the thread's own. So the schedule starts TempographCronFiring,
whose activity starts (or continues) the thread's GraphRun as runs.create on the thread does,
following the cron's multitask strategy when the thread is busy. No graph code, no LangGraph.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tempograph.messages import RunInput

# A cron is the Temporal Schedule `tempograph-cron-<cron id>`.
SCHEDULE_PREFIX = "tempograph-cron-"
CRON_THREAD_WORKFLOW = "TempographCronFiring"
# A stateless cron's firing workflow is `<cron id>-firing-<time>`: its run's new thread takes
# `<cron id>-<time>` (the id a GraphRun action would have had; one workflow id per namespace).
STATELESS_FIRING_SUFFIX = "-firing"


def stateless_thread_id(cron_id: str, firing_id: str) -> str:
    """The new thread of a stateless cron's firing `firing_id`."""
    prefix = f"{cron_id}{STATELESS_FIRING_SUFFIX}-"
    if firing_id.startswith(prefix):
        return f"{cron_id}-{firing_id.removeprefix(prefix)}"
    return f"{firing_id}-run"  # a firing started by hand


CRON_FIRE_ACTIVITY = "tempograph.cron_fire"
# The memo key of the runs a thread cron starts: {"cron_id": ...}.
CRON_RUN_MEMO = "tempograph_cron_run"

# The reasons of cancel requests, as the HTTP API writes them and reads them back
# (tempograph.http.status.CancelCause): a cron's firing cancels the way runs.create does.
CANCELLED_BY_USER = "Cancelled through the Tempograph HTTP API (runs.cancel or multitask_strategy)"
SUPERSEDED = "Superseded: new input on the thread discarded this pause (Tempograph HTTP API)"

# What a thread cron's firing does on a busy thread (the Agent Server's multitask strategies;
# "rollback" is refused when the cron is created: it would delete the run it cancels).
ThreadCronStrategy = Literal["reject", "interrupt", "enqueue"]


class CronAssistant(BaseModel):
    """A cron on a created assistant: read afresh at each firing (its current version), as the
    Agent Server does, and merged under the cron's own run fields (as sent)."""

    model_config = ConfigDict(extra="forbid")

    assistant_id: str = Field(min_length=1)
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class CronFiring(BaseModel):
    """The start input of TempographCronFiring: one firing of a cron on a thread, or of a
    stateless cron on a created assistant."""

    model_config = ConfigDict(extra="forbid")

    cron_id: str = Field(min_length=1)
    # None: a new thread at each firing, named by the firing's workflow id
    # (`<cron id>-<firing time>`, as a stateless cron's GraphRun is).
    thread_id: str | None = Field(default=None, min_length=1)
    # The GraphRun task queue (the HTTP server's).
    task_queue: str = Field(min_length=1)
    # The run to start: thread_id and previous_run_id are set by the activity.
    run: RunInput
    multitask_strategy: ThreadCronStrategy = "enqueue"
    # A created assistant: its config and context are read at each firing (run.config and
    # run.context are then replaced).
    assistant: CronAssistant | None = None


FiringOutcome = Literal[
    "started", "rejected", "busy", "thread_gone", "assistant_gone", "refused", "conflict"
]


class FiringResult(BaseModel):
    """What one firing did. "busy": the thread is still running a step after the activity's
    wait (enqueue): the workflow waits and tries again. "rejected": busy, strategy "reject".
    "thread_gone" / "assistant_gone": the thread / the created assistant was deleted (the cron
    is deleted too). "refused": the assistant's configuration and the cron's cannot make a run
    (both `configurable` and `context`). "conflict": another workflow holds the thread's id."""

    outcome: FiringOutcome
    run_id: str | None = None
    detail: str = ""
