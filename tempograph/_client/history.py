"""Reading a run's history once: its checkpoints, its node updates, its pauses and its end.

A GraphRun's history holds everything get_state_history and node_updates report, with no
worker needed: the state before each superstep is the input of that step's node activities
(or, for local-activity nodes, a record echoed back in the first task's result marker), the
run's own checkpoints (pauses, state edits, its end) are memo upserts, each node's writes are
its activity result, and pauses are TempographStatus upserts.

`RunReader` is the pure part: fed the events of one run in order (from a server, or from a
recorded `WorkflowHistory`), it keeps the run's checkpoints and updates and says, event by
event, what happened (`RunEvent`s). `read_run` feeds it a whole history; `follow` feeds it
live, long-polling for new events instead of re-reading the history, and follows the thread
into the next run when a run continues as new.

Besides checkpoints and updates, the reader says when each node task starts (TaskStarted: a
node activity scheduled, or a local-activity node's marker) and finishes (TaskFinished: its
writes, error or interrupts), and passes on the live output that node activities signal to
their run (Streamed: a StreamBatch). Every event carries `event_id`, the history event it was
read from (a step's checkpoint read from its node inputs: the step's first one), so the same
history gives the same ids, in non-decreasing order: resumable streams number their parts
with them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent, MarkerRecordedEventAttributes
from temporalio.client import Client, WorkflowHistoryEventAsyncIterator
from temporalio.converter import DataConverter, decode_typed_search_attributes
from temporalio.exceptions import ApplicationError

from tempograph import statedelta
from tempograph._client.failures import run_error
from tempograph.errors import TempographError
from tempograph.messages import (
    CHECKPOINT_MEMO,
    CHILD_PAUSED_SIGNAL,
    RESUME_SIGNAL,
    STATUS_ATTRIBUTE,
    STREAM_SIGNAL,
    Checkpoint,
    ChildPaused,
    GraphSpec,
    NodeResult,
    NodeTask,
    NodeUpdate,
    StateRef,
    StreamBatch,
    stable_id,
)
from tempograph.messages import checkpoint_id as make_checkpoint_id

log = structlog.get_logger("tempograph.client")

NODE_ACTIVITY = "tempograph.run_node"
DESCRIBE_ACTIVITY = "tempograph.describe_graph"
LOCAL_ACTIVITY_MARKER = "core_local_activity"


@dataclass(frozen=True)
class Checkpointed:
    """A checkpoint of the run, yielded once history holds it whole. `revised`: its id was
    yielded before and its values, next or source have changed since (the run's own record
    of a checkpoint wins over the one read from node inputs, as in get_state_history).
    `parent_checkpoint_id` is left unset: get_state_history links checkpoints across runs."""

    checkpoint: Checkpoint
    revised: bool = False
    event_id: int = 0


@dataclass(frozen=True)
class NodeUpdated:
    """A node task finished and wrote `update.values` (tasks that paused wrote nothing)."""

    run_id: str
    update: NodeUpdate
    event_id: int = 0


@dataclass(frozen=True)
class Paused:
    """The run paused (an interrupt or a breakpoint) at `checkpoint_id`, its latest one.
    `interrupts`: what the paused step's tasks wait on, as run output shows them
    ({"value", "id", "response_schema"}, the ids get_state reports); none at a breakpoint."""

    run_id: str
    checkpoint_id: str | None
    at: datetime
    interrupts: tuple[dict[str, Any], ...] = ()
    event_id: int = 0


@dataclass(frozen=True)
class Resumed:
    """The paused run goes on (a resume, or the end of a state edit's pause)."""

    run_id: str
    at: datetime
    event_id: int = 0


@dataclass(frozen=True)
class ContinuedAsNew:
    """The run handed the thread to a new run (`new_run_id`); `follow` goes on with it."""

    run_id: str
    new_run_id: str
    at: datetime
    event_id: int = 0


@dataclass(frozen=True)
class Ended:
    """The run closed: COMPLETED (with `output`, its final values), FAILED (with `error`, the
    exception GraphClient raises for it), CANCELED, TERMINATED or TIMED_OUT."""

    run_id: str
    status: str
    at: datetime
    output: dict[str, Any] | None = None
    error: TempographError | None = None
    event_id: int = 0


@dataclass(frozen=True)
class ChildRun:
    """The child GraphRun a subgraph task runs as: its workflow id (`{parent}/{node}/{task
    id[:8]}`), its first run id, and how many times it had paused before this task (re)started
    (what it does from there on belongs to this task start)."""

    workflow_id: str
    run_id: str
    pauses: int = 0


@dataclass(frozen=True)
class TaskStarted:
    """A node task of step `step` starts: its activity was scheduled (or, for a local-activity
    node, its result recorded: history holds nothing earlier). `input`: the state it reads, or
    its Send argument; `triggers` as LangGraph names them (["branch:to:<node>"], a Send's
    ["__pregel_push"]). A subgraph task (`child` set) starts when its child run has started,
    and again when the run forwards an answer to it."""

    run_id: str
    node: str
    task_id: str
    step: int
    input: Any
    triggers: tuple[str, ...]
    event_id: int = 0
    child: ChildRun | None = None


@dataclass(frozen=True)
class TaskFinished:
    """A node task ended: `writes` ({channel: value}, empty when it wrote nothing), or `error`
    ({"error": type, "message"}) when it failed, or `interrupts` (as Paused.interrupts) when
    it paused. `custom`: the custom stream events its result recorded (a node that did not
    stream them live)."""

    run_id: str
    node: str
    task_id: str
    step: int
    writes: dict[str, Any] = field(default_factory=dict)
    error: dict[str, str] | None = None
    interrupts: tuple[dict[str, Any], ...] = ()
    custom: tuple[Any, ...] = ()
    event_id: int = 0


@dataclass(frozen=True)
class Streamed:
    """Live output of a running node task (messages.StreamBatch), as its activity signalled
    it to the run (STREAM_SIGNAL)."""

    run_id: str
    batch: StreamBatch
    event_id: int = 0


RunEvent = (
    Checkpointed
    | NodeUpdated
    | Paused
    | Resumed
    | ContinuedAsNew
    | Ended
    | TaskStarted
    | TaskFinished
    | Streamed
)

_CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "CANCELED",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "TERMINATED",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "TIMED_OUT",
}


class RunReader:
    """One run's history, read event by event (`feed`, then `close` at the end of what is
    known so far). `checkpoints()` and `updates` are what get_state_history (for this run)
    and node_updates return; the RunEvents say what each event added."""

    def __init__(self, thread_id: str, run_id: str, converter: DataConverter) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self.converter = converter
        self.updates: list[NodeUpdate] = []
        # How the run ended (None while it goes on).
        self.end: Ended | ContinuedAsNew | None = None
        # Checkpoints read from node inputs, and the ones the run recorded (memo upserts).
        self._derived: dict[str, Checkpoint] = {}
        self._recorded: dict[str, Checkpoint] = {}
        self._first_step: int | None = None
        self._from_input = True
        self._batch: tuple[int, int] | None = None  # (step, workflow task) of the tasks read
        self._open: str | None = None  # the derived checkpoint whose `next` may still grow
        # State versions sent to node tasks so far: a task carries a delta from an earlier one.
        self._known: dict[int, dict[str, Any]] = {}
        self._scheduled: dict[int, NodeTask] = {}  # node activities by scheduled event id
        self._yielded: dict[str, str] = {}  # checkpoint id -> what was yielded, as JSON
        self._latest: str | None = None
        self._paused = False
        # Tasks of the batch being read, told once the batch is whole (after its checkpoint).
        self._starting: list[RunEvent] = []
        # The event ids of the first and the latest node activity of the batch.
        self._batch_first = self._batch_last = 0
        # Tasks waiting at interrupts: task id -> (step, interrupts); tasks in schedule order.
        self._pending: dict[str, tuple[int, tuple[dict[str, Any], ...]]] = {}
        self._order: dict[str, int] = {}
        # Subgraph tasks: child runs being started (initiated event id -> workflow id, input),
        # and the started ones by workflow id.
        self._initiated: dict[int, tuple[str, Any]] = {}
        self._children: dict[str, _Child] = {}
        self._step = 0  # the latest step seen (a subgraph task's step is found from here)
        self._channels: set[str] | None = None  # the graph's channels, once its topology is read

    def checkpoints(self) -> list[Checkpoint]:
        """The run's checkpoints, oldest first: the input of each step's first node
        activities (the state before that step), and the memo checkpoints the run wrote
        (pauses, state edits, its end), which win when both describe the same checkpoint."""
        merged = [self._view(cid) for cid in {**self._derived, **self._recorded}]
        # By step: the steps of local-activity nodes run within one workflow task, so their
        # records share a timestamp (and the end of the run is stamped at its task start).
        return sorted(merged, key=lambda c: (c.step, c.created_at, c.source != "update"))

    def close(self) -> list[RunEvent]:
        """Everything read so far is all there is for now: the step whose node activities
        were being read is complete (its checkpoint can be yielded)."""
        cid, self._open = self._open, None
        out: list[RunEvent] = []
        for event in self._yield(cid) if cid is not None else []:
            # A batch split over pages revises its checkpoint: after the tasks told so far.
            revised = isinstance(event, Checkpointed) and event.revised
            stamp = self._batch_last if revised else self._batch_first
            out.append(dataclasses.replace(event, event_id=stamp))
        out += self._starting
        self._starting = []
        return out

    async def feed(self, event: HistoryEvent) -> list[RunEvent]:
        """Read the next event of the run; returns what it added."""
        return _stamped(await self._read(event), event.event_id)

    async def _read(self, event: HistoryEvent) -> list[RunEvent]:
        when = event.event_time.ToDatetime(UTC)
        if event.HasField("activity_task_scheduled_event_attributes"):
            return await self._scheduled_task(event, when)
        out = self.close()
        if event.HasField("workflow_execution_started_event_attributes"):
            started = event.workflow_execution_started_event_attributes
            [run_input] = await self.converter.decode(list(started.input.payloads), [dict])
            # A run continued as new (or forked) does not start from input.
            start_from = run_input.get("start_from") if isinstance(run_input, dict) else None
            self._from_input = not start_from
            if isinstance(start_from, dict) and isinstance(start_from.get("step"), int):
                self._step = start_from["step"]
        elif event.HasField("activity_task_completed_event_attributes"):
            completed = event.activity_task_completed_event_attributes
            task = self._scheduled.get(completed.scheduled_event_id)
            if task is not None:
                [result] = await self.converter.decode(
                    list(completed.result.payloads), [NodeResult]
                )
                out += self._finished(result, task.step, task.node, task.task_id)
                out += self._update(result, task.step, task.node, task.task_id, when)
        elif event.HasField("activity_task_failed_event_attributes"):
            failed = event.activity_task_failed_event_attributes
            out += await self._failed(failed.scheduled_event_id, failed.failure)
        elif event.HasField("activity_task_timed_out_event_attributes"):
            timed_out = event.activity_task_timed_out_event_attributes
            out += await self._failed(timed_out.scheduled_event_id, timed_out.failure)
        elif event.HasField("marker_recorded_event_attributes"):
            marker = event.marker_recorded_event_attributes
            spec = await self._local_result(marker, DESCRIBE_ACTIVITY, GraphSpec)
            if isinstance(spec, GraphSpec):
                self._channels = {c.name for c in spec.channels}
            local = await self._local_node_result(marker)
            if local is not None:
                out += self._local_step(local, event.event_id, when)
                if local.step is not None:
                    self._step = max(self._step, local.step)
                    out.append(self._local_started(local, local.step))
                    out += self._finished(local, local.step, local.node, local.task_id)
                    out += self._update(local, local.step, local.node, local.task_id, when)
        elif event.HasField("workflow_execution_signaled_event_attributes"):
            signaled = event.workflow_execution_signaled_event_attributes
            if signaled.signal_name == STREAM_SIGNAL:
                batch = await self._stream_batch(signaled.input.payloads)
                if batch is not None:
                    out.append(Streamed(self.run_id, batch))
            elif signaled.signal_name == CHILD_PAUSED_SIGNAL:
                out += await self._child_paused(signaled.input.payloads)
        elif event.HasField("start_child_workflow_execution_initiated_event_attributes"):
            initiated = event.start_child_workflow_execution_initiated_event_attributes
            decoded = await self.converter.decode(list(initiated.input.payloads), [dict])
            child_input = decoded[0] if decoded and isinstance(decoded[0], dict) else {}
            self._initiated[event.event_id] = (initiated.workflow_id, child_input.get("input"))
        elif event.HasField("child_workflow_execution_started_event_attributes"):
            started_child = event.child_workflow_execution_started_event_attributes
            out += self._child_started(started_child, when)
        elif event.HasField("signal_external_workflow_execution_initiated_event_attributes"):
            signal = event.signal_external_workflow_execution_initiated_event_attributes
            child = self._children.get(signal.workflow_execution.workflow_id)
            if signal.signal_name == RESUME_SIGNAL and child is not None and child.paused:
                child.paused = False  # the first answer forwarded restarts the task
                self._task_begins(child.task_id, child.step)
                out.append(child.started(self.run_id))
        elif event.HasField("child_workflow_execution_completed_event_attributes"):
            done = event.child_workflow_execution_completed_event_attributes
            out += await self._child_completed(done.workflow_execution.workflow_id, done.result)
        elif event.HasField("child_workflow_execution_failed_event_attributes"):
            failed_child = event.child_workflow_execution_failed_event_attributes
            out += await self._child_failed(
                failed_child.workflow_execution.workflow_id, failed_child.failure
            )
        elif event.HasField("workflow_properties_modified_event_attributes"):
            memo = event.workflow_properties_modified_event_attributes.upserted_memo
            if CHECKPOINT_MEMO in memo.fields:
                [checkpoint] = await self.converter.decode(
                    [memo.fields[CHECKPOINT_MEMO]], [Checkpoint]
                )
                checkpoint.created_at = min(checkpoint.created_at, when)
                self._step = max(self._step, checkpoint.step)
                self._recorded[checkpoint.checkpoint_id] = checkpoint
                self._latest = checkpoint.checkpoint_id
                out += self._yield(checkpoint.checkpoint_id)
        elif event.HasField("upsert_workflow_search_attributes_event_attributes"):
            upserted = event.upsert_workflow_search_attributes_event_attributes
            status = decode_typed_search_attributes(upserted.search_attributes).get(
                STATUS_ATTRIBUTE
            )
            if status == "interrupted":
                self._paused = True
                out.append(Paused(self.run_id, self._latest, when, self._waiting()))
            elif status == "running" and self._paused:
                self._paused = False
                out.append(Resumed(self.run_id, when))
        else:
            out += await self._closed(event, when)
        return out

    async def _scheduled_task(self, event: HistoryEvent, when: datetime) -> list[RunEvent]:
        scheduled = event.activity_task_scheduled_event_attributes
        if scheduled.activity_type.name != NODE_ACTIVITY:
            return self.close()
        [task] = await self.converter.decode(list(scheduled.input.payloads), [NodeTask])
        self._scheduled[event.event_id] = task
        self._step = max(self._step, task.step)
        batch = (task.step, scheduled.workflow_task_completed_event_id)
        out = self.close() if batch != self._batch else []
        cid = make_checkpoint_id(self.thread_id, self.run_id, task.step)
        values = self._state_of(task.ref, task.state)
        self._batch_last = event.event_id
        self._task_begins(task.task_id, task.step)
        self._starting.append(
            TaskStarted(
                self.run_id,
                task.node,
                task.task_id,
                task.step,
                task.send_arg if task.is_send else values,
                _triggers(task.node, is_send=task.is_send),
                event.event_id,
            )
        )
        if cid not in self._derived:
            self._batch = batch
            self._batch_first = event.event_id
            self._derived[cid] = self._derive(task.step, values, when)
        if self._batch == batch:
            self._derived[cid].next.append(task.node)
            self._open = cid
        return out

    def _local_step(self, local: NodeResult, event_id: int, when: datetime) -> list[RunEvent]:
        """A step of local-activity nodes, whose inputs history does not hold: its first
        task echoes the step's checkpoint back in its result."""
        record = local.record
        if record is None:
            return []
        cid = make_checkpoint_id(self.thread_id, self.run_id, record.step)
        values = self._state_of(record.ref, None)
        if cid in self._derived:
            return []
        self._batch = (record.step, -event_id)
        self._derived[cid] = self._derive(record.step, values, when)
        self._derived[cid].next = list(record.next)
        return self._yield(cid)

    def _task_begins(self, task_id: str, step: int) -> None:
        """A task (re)runs: it no longer waits, nor do the tasks of earlier steps."""
        self._order.setdefault(task_id, len(self._order))
        self._pending.pop(task_id, None)
        for tid, (at, _) in list(self._pending.items()):
            if at < step:
                del self._pending[tid]

    def _waiting(self) -> tuple[dict[str, Any], ...]:
        """The interrupts the run waits on, in task order (as get_state lists them)."""
        tasks = sorted(self._pending, key=lambda tid: self._order.get(tid, len(self._order)))
        return tuple(i for tid in tasks for i in self._pending[tid][1])

    def _local_started(self, local: NodeResult, step: int) -> TaskStarted:
        """A local-activity task: history holds its result only; its input was the step's
        state (a Send argument is not recorded)."""
        self._task_begins(local.task_id, step)
        derived = self._derived.get(make_checkpoint_id(self.thread_id, self.run_id, step))
        values = derived.values if derived is not None else {}
        return TaskStarted(
            self.run_id, local.node, local.task_id, step, values, _triggers(local.node)
        )

    def _finished(self, result: NodeResult, step: int, node: str, task_id: str) -> list[RunEvent]:
        interrupts: tuple[dict[str, Any], ...] = ()
        if result.child_pending is not None:
            interrupts = tuple(p.view() for p in result.child_pending)
        elif result.interrupt is not None:
            raised = result.interrupt
            # The id the run gives it (tempograph._engine.resume.pending_interrupts).
            interrupts = (
                {
                    "value": raised.value,
                    "id": stable_id(task_id, raised.slot),
                    "response_schema": raised.response_schema,
                },
            )
        paused = result.interrupt is not None or result.child_pending is not None
        if paused:
            self._order.setdefault(task_id, len(self._order))
            self._pending[task_id] = (step, interrupts)
        return [
            TaskFinished(
                self.run_id,
                node,
                task_id,
                step,
                writes={} if paused else dict(result.writes),
                interrupts=interrupts,
                custom=tuple(result.custom),
            )
        ]

    async def _failed(self, scheduled_event_id: int, failure: Any) -> list[RunEvent]:
        """A node activity failed for good (retries exhausted) or timed out."""
        task = self._scheduled.get(scheduled_event_id)
        if task is None:
            return []
        cause = await self.converter.decode_failure(failure)
        kind = cause.type if isinstance(cause, ApplicationError) and cause.type else None
        error = {
            "error": kind or type(cause).__name__,
            "message": str(getattr(cause, "message", None) or cause),
        }
        return [TaskFinished(self.run_id, task.node, task.task_id, task.step, error=error)]

    # -----------------------------------------------------------------------------------------
    # Subgraph tasks (child runs): history holds their start, the pauses they signal, their end.
    # -----------------------------------------------------------------------------------------

    def _child_started(self, started: Any, when: datetime) -> list[RunEvent]:
        initiated = self._initiated.pop(started.initiated_event_id, None)
        if initiated is None:
            return []
        workflow_id, child_input = initiated
        found = _subgraph_task(self.thread_id, workflow_id, self._step)
        if found is None:
            log.warning("subgraph task not recognised in history", child_id=workflow_id)
            return []
        node, task_id, step = found
        self._step = max(self._step, step)
        # A Send's argument, unless it holds every channel of the state (history does not
        # say which input a child run got).
        known = self._derived.get(self._latest or "") or self._recorded.get(self._latest or "")
        is_send = known is not None and not (
            isinstance(child_input, dict) and set(known.values) <= set(child_input)
        )
        child = _Child(
            workflow_id,
            started.workflow_execution.run_id,
            node,
            task_id,
            step,
            child_input,
            is_send,
        )
        self._children[workflow_id] = child
        self._task_begins(task_id, step)
        out: list[RunEvent] = []
        cid = make_checkpoint_id(self.thread_id, self.run_id, step)
        if cid not in self._derived and not is_send and isinstance(child_input, dict):
            # A step of subgraph tasks only: its state is what the child runs start from.
            self._batch = (step, -started.initiated_event_id)
            self._derived[cid] = self._derive(step, dict(child_input), when)
            self._derived[cid].next = [node]
            out += self._yield(cid)
        return [*out, child.started(self.run_id)]

    async def _child_paused(self, payloads: Any) -> list[RunEvent]:
        try:
            [paused] = await self.converter.decode(list(payloads), [ChildPaused])
        except Exception:  # noqa: BLE001 - not ours: the run drops it too
            return []
        child = self._children.get(paused.child_id) if isinstance(paused, ChildPaused) else None
        if child is None:
            return []
        child.pauses += 1
        child.paused = True
        result = NodeResult(child_pending=list(paused.pending))
        return self._finished(result, child.step, child.node, child.task_id)

    async def _child_completed(self, workflow_id: str, result: Any) -> list[RunEvent]:
        child = self._children.pop(workflow_id, None)
        if child is None:
            return []
        decoded = await self.converter.decode(list(result.payloads), [dict])
        values = decoded[0] if decoded and isinstance(decoded[0], dict) else {}
        # The run takes the child's final values of its own channels (the pinned graph's).
        writes = {k: v for k, v in values.items() if self._channels is None or k in self._channels}
        return [TaskFinished(self.run_id, child.node, child.task_id, child.step, writes=writes)]

    async def _child_failed(self, workflow_id: str, failure: Any) -> list[RunEvent]:
        child = self._children.pop(workflow_id, None)
        if child is None:
            return []
        cause = await self.converter.decode_failure(failure)
        cause = getattr(cause, "cause", None) or cause  # the child's own failure
        error = {
            "error": (cause.type if isinstance(cause, ApplicationError) else None)
            or type(cause).__name__,
            "message": str(getattr(cause, "message", None) or cause),
        }
        return [TaskFinished(self.run_id, child.node, child.task_id, child.step, error=error)]

    async def _stream_batch(self, payloads: Any) -> StreamBatch | None:
        try:
            [batch] = await self.converter.decode(list(payloads), [StreamBatch])
        except Exception as exc:  # noqa: BLE001 - a bad batch must not stop the reader
            log.warning("unreadable live output in history", error=str(exc))
            return None
        return batch if isinstance(batch, StreamBatch) else None

    def _update(
        self, result: NodeResult, step: int, node: str, task_id: str, when: datetime
    ) -> list[RunEvent]:
        if result.interrupt is not None or result.child_pending is not None:
            return []  # the task paused: it wrote nothing
        update = NodeUpdate(
            step=step, node=node, task_id=task_id, values=dict(result.writes), finished_at=when
        )
        self.updates.append(update)
        return [NodeUpdated(self.run_id, update)]

    async def _closed(self, event: HistoryEvent, when: datetime) -> list[RunEvent]:
        end: Ended | ContinuedAsNew | None = None
        if event.HasField("workflow_execution_completed_event_attributes"):
            result = event.workflow_execution_completed_event_attributes.result
            decoded = await self.converter.decode(list(result.payloads), [dict])
            output = decoded[0] if decoded and isinstance(decoded[0], dict) else None
            end = Ended(self.run_id, "COMPLETED", when, output=output)
        elif event.HasField("workflow_execution_failed_event_attributes"):
            failure = event.workflow_execution_failed_event_attributes.failure
            cause = await self.converter.decode_failure(failure)
            end = Ended(self.run_id, "FAILED", when, error=run_error(cause))
        elif event.HasField("workflow_execution_continued_as_new_event_attributes"):
            new_run_id = event.workflow_execution_continued_as_new_event_attributes
            end = ContinuedAsNew(self.run_id, new_run_id.new_execution_run_id, when)
        elif event.event_type in _CLOSED:
            end = Ended(self.run_id, _CLOSED[event.event_type], when)
        if end is not None:
            end = dataclasses.replace(end, event_id=event.event_id)
        if end is None:
            return []
        self.end = end
        return [end]

    def _state_of(self, ref: StateRef | None, legacy: dict[str, Any] | None) -> dict[str, Any]:
        if ref is None:
            return legacy or {}
        values = statedelta.resolve(ref, self._known)
        if values is None:
            log.warning("checkpoint state missing from history", version=ref.version)
            return {}
        self._known[ref.version] = values
        return values

    def _derive(self, step: int, values: dict[str, Any], when: datetime) -> Checkpoint:
        self._first_step = step if self._first_step is None else self._first_step
        checkpoint = Checkpoint(
            checkpoint_id=make_checkpoint_id(self.thread_id, self.run_id, step),
            thread_id=self.thread_id,
            run_id=self.run_id,
            step=step,
            source="input" if self._from_input and step == self._first_step else "loop",
            values=values,
            next=[],
            created_at=when,
        )
        self._latest = checkpoint.checkpoint_id
        return checkpoint

    def _view(self, cid: str) -> Checkpoint:
        """The checkpoint as get_state_history shows it."""
        derived, recorded = self._derived.get(cid), self._recorded.get(cid)
        if recorded is None:
            assert derived is not None
            return derived
        if derived is not None and recorded.source == "loop":
            # The recorded pause comes first; the derived one may include a later edit.
            return recorded.model_copy(update={"source": derived.source})
        return recorded

    def _yield(self, cid: str) -> list[RunEvent]:
        """The checkpoint's current view, unless it was yielded as it is already."""
        view = self._view(cid)
        seen = view.model_dump_json(include={"values", "next", "source"})
        before = self._yielded.get(cid)
        if before == seen:
            return []
        self._yielded[cid] = seen
        return [Checkpointed(view.model_copy(deep=True), revised=before is not None)]

    async def _local_node_result(self, marker: MarkerRecordedEventAttributes) -> NodeResult | None:
        """The result of a node run as a local activity (a marker), if `marker` is one."""
        result = await self._local_result(marker, NODE_ACTIVITY, NodeResult)
        return result if isinstance(result, NodeResult) else None

    async def _local_result(
        self, marker: MarkerRecordedEventAttributes, activity: str, kind: type[Any]
    ) -> Any:
        """The result of local activity `activity` (a marker), if `marker` is one."""
        if marker.marker_name != LOCAL_ACTIVITY_MARKER or "result" not in marker.details:
            return None
        try:
            info = json.loads(marker.details["data"].payloads[0].data)
        except (KeyError, IndexError, ValueError):
            return None
        if info.get("activity_type") != activity:
            return None
        try:
            [result] = await self.converter.decode(list(marker.details["result"].payloads), [kind])
        except Exception:  # noqa: BLE001 - a result this reader cannot read is skipped
            log.warning("unreadable local activity result in history", activity=activity)
            return None
        return result


@dataclass
class _Child:
    """A subgraph task's child run, as the reader knows it."""

    workflow_id: str
    run_id: str
    node: str
    task_id: str
    step: int
    input: Any
    is_send: bool = False
    pauses: int = 0  # the pauses it signalled
    paused: bool = False  # its latest pause has not been answered yet

    def started(self, run_id: str) -> TaskStarted:
        return TaskStarted(
            run_id,
            self.node,
            self.task_id,
            self.step,
            self.input,
            _triggers(self.node, is_send=self.is_send),
            child=ChildRun(self.workflow_id, self.run_id, self.pauses),
        )


# How far past the latest step seen, and how many tasks in a step, a subgraph task is looked for.
_STEPS_AHEAD = 64
_TASKS_PER_STEP = 256


def _subgraph_task(thread_id: str, child_id: str, step: int) -> tuple[str, str, int] | None:
    """(node, task id, step) of the subgraph task that runs as child `child_id`. Its id is
    `{thread}/{node}/{task id[:8]}` and task ids are stable_id(thread, step, index, node)
    (tempograph._engine.tasks.TaskSlot.of): history does not hold the rest, so the task id is
    found from the step the reader is at (normally at once: that step or the next, index 0)."""
    prefix = f"{thread_id}/"
    if not child_id.startswith(prefix):
        return None
    node, sep, short = child_id[len(prefix) :].rpartition("/")
    if not sep or not node:
        return None
    for at in range(max(step, 0), max(step, 0) + _STEPS_AHEAD):
        for index in range(_TASKS_PER_STEP):
            task_id = stable_id(thread_id, at, index, node)
            if task_id.startswith(short):
                return node, task_id, at
    return None


def _triggers(node: str, *, is_send: bool = False) -> tuple[str, ...]:
    """What triggered a task, in LangGraph's channel names (an edge or goto to the node writes
    "branch:to:<node>"; a Send is a push task)."""
    return ("__pregel_push",) if is_send else (f"branch:to:{node}",)


def _stamped(events: list[RunEvent], event_id: int) -> list[RunEvent]:
    """The events, each with the history event id it came from (kept when already set)."""
    return [e if e.event_id else dataclasses.replace(e, event_id=event_id) for e in events]


async def read_events(reader: RunReader, events: Iterable[HistoryEvent]) -> RunReader:
    """Feed a whole (recorded) history to `reader`."""
    for event in events:
        await reader.feed(event)
    reader.close()
    return reader


async def read_run(client: Client, thread_id: str, run_id: str) -> RunReader:
    """One pass over a run's history as it is now."""
    reader = RunReader(thread_id, run_id, client.data_converter)
    handle = client.get_workflow_handle(thread_id, run_id=run_id)
    async for event in handle.fetch_history_events():
        await reader.feed(event)
    reader.close()
    return reader


async def follow(
    client: Client, thread_id: str, run_id: str, *, after_event: int = 0
) -> AsyncIterator[RunEvent]:
    """The run's events from its start, then live as its history grows (long polls: the
    history is read once), into the next run when it continues as new; ends with the
    Ended event of the thread's last run. `after_event`: what the run's first `after_event`
    history events added is read (later events build on it) but not yielded (a stream of
    a resume shows only what the resume adds)."""
    while True:
        reader = RunReader(thread_id, run_id, client.data_converter)
        events = client.get_workflow_handle(thread_id, run_id=run_id).fetch_history_events(
            wait_new_event=True, skip_archival=True
        )
        fresh = after_event <= 0
        async for event in events:
            fresh = event.event_id > after_event
            for out in await reader.feed(event):
                if fresh:
                    yield out
            if _page_read(events):
                # The server returns a workflow task's commands together: a step's node
                # activities are all known by the end of a page.
                for out in reader.close():
                    if fresh:
                        yield out
        for out in reader.close():
            if fresh:
                yield out
        if not isinstance(reader.end, ContinuedAsNew):
            return
        run_id, after_event = reader.end.new_run_id, 0


def _page_read(events: WorkflowHistoryEventAsyncIterator) -> bool:
    page = events.current_page
    return page is not None and events.current_page_index >= len(page)
