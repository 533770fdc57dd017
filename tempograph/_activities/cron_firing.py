"""The activity of a cron's firing (tempograph/_cron.py): start the cron's run on its thread
as runs.create on the thread does, following the cron's multitask strategy (or, for a
stateless cron on a created assistant, on a new thread named by the firing's workflow id).
A cron on a created assistant reads the assistant's current version at each firing and merges
its config and context under the cron's own (tempograph._run_config); a deleted assistant
starts nothing and deletes the cron ("assistant_gone").

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

A run started on a thread with a TTL moves its deadline, as a run started over HTTP does.

Two starts racing (another firing, an HTTP request) are settled by Temporal: one active
execution per thread id; the loser looks again. The runs a firing starts carry its workflow id
in their memo, so a retried attempt finds the run an earlier one started instead of starting
a second.
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

from tempograph._assistants import (
    ASSISTANT_MEMO,
    ASSISTANT_RECORD_WORKFLOW,
    AssistantMemo,
    assistant_record_id,
)
from tempograph._cron import (
    CANCELLED_BY_USER,
    CRON_FIRE_ACTIVITY,
    CRON_RUN_MEMO,
    CRON_THREAD_WORKFLOW,
    SCHEDULE_PREFIX,
    STATELESS_FIRING_SUFFIX,
    SUPERSEDED,
    CronFiring,
    FiringResult,
    stateless_thread_id,
)
from tempograph._run_config import (
    ASSISTANT_KEY,
    BothConfigurableAndContextError,
    invocation,
    merge_assistant,
)
from tempograph._workflows.thread_record import TTL_MEMO
from tempograph.messages import (
    STATE_QUERY,
    STATUS_ATTRIBUTE,
    THREAD_PATCH_UPDATE,
    THREAD_RECORD_WORKFLOW,
    WORKFLOW_TYPE,
    RunInput,
    StateSnapshot,
    ThreadMetadata,
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
    ended (terminated by a deletion, or completed when its TTL ran out, unless its run is still
    executing a step) and no run started after that, or it has neither a record nor a run."""
    record = await _describe(client, thread_record_id(thread_id))
    if record is None or record.workflow_type != THREAD_RECORD_WORKFLOW:
        return latest is None or latest.workflow_type != WORKFLOW_TYPE
    if record.status != WorkflowExecutionStatus.RUNNING and record.close_time is not None:
        if latest is not None and latest.start_time >= record.close_time:
            return False
        # A TTL that ran out while the run executes a step keeps the thread (the HTTP API
        # starts its record again when it next meets it): not gone while that run is busy.
        return not (
            record.status == WorkflowExecutionStatus.COMPLETED
            and latest is not None
            and latest.workflow_type == WORKFLOW_TYPE
            and latest.status == WorkflowExecutionStatus.RUNNING
            and await _working(client, thread_id, latest)
        )
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
    """The thread (or the created assistant) is gone: so is the cron (the Agent Server deletes
    a thread's and an assistant's crons with them). Only the schedule that fires this cron's
    firings is deleted."""
    handle = client.get_schedule_handle(SCHEDULE_PREFIX + firing.cron_id)
    try:
        action = (await handle.describe()).schedule.action
        if (
            isinstance(action, ScheduleActionStartWorkflow)
            and action.workflow == CRON_THREAD_WORKFLOW
            and action.id in (firing.cron_id, firing.cron_id + STATELESS_FIRING_SUFFIX)
        ):
            await handle.delete()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def _assistant(client: Client, assistant_id: str) -> AssistantMemo | None:
    """A created assistant's current version (None: deleted), as the HTTP API reads it."""
    desc = await _describe(client, assistant_record_id(assistant_id))
    if (
        desc is None
        or desc.status != WorkflowExecutionStatus.RUNNING
        or desc.workflow_type != ASSISTANT_RECORD_WORKFLOW
    ):
        return None
    memo = await desc.memo_value(ASSISTANT_MEMO, default=None, type_hint=AssistantMemo)
    return memo if isinstance(memo, AssistantMemo) else None


async def _run_of(client: Client, firing: CronFiring) -> RunInput | FiringResult:
    """The run to start: the cron's; on a created assistant, with the assistant's current
    config and context under the cron's own (read now, as the Agent Server does at each run)."""
    cron = firing.assistant
    if cron is None:
        return firing.run
    memo = await _assistant(client, cron.assistant_id)
    if memo is None:
        await _delete_cron(client, firing)
        return FiringResult(
            outcome="assistant_gone", detail=f"Assistant {cron.assistant_id} was deleted"
        )
    version = memo.current
    config, context = merge_assistant(cron.config, cron.context, version.config, version.context)
    try:
        run_config, run_context = invocation(config, context, cron.metadata)
    except BothConfigurableAndContextError as exc:
        return FiringResult(outcome="refused", detail=str(exc))
    run_config = dict(run_config or {})
    # The run names its assistant when read back (tempograph.http.run_executor.assistant_of).
    run_config["metadata"] = {
        **(run_config.get("metadata") or {}),
        ASSISTANT_KEY: cron.assistant_id,
    }
    run = firing.run.model_copy(
        update={"graph": version.graph_id, "config": run_config, "context": run_context or None}
    )
    limit = config.get("recursion_limit")
    if isinstance(limit, int) and limit > 0:
        run.recursion_limit = limit
    return run


async def _refresh_ttl(client: Client, thread_id: str) -> None:
    """A run started on the thread: a thread with a TTL was active, its deadline moves (the
    empty metadata patch the HTTP API sends when a run starts). Best effort: the run has
    started whatever happens here."""
    try:
        record = await _describe(client, thread_record_id(thread_id))
        if (
            record is None
            or record.workflow_type != THREAD_RECORD_WORKFLOW
            or record.status != WorkflowExecutionStatus.RUNNING
            or await record.memo_value(TTL_MEMO, default=None) is None
        ):
            return
        await client.get_workflow_handle(thread_record_id(thread_id)).execute_update(
            THREAD_PATCH_UPDATE, ThreadMetadata(), result_type=ThreadMetadata
        )
    except Exception as exc:  # noqa: BLE001 - the record ended meanwhile, or is unreachable
        activity.logger.warning("cannot refresh the TTL of thread %s: %s", thread_id, exc)


def _firing_id() -> str:
    """This firing: its workflow id and run id (a trigger within the same second as a closed
    firing reuses its workflow id, never its run id)."""
    info = activity.info()
    return f"{info.workflow_id}/{info.workflow_run_id}"


async def _ours(desc: WorkflowExecutionDescription, firing_id: str) -> bool:
    """Whether this execution was started by this firing (an earlier attempt of the activity
    that started it but did not report back): a retry must not start a second run."""
    try:
        memo = await desc.memo_value(CRON_RUN_MEMO, default=None)
    except Exception:  # noqa: BLE001 - a memo this client cannot read is not ours
        return False
    return isinstance(memo, dict) and memo.get("firing") == firing_id


async def _start(
    client: Client,
    firing: CronFiring,
    run: RunInput,
    thread: str,
    previous: str,
    new_thread: bool,
) -> str:
    run = run.model_copy(update={"thread_id": thread, "previous_run_id": previous})
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        run,
        id=thread,
        task_queue=firing.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=(
            WorkflowIDReusePolicy.REJECT_DUPLICATE
            if new_thread
            else WorkflowIDReusePolicy.ALLOW_DUPLICATE
        ),
        memo={CRON_RUN_MEMO: {"cron_id": firing.cron_id, "firing": _firing_id()}},
        static_summary=run_summary(run.graph, thread),
        static_details=run_details(run.graph, thread),
    )
    return handle.first_execution_run_id or ""


async def _fire_new_thread(client: Client, firing: CronFiring, run: RunInput) -> FiringResult:
    """A stateless cron's firing: a new thread, named after the firing's workflow id."""
    thread = stateless_thread_id(firing.cron_id, activity.info().workflow_id or "")
    try:
        run_id = await _start(client, firing, run, thread, "", new_thread=True)
    except WorkflowAlreadyStartedError:
        desc = await _describe(client, thread)
        if desc is not None and await _ours(desc, _firing_id()):
            return FiringResult(outcome="started", run_id=desc.run_id)
        return FiringResult(outcome="conflict", detail=f"Thread id {thread!r} is in use")
    return FiringResult(outcome="started", run_id=run_id)


@activity.defn(name=CRON_FIRE_ACTIVITY)
async def fire_cron(firing: CronFiring) -> FiringResult:
    client = activity.client()
    run = await _run_of(client, firing)
    if isinstance(run, FiringResult):
        return run
    thread = firing.thread_id
    if thread is None:
        return await _fire_new_thread(client, firing, run)
    firing_id = _firing_id()
    waited_until = time.monotonic() + ENQUEUE_POLL_SECONDS
    while True:
        activity.heartbeat("looking")
        desc = await _describe(client, thread)
        if (
            desc is not None
            and desc.workflow_type == WORKFLOW_TYPE
            and await _ours(desc, firing_id)
        ):
            return FiringResult(outcome="started", run_id=desc.run_id)
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
        try:
            run_id = await _start(client, firing, run, thread, previous, new_thread=desc is None)
        except WorkflowAlreadyStartedError:
            await asyncio.sleep(POLL_INTERVAL)  # another start won the race: look again
            continue
        with contextlib.suppress(Exception):
            activity.heartbeat("started")
        await _refresh_ttl(client, thread)
        return FiringResult(outcome="started", run_id=run_id)
