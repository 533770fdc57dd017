"""The activity of a thread cron's firing (tempograph/_cron.py): start the cron's run on its
thread as runs.create on the thread does, following the cron's multitask strategy.

* The thread paused (at an interrupt or a breakpoint), or its run over: new input discards the
  pause (the paused execution is cancelled as superseded, as the HTTP API does) and the run
  starts from the state the thread's latest run left.
* The thread busy (a run executing a step): "reject" gives up (outcome "rejected"); "interrupt"
  cancels the running run (as runs.cancel does) and starts; "enqueue" waits until it pauses or
  ends (polling its state, at most ENQUEUE_POLL_SECONDS per attempt, then "busy": the workflow
  waits with a durable timer and calls again).
* The thread deleted (its record ended: deleted, or its TTL ran out; or it never had a record
  nor any run): nothing starts ("thread_gone") and the cron's schedule is deleted. Another
  workflow type holding the thread's id: "conflict".

Two starts racing (another firing, an HTTP request) are settled by Temporal: one active
execution per thread id; the loser looks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta

from temporalio import activity
from temporalio.client import (
    Client,
    ScheduleActionStartWorkflow,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from tempograph._cron import (
    CANCELLED_BY_USER,
    CRON_FIRE_ACTIVITY,
    CRON_RUN_MEMO,
    CRON_THREAD_WORKFLOW,
    SCHEDULE_PREFIX,
    SUPERSEDED,
    CronFiring,
    FiringResult,
)
from tempograph.messages import (
    STATE_QUERY,
    STATUS_ATTRIBUTE,
    THREAD_RECORD_WORKFLOW,
    WORKFLOW_TYPE,
    StateSnapshot,
    thread_record_id,
)
from tempograph.notifications import run_details, run_summary

# How long one attempt waits for a busy thread (enqueue) before handing back to the workflow.
ENQUEUE_POLL_SECONDS = 60.0
POLL_INTERVAL = 0.5
QUERY_TIMEOUT = timedelta(seconds=5)
# A cancelled run closes within a workflow task or two; past this, the next attempt looks again.
CANCEL_WAIT_SECONDS = 60.0


async def _describe(client: Client, workflow_id: str) -> WorkflowExecutionDescription | None:
    try:
        return await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise


async def _thread_gone(
    client: Client, thread_id: str, latest: WorkflowExecutionDescription | None
) -> bool:
    """Whether the thread was deleted (as tempograph.http.thread_store reads it): its record has
    ended (terminated by a deletion, or completed when its TTL ran out) and no run started
    after that, or it has neither a record nor a run."""
    record = await _describe(client, thread_record_id(thread_id))
    if record is None or record.workflow_type != THREAD_RECORD_WORKFLOW:
        return latest is None or latest.workflow_type != WORKFLOW_TYPE
    if record.status != WorkflowExecutionStatus.RUNNING and record.close_time is not None:
        return latest is None or latest.start_time < record.close_time
    return False


async def _working(client: Client, thread_id: str, desc: WorkflowExecutionDescription) -> bool:
    """Whether a running GraphRun execution is executing a step (not paused). Its state, or
    when it cannot be read, the status it last recorded in its search attribute."""
    handle = client.get_workflow_handle(thread_id, run_id=desc.run_id)
    try:
        snap = await handle.query(STATE_QUERY, result_type=StateSnapshot, rpc_timeout=QUERY_TIMEOUT)
    except Exception:  # noqa: BLE001 - no worker, too large: the recorded status decides
        return desc.typed_search_attributes.get(STATUS_ATTRIBUTE) != "interrupted"
    return snap.status == "running"


async def _cancel(client: Client, thread_id: str, run_id: str, reason: str) -> None:
    """Cancel one execution, saying why, and wait (bounded) until it has closed."""
    handle = client.get_workflow_handle(thread_id, run_id=run_id)
    try:
        await handle.cancel(reason=reason)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    while time.monotonic() < deadline:
        activity.heartbeat("cancelling")
        desc = await _describe(client, thread_id)
        if desc is None or desc.run_id != run_id or desc.status != WorkflowExecutionStatus.RUNNING:
            return
        await asyncio.sleep(POLL_INTERVAL)


async def _delete_cron(client: Client, firing: CronFiring) -> None:
    """The thread is gone: so is its cron (the Agent Server deletes a thread's crons with it).
    Only the schedule that fires this thread's firings is deleted."""
    handle = client.get_schedule_handle(SCHEDULE_PREFIX + firing.cron_id)
    try:
        action = (await handle.describe()).schedule.action
        if (
            isinstance(action, ScheduleActionStartWorkflow)
            and action.workflow == CRON_THREAD_WORKFLOW
            and action.id == firing.cron_id
        ):
            await handle.delete()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


@activity.defn(name=CRON_FIRE_ACTIVITY)
async def fire_cron(firing: CronFiring) -> FiringResult:
    client = activity.client()
    thread = firing.thread_id
    waited_until = time.monotonic() + ENQUEUE_POLL_SECONDS
    while True:
        activity.heartbeat("looking")
        desc = await _describe(client, thread)
        if await _thread_gone(client, thread, desc):
            await _delete_cron(client, firing)
            return FiringResult(outcome="thread_gone", detail=f"Thread {thread} was deleted")
        previous = ""
        if desc is not None and desc.workflow_type != WORKFLOW_TYPE:
            if desc.status == WorkflowExecutionStatus.RUNNING:
                return FiringResult(
                    outcome="conflict",
                    detail=f"Thread id {thread!r} is in use by a workflow that is not a run",
                )
        elif desc is not None and desc.status == WorkflowExecutionStatus.RUNNING:
            if not await _working(client, thread, desc):
                await _cancel(client, thread, desc.run_id, SUPERSEDED)
                continue
            if firing.multitask_strategy == "reject":
                return FiringResult(outcome="rejected", detail=f"Thread {thread} is busy")
            if firing.multitask_strategy == "interrupt":
                await _cancel(client, thread, desc.run_id, CANCELLED_BY_USER)
                continue
            if time.monotonic() >= waited_until:
                return FiringResult(outcome="busy", detail=f"Thread {thread} is busy")
            await asyncio.sleep(POLL_INTERVAL)
            continue
        elif desc is not None:
            previous = desc.run_id  # the new run carries on from the state this one left
        run = firing.run.model_copy(update={"thread_id": thread, "previous_run_id": previous})
        try:
            handle = await client.start_workflow(
                WORKFLOW_TYPE,
                run,
                id=thread,
                task_queue=firing.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=(
                    WorkflowIDReusePolicy.ALLOW_DUPLICATE
                    if desc is not None
                    else WorkflowIDReusePolicy.REJECT_DUPLICATE
                ),
                memo={CRON_RUN_MEMO: {"cron_id": firing.cron_id}},
                static_summary=run_summary(run.graph, thread),
                static_details=run_details(run.graph, thread),
            )
        except WorkflowAlreadyStartedError:
            await asyncio.sleep(POLL_INTERVAL)  # another start won the race: look again
            continue
        with contextlib.suppress(Exception):
            activity.heartbeat("started")
        return FiringResult(outcome="started", run_id=handle.first_execution_run_id)
