"""The Agent Server model (assistants, threads, runs) on top of GraphClient and Temporal.

Where each thing lives:

* assistant: one per served graph, computed (a deterministic UUID, as the real server's system
  assistants); nothing is stored.
* thread: a Temporal workflow id. Its state, status, interrupts and history are read from the
  thread's GraphRun executions. A thread created with POST /threads, and any thread whose
  metadata was set, also has a record: a small TempographThread workflow (id
  `<thread>/thread`, tempograph/_workflows/thread_record.py) holding the metadata in its memo,
  so a thread never run and its metadata survive a server restart. Threads started by a run
  alone show {"graph_id", "assistant_id"} (from the run's search attribute).
* run: a GraphRun execution; `run_id` is its Temporal run id. A HITL resume continues the same
  execution, so the runs that answer a thread's interrupts share the run id of the run that
  asked. In-process records add the request details (kwargs, metadata) and the state of runs
  still queued in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution as ExecutionRef
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from tempograph import limits
from tempograph.client import RESUME_ERROR_KINDS, GraphClient
from tempograph.errors import (
    GraphRunError,
    InvalidUpdateError,
    ResumeError,
    TempographError,
    ThreadBusyError,
    ThreadNotFoundError,
)
from tempograph.http.bounded import DEFAULT_CAP, BoundedDict, BoundedSet
from tempograph.http.schemas import CommandBody, RunBody
from tempograph.messages import (
    GRAPH_ATTRIBUTE,
    STATE_QUERY,
    STATUS_ATTRIBUTE,
    THREAD_MEMO,
    THREAD_PATCH_UPDATE,
    THREAD_RECORD_WORKFLOW,
    WAIT_UPDATE,
    WORKFLOW_TYPE,
    Checkpoint,
    PendingInterrupt,
    StateSnapshot,
    ThreadMetadata,
    WaitInput,
    thread_memo,
    thread_record_id,
)
from tempograph.ownership import own_runs, quote
from tempograph.types import Command, Interrupt

log = logging.getLogger("tempograph.http")

# langgraph-api's namespace for system assistants: uuid5(NAMESPACE_GRAPH, graph_id).
NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")

NOT_FOUND = "Thread or assistant not found."
# A thread id whose workflow id is held by an execution Tempograph did not start (another
# team's workflow in the namespace): never touched, never shown; creating on it is refused
# without saying what holds it.
UNAVAILABLE = (
    "Thread ID {} is not available: a Temporal workflow that is not a Tempograph thread uses "
    "this id. Choose another thread id."
)
BUSY = (
    "Thread is already running a task. Wait for it to finish or choose a different multitask "
    "strategy."
)
NODE_FAILED = re.compile(r"^Node '[^']*' failed: ")
CLOSED_RESUMABLE = {
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
}
CANCELLED = {WorkflowExecutionStatus.CANCELED, WorkflowExecutionStatus.TERMINATED}
MAX_SEARCHED = 500
DELETED_REASON = "thread deleted"
# A state query needs a worker: without one, answer "unknown" instead of hanging.
QUERY_TIMEOUT = timedelta(seconds=5)
MAX_RUN_RECORDS = DEFAULT_CAP  # run records kept in memory (Temporal keeps the runs)


class HttpError(Exception):
    """An error answer: status code and {"detail": ...}."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def now() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def assistant_id_of(graph: str) -> str:
    return str(uuid.uuid5(NAMESPACE_GRAPH, graph))


def token_matches(expected: str, authorization: str | None, api_key: str | None) -> bool:
    """`Authorization: Bearer <token>` or `x-api-key: <token>`, compared in constant time."""
    given: list[str] = []
    if api_key:
        given.append(api_key)
    if authorization and authorization.lower().startswith("bearer "):
        given.append(authorization[7:].strip())
    return any(hmac.compare_digest(g.encode(), expected.encode()) for g in given)


@dataclass
class ThreadEntry:
    """This process's view of a thread: its record (metadata, from Temporal when persisted) and
    what only this process knows (its lock, a refused resume)."""

    thread_id: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    # Whether Temporal holds this thread's record (a TempographThread workflow).
    persisted: bool = False
    # One run at a time per thread, in this process (multitask_strategy waits or refuses here).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The error of the last run when it left the Temporal run untouched (a refused resume):
    # the thread shows status "error" until the run moves on (the checkpoint changes).
    error: dict[str, str] | None = None
    error_checkpoint: str | None = None


@dataclass
class _Candidate:
    """A thread in a search: its record and latest execution, as listed (cheap)."""

    thread_id: str
    record: ThreadEntry | None
    execution: WorkflowExecution | None
    status: str = "idle"

    def metadata(self) -> dict[str, Any]:
        meta = dict(self.record.metadata) if self.record else {}
        if self.execution is not None:
            graph = self.execution.typed_search_attributes.get(GRAPH_ATTRIBUTE) or ""
            meta.setdefault("graph_id", graph)
            meta.setdefault("assistant_id", assistant_id_of(graph))
        return meta

    def sort_key(self, key: str) -> str:
        ex = self.execution
        if key == "thread_id":
            return self.thread_id
        if key == "status":
            return self.status
        created = self.record.created_at if self.record else ex.start_time if ex else None
        if key == "created_at":
            return iso(created) or ""
        stamps = [self.record.updated_at] if self.record else []
        if ex is not None:
            stamps += [d for d in (ex.close_time, ex.start_time) if d is not None]
        return iso(max(stamps)) or "" if stamps else ""


@dataclass
class RunRecord:
    run_id: str
    thread_id: str
    assistant_id: str
    graph: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any]
    kwargs: dict[str, Any]
    multitask_strategy: str
    status: str = "pending"
    task: asyncio.Task[dict[str, Any]] | None = None
    body: dict[str, Any] | None = None
    known: asyncio.Event = field(default_factory=asyncio.Event)
    temporal_run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "status": self.status,
            "metadata": self.metadata,
            "kwargs": self.kwargs,
            "multitask_strategy": self.multitask_strategy,
        }


@dataclass
class RunRequest:
    """A validated run: what to do on which thread."""

    thread_id: str
    graph: str
    input: dict[str, Any] | None
    command: Command | None
    interrupt_before: list[str] | str | None
    interrupt_after: list[str] | str | None
    recursion_limit: int | None
    checkpoint_id: str | None


def interrupt_json(i: Interrupt | PendingInterrupt | dict[str, Any]) -> dict[str, Any]:
    if isinstance(i, dict):
        return {
            "value": i.get("value"),
            "id": i.get("id"),
            "response_schema": i.get("response_schema"),
        }
    return {"value": i.value, "id": i.id, "response_schema": i.response_schema}


def wait_body(output: dict[str, Any]) -> dict[str, Any]:
    """What GraphClient.invoke returned, as the server's wait body: values plus
    `__interrupt__` at a dynamic interrupt; only `__interrupt__` when several are pending."""
    if "__interrupt__" not in output:
        return dict(output)
    interrupts = [interrupt_json(i) for i in output["__interrupt__"]]
    if len(interrupts) > 1:
        return {"__interrupt__": interrupts}
    body = {k: v for k, v in output.items() if k != "__interrupt__"}
    body["__interrupt__"] = interrupts
    return body


def error_body(error: str, message: str) -> dict[str, Any]:
    return {"__error__": {"error": error, "message": message}}


async def _thread_memo(execution: WorkflowExecution) -> ThreadMetadata:
    memo = await execution.memo_value(THREAD_MEMO, default=None, type_hint=ThreadMetadata)
    return memo if isinstance(memo, ThreadMetadata) else ThreadMetadata()


def check_new_thread_id(thread_id: str) -> None:
    """422 for a thread id that could never be addressed again (limits.check_thread_id)."""
    try:
        limits.check_thread_id(thread_id)
    except limits.LimitError as exc:
        raise HttpError(422, f"thread_id: {exc}") from None


def check_message(what: str, value: Any) -> None:
    """A value the request sends to a run or a thread record: at most limits.MAX_JSON_DEPTH
    levels deep (422) and limits.MAX_MESSAGE_BYTES as JSON (413), checked before anything
    reaches Temporal."""
    if value is None:
        return
    try:
        limits.check_depth(value, what)
    except limits.LimitError as exc:
        raise HttpError(422, str(exc)) from None
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "replace"))
    if size > limits.MAX_MESSAGE_BYTES:
        raise HttpError(
            413,
            f"{what} is {size} bytes as JSON; Tempograph's limit for one message to a run or "
            f"thread is {limits.MAX_MESSAGE_BYTES} bytes (limits.MAX_MESSAGE_BYTES). Store large "
            "data elsewhere and pass a reference.",
        )


def _addressable(thread_id: str) -> bool:
    try:
        limits.check_thread_id(thread_id)
    except limits.LimitError:
        return False
    return True


def _subset(wanted: dict[str, Any] | None, actual: dict[str, Any] | None) -> bool:
    if not wanted:
        return True
    actual = actual or {}
    return all(k in actual and actual[k] == v for k, v in wanted.items())


class Service:
    def __init__(
        self, graph_client: GraphClient, graph_names: list[str], *, cache_size: int = DEFAULT_CAP
    ) -> None:
        self.gc = graph_client
        self.client: Client = graph_client.client
        self.graphs = list(dict.fromkeys(graph_names))
        self.started_at = now()
        # Bounded (least recently used out): a long-lived server sees unboundedly many ids.
        # A thread whose lock is held, and a run still going, stay until released.
        self.threads: BoundedDict[str, ThreadEntry] = BoundedDict(
            cache_size, pinned=lambda t: t.lock.locked()
        )
        self.runs: BoundedDict[str, RunRecord] = BoundedDict(  # provisional and Temporal ids
            cache_size, pinned=lambda r: r.task is not None and not r.task.done()
        )
        self.deleted: BoundedSet[str] = BoundedSet(cache_size)
        # Temporal runs cancelled by a newer run's input / by POST .../cancel.
        self.superseded: BoundedSet[str] = BoundedSet(cache_size)
        self.user_cancelled: BoundedSet[str] = BoundedSet(cache_size)
        self.tasks: set[asyncio.Task[Any]] = set()

    # -----------------------------------------------------------------------------------------
    # Assistants.
    # -----------------------------------------------------------------------------------------

    def assistant(self, graph: str) -> dict[str, Any]:
        return {
            "assistant_id": assistant_id_of(graph),
            "graph_id": graph,
            "config": {},
            "context": {},
            "created_at": iso(self.started_at),
            "updated_at": iso(self.started_at),
            "metadata": {"created_by": "system"},
            "version": 1,
            "name": graph,
            "description": None,
        }

    def graph_of(self, assistant_id: str) -> str | None:
        """The graph an assistant id names: a graph name or its system assistant's UUID."""
        if assistant_id in self.graphs:
            return assistant_id
        for graph in self.graphs:
            if assistant_id_of(graph) == assistant_id:
                return graph
        return None

    def search_assistants(
        self,
        *,
        graph_id: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        found = [self.assistant(g) for g in self.graphs]
        return [
            a
            for a in found
            if (graph_id is None or a["graph_id"] == graph_id)
            and (name is None or name.lower() in a["name"].lower())
            and _subset(metadata, a["metadata"])
        ]

    # -----------------------------------------------------------------------------------------
    # Temporal look-ups.
    # -----------------------------------------------------------------------------------------

    async def describe(
        self, thread_id: str, run_id: str | None = None
    ) -> WorkflowExecutionDescription | None:
        """The thread's latest execution (or one run of it); None when there is none."""
        if run_id is None and thread_id in self.deleted:
            return None
        return await self._describe_graph_run(thread_id, run_id)

    async def _describe_graph_run(
        self, thread_id: str, run_id: str | None = None
    ) -> WorkflowExecutionDescription | None:
        try:
            desc = await self.client.get_workflow_handle(thread_id, run_id=run_id).describe()
        except RPCError as exc:
            if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                return None
            raise
        return desc if desc.workflow_type == WORKFLOW_TYPE else None

    @staticmethod
    def graph_name(desc: WorkflowExecutionDescription) -> str:
        return desc.typed_search_attributes.get(GRAPH_ATTRIBUTE) or ""

    async def snapshot(self, thread_id: str, run_id: str | None = None) -> StateSnapshot | None:
        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        try:
            return await handle.query(
                STATE_QUERY, result_type=StateSnapshot, rpc_timeout=QUERY_TIMEOUT
            )
        except Exception as exc:  # noqa: BLE001 - a state we cannot read is shown as unknown
            log.warning("cannot query the state of %s: %s", thread_id, exc)
            return None

    async def failure(
        self, thread_id: str, run_id: str | None = None, fallback: str = "The run failed"
    ) -> dict[str, str]:
        """{"error", "message"} of a failed execution (the node's exception type)."""
        desc = await self.describe(thread_id, run_id)
        if desc is None or desc.status != WorkflowExecutionStatus.FAILED:
            return {"error": "GraphRunError", "message": fallback}
        try:
            await self.client.get_workflow_handle(thread_id, run_id=desc.run_id).result(
                follow_runs=False
            )
        except WorkflowFailureError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError):
                return {
                    "error": cause.type or "GraphRunError",
                    "message": NODE_FAILED.sub("", cause.message),
                }
            return {"error": type(cause).__name__, "message": str(cause)}
        except Exception as exc:  # noqa: BLE001
            return {"error": type(exc).__name__, "message": str(exc)}
        return {"error": "GraphRunError", "message": fallback}

    async def _result(self, thread_id: str, run_id: str) -> dict[str, Any] | None:
        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        try:
            result: dict[str, Any] = await handle.result(follow_runs=False)
        except Exception as exc:  # noqa: BLE001 - shown as unknown values
            log.warning("cannot read the result of %s: %s", thread_id, exc)
            return None
        return result

    async def lookup(
        self, thread_id: str
    ) -> tuple[ThreadEntry | None, WorkflowExecutionDescription | None]:
        record, desc = await asyncio.gather(self.load_record(thread_id), self.describe(thread_id))
        # load_record may just have found the thread's tombstone.
        return record, None if thread_id in self.deleted else desc

    async def load_record(self, thread_id: str) -> ThreadEntry | None:
        """The thread's record: cached in this process, else read from its TempographThread
        workflow (created by another process, or before a restart)."""
        record = self.threads.get(thread_id)
        if record is not None or thread_id in self.deleted:
            return record
        desc = await self._describe_record(thread_id)
        if desc is None:
            return None
        if desc.status == WorkflowExecutionStatus.RUNNING:
            return self._cache_record(thread_id, desc, await _thread_memo(desc))
        if desc.status == WorkflowExecutionStatus.TERMINATED and desc.close_time is not None:
            # A tombstone: the thread was deleted (by any server process), unless a run
            # started on it afterwards.
            latest = await self._describe_graph_run(thread_id)
            if latest is None or latest.start_time < desc.close_time:
                self.deleted.add(thread_id)
        return None

    async def _describe_any(
        self, workflow_id: str, run_id: str | None = None
    ) -> WorkflowExecutionDescription | None:
        """The execution of `workflow_id` whatever its type (for ownership checks only)."""
        try:
            return await self.client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        except RPCError as exc:
            if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                return None
            raise

    async def _describe_record(self, thread_id: str) -> WorkflowExecutionDescription | None:
        """The thread's TempographThread record execution; None when there is none, or when
        another workflow uses the record's id."""
        desc = await self._describe_any(thread_record_id(thread_id))
        return desc if desc is not None and desc.workflow_type == THREAD_RECORD_WORKFLOW else None

    async def foreign(self, thread_id: str) -> bool:
        """Whether an execution Tempograph did not start holds the thread's workflow id or its
        record's (then the thread can be neither created nor run, and is never touched)."""
        for workflow_id, own_type in (
            (thread_id, WORKFLOW_TYPE),
            (thread_record_id(thread_id), THREAD_RECORD_WORKFLOW),
        ):
            desc = await self._describe_any(workflow_id)
            # A closed record id may be reused; a thread id whose latest run is not a GraphRun
            # may not (the next run would take that execution for its previous run).
            if (
                desc is not None
                and desc.workflow_type != own_type
                and (workflow_id == thread_id or desc.status == WorkflowExecutionStatus.RUNNING)
            ):
                return True
        return False

    def _cache_record(
        self, thread_id: str, execution: WorkflowExecution, memo: ThreadMetadata
    ) -> ThreadEntry:
        record = self.threads.get(thread_id)
        if record is None:
            record = ThreadEntry(
                thread_id,
                execution.start_time,
                memo.updated_at or execution.start_time,
                dict(memo.metadata),
                persisted=True,
            )
            self.threads[thread_id] = record
        return record

    async def _save_metadata(self, record: ThreadEntry, patch: dict[str, Any]) -> None:
        """Merge `patch` into the thread's record in Temporal (starting the record workflow if
        it does not exist: update-with-start), then into the cached copy."""
        if await self.foreign(record.thread_id):
            raise HttpError(409, UNAVAILABLE.format(record.thread_id))
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            THREAD_RECORD_WORKFLOW,
            ThreadMetadata(metadata=record.metadata),
            id=thread_record_id(record.thread_id),
            task_queue=self.gc.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            memo=thread_memo(ThreadMetadata(metadata=record.metadata)),
        )
        saved = await self.client.execute_update_with_start_workflow(
            THREAD_PATCH_UPDATE,
            ThreadMetadata(metadata=patch),
            start_workflow_operation=start,
            result_type=ThreadMetadata,
        )
        record.metadata = dict(saved.metadata)
        record.updated_at = saved.updated_at or now()
        record.persisted = True

    async def _tombstone(self, thread_id: str) -> None:
        """Leave the thread's record terminated: the mark that the thread was deleted.

        Temporal deletes executions in the background (the thread's GraphRun executions may be
        described for a while after DeleteWorkflowExecution), so every server process reads
        this mark instead: a thread whose record was terminated after its latest run started
        is gone. Terminating is immediate and needs no worker. Only a TempographThread
        execution is terminated: when another workflow runs under the record's id, the thread
        has no record and is marked deleted in this process only."""
        handle = await self.client.start_workflow(
            THREAD_RECORD_WORKFLOW,
            ThreadMetadata(),
            id=thread_record_id(thread_id),
            task_queue=self.gc.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        # USE_EXISTING answers with the running execution's run id, whatever its type.
        run_id = handle.result_run_id or handle.run_id
        desc = await self._describe_any(thread_record_id(thread_id), run_id)
        if desc is None or desc.workflow_type != THREAD_RECORD_WORKFLOW:
            return
        await self.client.get_workflow_handle(thread_record_id(thread_id), run_id=run_id).terminate(
            reason=DELETED_REASON
        )

    def record(self, thread_id: str, metadata: dict[str, Any] | None = None) -> ThreadEntry:
        record = self.threads.get(thread_id)
        if record is None:
            stamp = now()
            record = ThreadEntry(thread_id, stamp, stamp, dict(metadata or {}))
            self.threads[thread_id] = record
            self.deleted.discard(thread_id)
        return record

    # -----------------------------------------------------------------------------------------
    # Threads.
    # -----------------------------------------------------------------------------------------

    async def thread_json(
        self,
        thread_id: str,
        record: ThreadEntry | None,
        desc: WorkflowExecutionDescription | None,
    ) -> dict[str, Any]:
        metadata = dict(record.metadata) if record else {}
        created = record.created_at if record else None
        updated = record.updated_at if record else None
        status, values, error = "idle", None, None
        interrupts: dict[str, list[dict[str, Any]]] = {}
        if desc is not None:
            graph = self.graph_name(desc)
            metadata.setdefault("graph_id", graph)
            metadata.setdefault("assistant_id", assistant_id_of(graph))
            created = created or desc.start_time
            updated = max(d for d in (updated, desc.close_time, desc.start_time) if d is not None)
            snap = None
            if desc.status == WorkflowExecutionStatus.COMPLETED:
                # The run's result holds its final values: no query (no history replay).
                values = await self._result(thread_id, desc.run_id)
                status = "idle"
            else:
                snap = await self.snapshot(thread_id)
                values = snap.values if snap is not None else None
                status, error = await self._status(thread_id, record, desc, snap)
            if snap is not None and snap.paused_at == "interrupt":
                for p in snap.interrupts:
                    item: dict[str, Any] = {"id": p.id, "value": p.value}
                    if p.response_schema is not None:
                        item["response_schema"] = p.response_schema
                    interrupts.setdefault(p.task_id, []).append(item)
        if record is not None and record.lock.locked():
            status = "busy"
        stamp = created or now()
        return {
            "thread_id": thread_id,
            "created_at": iso(stamp),
            "updated_at": iso(updated or stamp),
            "state_updated_at": iso(updated or stamp),
            "metadata": metadata,
            "status": status,
            "config": {},
            "values": values,
            "error": error,
            "interrupts": interrupts,
        }

    async def _status(
        self,
        thread_id: str,
        record: ThreadEntry | None,
        desc: WorkflowExecutionDescription,
        snap: StateSnapshot | None,
    ) -> tuple[str, dict[str, str] | None]:
        if desc.status == WorkflowExecutionStatus.RUNNING:
            if snap is None or snap.status == "running":
                return "busy", None
            refused = record.error if record is not None else None
            if refused and record is not None and record.error_checkpoint == snap.checkpoint_id:
                return "error", refused
            return "interrupted", None
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            return "idle", None
        if desc.status == WorkflowExecutionStatus.FAILED:
            failure = await self.failure(thread_id)
            if not self._was_cancelled(desc, failure):
                return "error", failure
        if desc.status in CANCELLED or desc.status == WorkflowExecutionStatus.FAILED:
            # Cancelled part-way: a run without input continues from the latest checkpoint.
            return "interrupted", {"error": "UserInterrupt", "message": "The run was cancelled"}
        ended = desc.status.name if desc.status is not None else "unknown"
        return "error", {"error": "Timeout", "message": f"The run ended: {ended}"}

    def _was_cancelled(self, desc: WorkflowExecution, failure: dict[str, str]) -> bool:
        """A run cancelled while a node ran ends as failed with a CancelledError."""
        cancelled = desc.run_id in self.user_cancelled or desc.run_id in self.superseded
        return cancelled or failure["error"] == "CancelledError"

    async def get_thread(self, thread_id: str) -> dict[str, Any]:
        record, desc = await self.lookup(thread_id)
        if record is None and desc is None:
            raise HttpError(404, f"Thread with ID {thread_id} not found")
        return await self.thread_json(thread_id, record, desc)

    async def create_thread(
        self, thread_id: str | None, metadata: dict[str, Any] | None, if_exists: str | None
    ) -> dict[str, Any]:
        thread_id = thread_id or str(uuid.uuid4())
        check_new_thread_id(thread_id)
        check_message("metadata", metadata)
        record, desc = await self.lookup(thread_id)
        if record is not None or desc is not None:
            if if_exists == "do_nothing":
                return await self.thread_json(thread_id, record, desc)
            raise HttpError(409, f"Thread with ID {thread_id} already exists")
        if await self.foreign(thread_id):
            raise HttpError(409, UNAVAILABLE.format(thread_id))
        stamp = now()
        record = ThreadEntry(thread_id, stamp, stamp, dict(metadata or {}))
        try:
            await self.client.start_workflow(
                THREAD_RECORD_WORKFLOW,
                ThreadMetadata(metadata=record.metadata),
                id=thread_record_id(thread_id),
                task_queue=self.gc.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                memo=thread_memo(ThreadMetadata(metadata=record.metadata)),
            )
        except WorkflowAlreadyStartedError:
            # Created meanwhile by another request or server process (or another workflow
            # took the record's id meanwhile).
            if await self.foreign(thread_id):
                raise HttpError(409, UNAVAILABLE.format(thread_id)) from None
            if if_exists == "do_nothing":
                return await self.get_thread(thread_id)
            raise HttpError(409, f"Thread with ID {thread_id} already exists") from None
        record.persisted = True
        self.threads[thread_id] = record
        self.deleted.discard(thread_id)
        return await self.thread_json(thread_id, record, None)

    async def patch_thread(self, thread_id: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
        check_message("metadata", metadata)
        record, desc = await self.lookup(thread_id)
        if record is None and desc is None:
            raise HttpError(404, f"Thread with ID {thread_id} not found")
        record = record or self.record(thread_id)
        await self._save_metadata(record, metadata or {})
        return await self.thread_json(thread_id, record, desc)

    async def delete_thread(self, thread_id: str) -> None:
        record, desc = await self.lookup(thread_id)
        if record is None and desc is None:
            raise HttpError(404, f"Thread with ID {thread_id} not found")
        await self._delete_executions(thread_id)
        await self._tombstone(thread_id)
        self.threads.pop(thread_id, None)
        self.deleted.add(thread_id)

    async def _delete_executions(self, thread_id: str) -> None:
        """Delete every GraphRun execution of the thread (a running one is terminated first)."""
        run_ids: list[str] = []
        latest = await self.describe(thread_id)
        if latest is not None:
            run_ids.append(latest.run_id)
        with contextlib.suppress(RPCError):
            async for execution in self.client.list_workflows(
                own_runs(f"WorkflowId = {quote(thread_id)}")
            ):
                run_ids.append(execution.run_id)
        for run_id in dict.fromkeys(run_ids):
            request = DeleteWorkflowExecutionRequest(
                namespace=self.client.namespace,
                workflow_execution=ExecutionRef(workflow_id=thread_id, run_id=run_id),
            )
            try:
                await self.client.workflow_service.delete_workflow_execution(request)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise

    async def search_threads(
        self,
        *,
        ids: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        status: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Filter and sort on what Temporal's visibility and describe tell cheaply (status,
        times, graph); build the full thread objects (state queries) for the page only, or for
        every match when filtering on values."""
        candidates = await self._candidates(ids)
        semaphore = asyncio.Semaphore(16)

        async def summary(c: _Candidate) -> _Candidate:
            async with semaphore:
                c.status = await self._cheap_status(c)
            return c

        summed = await asyncio.gather(*(summary(c) for c in candidates))
        found = [
            c
            for c in summed
            if (status is None or c.status == status) and _subset(metadata, c.metadata())
        ]
        key = sort_by or "updated_at"
        found.sort(key=lambda c: c.sort_key(key), reverse=(sort_order or "desc") == "desc")
        if not values:
            found = found[offset : offset + limit]

        async def build(c: _Candidate) -> dict[str, Any]:
            async with semaphore:
                desc = await self.describe(c.thread_id) if c.execution is not None else None
                return await self.thread_json(c.thread_id, c.record, desc)

        built = await asyncio.gather(*(build(c) for c in found))
        if values:
            built = [t for t in built if _subset(values, t["values"])][offset : offset + limit]
        return list(built)

    async def _candidates(self, ids: list[str] | None) -> list[_Candidate]:
        """Threads created here, plus the threads of the served graphs found in Temporal (or
        the threads named by `ids`)."""
        found: dict[str, _Candidate] = {}
        if ids is None and self.graphs:
            names = ", ".join(quote(g) for g in self.graphs)
            query = own_runs(
                f"TempographGraph IN ({names}) AND TaskQueue = {quote(self.gc.task_queue)}"
            )
            try:
                async for execution in self.client.list_workflows(query, limit=MAX_SEARCHED):
                    if execution.parent_id is not None or execution.id in self.deleted:
                        continue
                    known = found.get(execution.id)
                    if known is None or (
                        known.execution is not None
                        and execution.start_time > known.execution.start_time
                    ):
                        found[execution.id] = _Candidate(execution.id, None, execution)
            except RPCError as exc:
                log.warning("cannot list threads from Temporal visibility: %s", exc.message)
            for thread_id, deleted_at in (await self._list_records()).items():
                known = found.get(thread_id)
                if known and known.execution and known.execution.start_time < deleted_at:
                    del found[thread_id]
                    self.deleted.add(thread_id)
        wanted = list(dict.fromkeys(ids)) if ids is not None else list(self.threads)
        wanted = [t for t in wanted if _addressable(t)]
        semaphore = asyncio.Semaphore(16)

        async def add(thread_id: str) -> None:
            async with semaphore:
                record = await self.load_record(thread_id)
                if thread_id in found:
                    found[thread_id].record = record
                    return
                desc = await self.describe(thread_id)
            if record is not None or desc is not None:
                found[thread_id] = _Candidate(thread_id, record, desc)

        await asyncio.gather(*(add(t) for t in wanted))
        return list(found.values())

    async def _list_records(self) -> dict[str, datetime]:
        """Load the records of this task queue's threads (those never run included); return
        the tombstones (thread id -> when it was deleted)."""
        query = (
            f"WorkflowType = {quote(THREAD_RECORD_WORKFLOW)} "
            f"AND ExecutionStatus IN ('Running', 'Terminated') "
            f"AND TaskQueue = {quote(self.gc.task_queue)}"
        )
        tombstones: dict[str, datetime] = {}
        try:
            async for execution in self.client.list_workflows(query, limit=MAX_SEARCHED):
                thread_id = execution.id.removesuffix("/thread")
                if execution.status == WorkflowExecutionStatus.RUNNING:
                    if thread_id not in self.deleted:
                        self._cache_record(thread_id, execution, await _thread_memo(execution))
                elif execution.close_time is not None and thread_id not in self.threads:
                    tombstones[thread_id] = execution.close_time
        except RPCError as exc:
            log.warning("cannot list thread records from Temporal visibility: %s", exc.message)
        # A thread re-created after a deletion has a running record again.
        return {t: when for t, when in tombstones.items() if t not in self.threads}

    async def _cheap_status(self, c: _Candidate) -> str:
        """The thread status from visibility or describe (no state query)."""
        ex = c.execution
        if c.record is not None and c.record.lock.locked():
            return "busy"
        if ex is None:
            return "idle"
        if ex.status == WorkflowExecutionStatus.RUNNING:
            paused = ex.typed_search_attributes.get(STATUS_ATTRIBUTE) == "interrupted"
            if not paused:
                return "busy"
            return "error" if c.record is not None and c.record.error else "interrupted"
        if ex.status == WorkflowExecutionStatus.COMPLETED:
            return "idle"
        if ex.status == WorkflowExecutionStatus.FAILED:
            failure = await self.failure(c.thread_id, ex.run_id)
            if not self._was_cancelled(ex, failure):
                return "error"
        if ex.status in CANCELLED or ex.status == WorkflowExecutionStatus.FAILED:
            return "interrupted"
        return "error"

    # -----------------------------------------------------------------------------------------
    # Thread state and history.
    # -----------------------------------------------------------------------------------------

    async def _existing(
        self, thread_id: str
    ) -> tuple[ThreadEntry | None, WorkflowExecutionDescription | None]:
        record, desc = await self.lookup(thread_id)
        if record is None and desc is None:
            raise HttpError(404, f"Thread with ID {thread_id} not found")
        return record, desc

    async def get_state(self, thread_id: str) -> dict[str, Any]:
        _, desc = await self._existing(thread_id)
        if desc is None:
            return empty_state()
        snap = await self.snapshot(thread_id)
        if snap is None:
            raise HttpError(503, f"Cannot read the state of thread {thread_id} (is a worker up?)")
        history = await self._history(thread_id)
        checkpoint = next((c for c in history if c.checkpoint_id == snap.checkpoint_id), None)
        return state_json(thread_id, self.graph_name(desc), snap, checkpoint)

    async def _history(self, thread_id: str) -> list[Checkpoint]:
        try:
            return await self.gc.get_state_history(thread_id)
        except ThreadNotFoundError:
            return []

    async def get_history(
        self,
        thread_id: str,
        *,
        limit: int,
        before: str | None,
        metadata: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        _, desc = await self._existing(thread_id)
        if desc is None:
            return []
        history = await self._history(thread_id)
        if before is not None:
            ids = [c.checkpoint_id for c in history]
            if before not in ids:
                raise HttpError(404, f"Checkpoint {before} not found in thread {thread_id}")
            history = history[ids.index(before) + 1 :]
        snap = await self.snapshot(thread_id)
        graph = self.graph_name(desc)
        states = [
            state_json(thread_id, graph, snap, c)
            if snap is not None and c.checkpoint_id == snap.checkpoint_id and i == 0
            else checkpoint_state_json(thread_id, graph, c)
            for i, c in enumerate(history)
        ]
        states = [s for s in states if _subset(metadata, s["metadata"])]
        return states[:limit]

    async def get_state_at(self, thread_id: str, checkpoint_id: str) -> dict[str, Any]:
        _, desc = await self._existing(thread_id)
        history = await self._history(thread_id) if desc is not None else []
        for checkpoint in history:
            if checkpoint.checkpoint_id == checkpoint_id:
                assert desc is not None
                return checkpoint_state_json(thread_id, self.graph_name(desc), checkpoint)
        raise HttpError(404, f"Checkpoint {checkpoint_id} not found in thread {thread_id}")

    async def update_state(
        self,
        thread_id: str,
        values: dict[str, Any] | None,
        as_node: str | None,
        checkpoint_id: str | None,
    ) -> dict[str, Any]:
        check_message("values", values)
        record, desc = await self._existing(thread_id)
        if desc is None:
            raise HttpError(
                400,
                f"Thread {thread_id} has no assigned graph ID: it has no run yet. Start a run "
                "first (update_state edits a paused run).",
            )
        record = record or self.record(thread_id)
        if record.lock.locked():
            raise HttpError(409, f"Thread {thread_id} has in-flight runs: {[desc.run_id]}")
        async with record.lock:
            snap = await self.snapshot(thread_id)
            if desc.status == WorkflowExecutionStatus.RUNNING and (
                snap is None or snap.status == "running"
            ):
                raise HttpError(409, f"Thread {thread_id} has in-flight runs: {[desc.run_id]}")
            if desc.status in CLOSED_RESUMABLE and checkpoint_id is None:
                # A failed or cancelled run: edit a fork of its latest checkpoint.
                history = await self._history(thread_id)
                checkpoint_id = history[0].checkpoint_id if history else None
            if (
                snap is not None
                and checkpoint_id == snap.checkpoint_id
                and (desc.status == WorkflowExecutionStatus.RUNNING)
            ):
                checkpoint_id = None  # the head: a plain edit of the paused run
            if checkpoint_id is not None:
                await self._close_paused(thread_id)
            try:
                result = await self.gc.update_state(
                    thread_id, values, as_node, checkpoint_id=checkpoint_id
                )
            except InvalidUpdateError as exc:
                raise HttpError(400, str(exc)) from None
            except ThreadNotFoundError as exc:
                raise HttpError(404, str(exc)) from None
            except ResumeError as exc:
                raise HttpError(409, str(exc)) from None
            except ValueError as exc:  # an unknown checkpoint id
                raise HttpError(404, str(exc)) from None
            except GraphRunError as exc:
                raise HttpError(400, str(exc)) from None
            record.error = None
            record.updated_at = now()
        cid = result.checkpoint_id
        config = {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": cid}
        return {
            "checkpoint": {**config, "checkpoint_map": {}},
            "configurable": config,
            "checkpoint_id": cid,
        }

    # -----------------------------------------------------------------------------------------
    # Runs.
    # -----------------------------------------------------------------------------------------

    def run_request(self, thread_id: str, body: RunBody) -> RunRequest:
        graph = self.graph_of(body.assistant_id)
        if graph is None:
            raise HttpError(404, NOT_FOUND)
        config = body.config
        configurable = (config.configurable if config else None) or {}
        if body.context and configurable:
            raise HttpError(
                400, "Cannot specify both configurable and context. Prefer setting context alone."
            )
        checkpoint_id = (
            body.checkpoint_id
            or (body.checkpoint.checkpoint_id if body.checkpoint else None)
            or configurable.get("checkpoint_id")
        )
        return RunRequest(
            thread_id=thread_id,
            graph=graph,
            input=body.input,
            command=to_command(body.command) if body.command is not None else None,
            interrupt_before=body.interrupt_before,
            interrupt_after=body.interrupt_after,
            recursion_limit=config.recursion_limit if config else None,
            checkpoint_id=str(checkpoint_id) if checkpoint_id else None,
        )

    async def submit(self, thread_id: str, body: RunBody, *, stateless: bool) -> RunRecord:
        """Validate, apply the multitask strategy, and start the run in the background."""
        if stateless and body.command is not None and body.command.resume is not None:
            raise HttpError(400, "You must provide a thread_id when resuming.")
        check_message("input", body.input)
        if body.command is not None:
            check_message("command", body.command.model_dump(exclude_none=True))
        check_message("metadata", body.metadata)
        check_message("context", body.context)
        check_message("config", body.config.model_dump(exclude_none=True) if body.config else None)
        request = self.run_request(thread_id, body)
        record, desc = await self.lookup(thread_id)
        if record is None and desc is None:
            if body.if_not_exists != "create" and not stateless:
                raise HttpError(404, NOT_FOUND)
            check_new_thread_id(thread_id)
            if not stateless and await self.foreign(thread_id):
                raise HttpError(409, UNAVAILABLE.format(thread_id))
            metadata = {"graph_id": request.graph, "assistant_id": assistant_id_of(request.graph)}
            record = self.record(thread_id, metadata)
        elif desc is None and not stateless and await self.foreign(thread_id):
            # Another workflow holds the thread's workflow id: a run could not start (or would
            # read that workflow as the thread's previous run).
            raise HttpError(409, UNAVAILABLE.format(thread_id))
        record = record or self.record(thread_id)
        busy = record.lock.locked() or await self._temporal_busy(thread_id, desc)
        if busy and body.multitask_strategy == "reject":
            raise HttpError(409, BUSY)
        if busy and body.multitask_strategy in ("interrupt", "rollback"):
            await self._cancel_active(thread_id, user=True)
        stamp = now()
        run = RunRecord(
            run_id=str(uuid.uuid4()),
            thread_id=thread_id,
            assistant_id=assistant_id_of(request.graph),
            graph=request.graph,
            created_at=stamp,
            updated_at=stamp,
            metadata=dict(body.metadata or {}),
            kwargs=run_kwargs(body),
            multitask_strategy=body.multitask_strategy,
        )
        self.runs[run.run_id] = run
        run.task = asyncio.create_task(self._job(run, record, request))
        self.tasks.add(run.task)
        run.task.add_done_callback(self.tasks.discard)
        return run

    async def _temporal_busy(
        self, thread_id: str, desc: WorkflowExecutionDescription | None
    ) -> bool:
        if desc is None or desc.status != WorkflowExecutionStatus.RUNNING:
            return False
        snap = await self.snapshot(thread_id)
        return snap is None or snap.status == "running"

    async def _job(
        self, run: RunRecord, thread: ThreadEntry, request: RunRequest
    ) -> dict[str, Any]:
        try:
            async with thread.lock:
                run.status = "running"
                run.updated_at = now()
                thread.error = None
                await self._settle(request.thread_id)
                body = await self._execute(request, lambda rid: self._known(run, rid))
                if "__error__" in body and body["__error__"].get("error") in RESUME_ERROR_KINDS:
                    snap = await self.snapshot(request.thread_id)
                    if snap is not None and snap.status == "interrupted":
                        thread.error = body["__error__"]
                        thread.error_checkpoint = snap.checkpoint_id
                thread.updated_at = now()
        except asyncio.CancelledError:
            run.status = "interrupted"
            run.known.set()
            raise
        except Exception as exc:
            log.exception("run %s failed", run.run_id)
            body = error_body(type(exc).__name__, str(exc))
        cancelled = run.temporal_run_id in self.user_cancelled
        if cancelled:
            snap = await self.snapshot(request.thread_id, run.temporal_run_id)
            body = dict(snap.values) if snap is not None else {}
        run.body = body
        run.status = "interrupted" if cancelled else "error" if "__error__" in body else "success"
        run.updated_at = now()
        run.known.set()
        return body

    def _known(self, run: RunRecord, temporal_run_id: str) -> None:
        """The run's Temporal run id is known: it becomes the run id (the first id stays an
        alias for look-ups)."""
        if run.temporal_run_id == temporal_run_id:
            return
        run.temporal_run_id = temporal_run_id
        self.runs[temporal_run_id] = run
        if not run.known.is_set() and run.status in ("pending", "running"):
            run.run_id = temporal_run_id
        run.known.set()

    async def _settle(self, thread_id: str) -> None:
        """Wait until a run executing on the thread (started elsewhere) pauses or ends."""
        desc = await self.describe(thread_id)
        if not await self._temporal_busy(thread_id, desc):
            return
        handle = self.client.get_workflow_handle(thread_id)
        with contextlib.suppress(WorkflowUpdateFailedError, RPCError):
            await handle.execute_update(WAIT_UPDATE, WaitInput(), result_type=dict)

    async def _cancel_active(self, thread_id: str, *, user: bool) -> None:
        """Cancel the thread's running execution and wait until it has closed."""
        desc = await self.describe(thread_id)
        if desc is None or desc.status != WorkflowExecutionStatus.RUNNING:
            return
        (self.user_cancelled if user else self.superseded).add(desc.run_id)
        with contextlib.suppress(ThreadNotFoundError):
            await self.gc.cancel(thread_id)
        handle = self.client.get_workflow_handle(thread_id, run_id=desc.run_id)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(handle.result(follow_runs=False), timeout=60)

    async def _close_paused(self, thread_id: str) -> None:
        """LangGraph: new input on a paused thread discards the pause. Here: the paused execution
        is cancelled; the new run starts from the state it left."""
        desc = await self.describe(thread_id)
        if desc is not None and desc.status == WorkflowExecutionStatus.RUNNING:
            await self._cancel_active(thread_id, user=False)

    async def _execute(
        self, request: RunRequest, on_run_id: Callable[[str], None]
    ) -> dict[str, Any]:
        """Run the request on its thread (holding the thread's lock); the wait body."""
        thread_id = request.thread_id
        try:
            desc = await self.describe(thread_id)
            if request.command is None and request.input is not None:
                await self._close_paused(thread_id)
                return wait_body(await self._watch(thread_id, on_run_id, self._start(request)))
            if desc is None:
                if request.command is not None:
                    return error_body(
                        "InvalidResume",
                        f"Thread {thread_id} has no run to resume: start one with input first",
                    )
                return error_body("EmptyInputError", "Received no input for __start__")
            graph = self.graph_name(desc) or request.graph
            fork = request.checkpoint_id
            if fork is not None and desc.status == WorkflowExecutionStatus.RUNNING:
                snap = await self.snapshot(thread_id)
                if snap is not None and snap.checkpoint_id == fork:
                    fork = None  # the head checkpoint: a plain continuation
            if fork is None and desc.status in CLOSED_RESUMABLE:
                # Failed or cancelled: continue from the latest checkpoint (its step runs again).
                history = await self._history(thread_id)
                if not history or not history[0].next:
                    snap = await self.snapshot(thread_id)
                    return dict(snap.values) if snap is not None else {}
                fork = history[0].checkpoint_id
            if fork is not None:
                await self._close_paused(thread_id)
                output = await self._watch(
                    thread_id,
                    on_run_id,
                    self.gc.invoke(graph, None, thread_id=thread_id, checkpoint_id=fork),
                )
                if request.command is None or "__interrupt__" not in output:
                    return wait_body(output)
            else:
                on_run_id(desc.run_id)
            # Run-time breakpoints belong to this run only, as on the Agent Server.
            return wait_body(
                await self.gc.invoke(
                    graph,
                    request.command,
                    thread_id=thread_id,
                    interrupt_before=request.interrupt_before,  # type: ignore[arg-type]
                    interrupt_after=request.interrupt_after,  # type: ignore[arg-type]
                )
            )
        except ResumeError as exc:
            return error_body(exc.kind, str(exc))
        except ThreadBusyError as exc:
            return error_body("ThreadBusyError", str(exc))
        except GraphRunError as exc:
            return error_body(**await self.failure(thread_id, fallback=str(exc)))
        except TempographError as exc:
            return error_body(type(exc).__name__, str(exc))

    def _start(self, request: RunRequest) -> Awaitable[dict[str, Any]]:
        return self.gc.invoke(
            request.graph,
            request.input,
            thread_id=request.thread_id,
            interrupt_before=request.interrupt_before,  # type: ignore[arg-type]
            interrupt_after=request.interrupt_after,  # type: ignore[arg-type]
            recursion_limit=request.recursion_limit,
        )

    async def _watch(
        self,
        thread_id: str,
        on_run_id: Callable[[str], None],
        work: Awaitable[dict[str, Any]],
    ) -> dict[str, Any]:
        """Run `work` (which starts a new execution) and report the new execution's run id as
        soon as Temporal has it (runs.create answers with it before the run pauses)."""
        before = await self.describe(thread_id)
        previous = before.run_id if before is not None else None
        task = asyncio.ensure_future(work)
        reported = False
        while not task.done() and not reported:
            desc = await self.describe(thread_id)
            if desc is not None and desc.run_id != previous:
                on_run_id(desc.run_id)
                reported = True
            else:
                await asyncio.wait({task}, timeout=0.02)
        result = await task
        if not reported:
            desc = await self.describe(thread_id)
            if desc is not None and desc.run_id != previous:
                on_run_id(desc.run_id)
        return result

    async def checkpoint_ids(self, thread_id: str) -> set[str]:
        """The thread's checkpoints and node updates so far (a stream shows the ones its run
        adds)."""
        desc = await self.describe(thread_id)
        if desc is None:
            return set()
        seen = {c.checkpoint_id for c in await self._history(thread_id)}
        return seen | {key for key, _ in await self._updates(thread_id, desc.run_id)}

    async def _updates(self, thread_id: str, run_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(key, {node: writes}) of each node task the execution finished, in order."""
        updates = await self.gc.node_updates(thread_id, run_id)
        return [(f"u:{run_id}:{u.step}:{u.task_id}", {u.node: u.values}) for u in updates]

    async def stream(
        self, run: RunRecord, modes: set[str], seen: set[str], *, continuing: bool
    ) -> AsyncIterator[tuple[str, Any]]:
        """(event, data) pairs of a streamed run: `metadata`; in "values" mode the state at
        each checkpoint the run records (the state after each superstep, read from Temporal
        history as the run goes), then the final state with `__interrupt__` at a dynamic
        interrupt; in "updates" mode `{node: writes}` for each node task as its superstep
        finishes, then the `__interrupt__` chunk of a pause (a static breakpoint gives an
        empty list); `error` with {"error", "message"} when the run fails."""
        assert run.task is not None
        await self.created(run)
        yield "metadata", {"run_id": run.run_id, "attempt": 1}
        last: Any = None
        if continuing and "values" in modes:
            snap = await self.snapshot(run.thread_id)
            if snap is not None:
                last = dict(snap.values)
                yield "values", last
        while True:
            done = run.task.done()
            desc = await self.describe(run.thread_id)
            if "updates" in modes and desc is not None:
                for key, update in await self._updates(run.thread_id, desc.run_id):
                    if key not in seen:
                        seen.add(key)
                        yield "updates", update
            if "values" in modes and desc is not None:
                history = await self._history(run.thread_id)
                for checkpoint in reversed(history):
                    if checkpoint.checkpoint_id not in seen:
                        seen.add(checkpoint.checkpoint_id)
                        if checkpoint.values != last:
                            last = checkpoint.values
                            yield "values", last
            if done:
                break
            await asyncio.wait({run.task}, timeout=0.1)
        body = {} if run.task.cancelled() else run.task.result()
        if "__error__" in body:
            yield "error", body["__error__"]
            return
        snap = await self.snapshot(run.thread_id)
        interrupts = body.get("__interrupt__")
        if "updates" in modes and snap is not None and snap.status == "interrupted":
            yield "updates", {"__interrupt__": interrupts or []}
        if "values" in modes:
            final = {k: v for k, v in body.items() if k != "__interrupt__"}
            if not final and interrupts and snap is not None:
                final = dict(snap.values)  # several interrupts: the wait body has no values
            if interrupts:
                yield "values", {**final, "__interrupt__": interrupts}
            elif final != last:
                yield "values", final

    @staticmethod
    async def created(run: RunRecord) -> RunRecord:
        """Wait until the run's Temporal run id is known (at most 5 s: a run queued behind
        another keeps its provisional id, which stays valid)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(run.known.wait()), timeout=5)
        return run

    async def wait_for(self, run: RunRecord) -> dict[str, Any]:
        """The run's wait body. The run goes on if the waiting request goes away."""
        assert run.task is not None
        try:
            return await asyncio.shield(run.task)
        except asyncio.CancelledError:
            if run.task.cancelled():  # cancelled while queued: it never ran
                return {}
            raise

    async def after_stateless(self, run: RunRecord, on_completion: str | None) -> None:
        """Stateless runs delete their temporary thread unless on_completion is "keep"."""
        if on_completion == "keep":
            return
        if run.task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(run.task)
        with contextlib.suppress(Exception):
            await self._delete_executions(run.thread_id)
        self.threads.pop(run.thread_id, None)
        self.deleted.add(run.thread_id)

    def find_run(self, thread_id: str, run_id: str) -> RunRecord | None:
        run = self.runs.get(run_id)
        return run if run is not None and run.thread_id == thread_id else None

    async def get_run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        run = self.find_run(thread_id, run_id)
        if run is not None and (run.task is None or not run.task.done() or run.body is not None):
            return run.to_json()
        desc = await self.describe(thread_id, run_id)
        if desc is None:
            raise HttpError(404, f"Run {run_id} not found")
        return await self._execution_run_json(thread_id, desc)

    async def _execution_run_json(
        self, thread_id: str, desc: WorkflowExecutionDescription
    ) -> dict[str, Any]:
        graph = self.graph_name(desc)
        run = self.runs.get(desc.run_id)
        return {
            "run_id": desc.run_id,
            "thread_id": thread_id,
            "assistant_id": assistant_id_of(graph),
            "created_at": iso(desc.start_time),
            "updated_at": iso(desc.close_time or desc.start_time),
            "status": await self._execution_status(thread_id, desc),
            "metadata": run.metadata if run else {},
            "kwargs": run.kwargs if run else {},
            "multitask_strategy": run.multitask_strategy if run else "enqueue",
        }

    async def _execution_status(self, thread_id: str, desc: WorkflowExecutionDescription) -> str:
        """Run status of an execution: a run paused at a HITL interrupt is a "success"."""
        if desc.status == WorkflowExecutionStatus.RUNNING:
            snap = await self.snapshot(thread_id, desc.run_id)
            return "running" if snap is None or snap.status == "running" else "success"
        if desc.status in (
            WorkflowExecutionStatus.COMPLETED,
            WorkflowExecutionStatus.CONTINUED_AS_NEW,
        ):
            return "success"
        if desc.status == WorkflowExecutionStatus.FAILED:
            failure = await self.failure(thread_id, desc.run_id)
            if not self._was_cancelled(desc, failure):
                return "error"
        if desc.status in CANCELLED or desc.status == WorkflowExecutionStatus.FAILED:
            return "success" if desc.run_id in self.superseded else "interrupted"
        return "timeout"

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: str | None
    ) -> list[dict[str, Any]]:
        record, desc = await self._existing(thread_id)
        runs: dict[str, dict[str, Any]] = {}
        for run in self.runs.values():
            if run.thread_id == thread_id and run.temporal_run_id is None:
                runs[run.run_id] = run.to_json()  # queued, or refused before it started
        executions: list[str] = [desc.run_id] if desc is not None else []
        if desc is not None:
            with contextlib.suppress(RPCError):
                async for execution in self.client.list_workflows(
                    own_runs(f"WorkflowId = {quote(thread_id)}")
                ):
                    executions.append(execution.run_id)
        for run_id in dict.fromkeys(executions):
            run_desc = await self.describe(thread_id, run_id)
            if run_desc is not None:
                known = self.runs.get(run_id)
                if known is not None and known.task is not None and not known.task.done():
                    runs[run_id] = known.to_json()
                else:
                    runs[run_id] = await self._execution_run_json(thread_id, run_desc)
        found = [r for r in runs.values() if status is None or r["status"] == status]
        found.sort(key=lambda r: str(r["created_at"]), reverse=True)
        return found[offset : offset + limit]

    async def join(self, thread_id: str, run_id: str) -> dict[str, Any]:
        """The wait body of a run: blocks while it executes."""
        run = self.find_run(thread_id, run_id)
        if run is not None and run.task is not None and not run.task.done():
            return await self.wait_for(run)
        if run is not None and run.temporal_run_id is None and run.body is not None:
            return run.body
        temporal_run_id = run.temporal_run_id if run is not None else run_id
        desc = await self.describe(thread_id, temporal_run_id)
        if desc is None:
            raise HttpError(404, f"Run {run_id} not found")
        return await self._execution_body(thread_id, desc)

    async def _execution_body(
        self, thread_id: str, desc: WorkflowExecutionDescription
    ) -> dict[str, Any]:
        handle = self.client.get_workflow_handle(thread_id, run_id=desc.run_id)
        if desc.status == WorkflowExecutionStatus.RUNNING:
            snap = await self.snapshot(thread_id, desc.run_id)
            if snap is not None and snap.status == "interrupted":
                return wait_body(output_of(snap))
            try:
                return wait_body(
                    await handle.execute_update(WAIT_UPDATE, WaitInput(), result_type=dict)
                )
            except WorkflowUpdateFailedError:
                desc = await self.describe(thread_id, desc.run_id) or desc
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            result: dict[str, Any] = await handle.result(follow_runs=False)
            return result
        if desc.status == WorkflowExecutionStatus.FAILED:
            return error_body(**await self.failure(thread_id, desc.run_id))
        if desc.status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
            latest = await self.describe(thread_id)
            if latest is not None and latest.run_id != desc.run_id:
                return await self._execution_body(thread_id, latest)
        snap = await self.snapshot(thread_id, desc.run_id)
        return dict(snap.values) if snap is not None else {}

    async def cancel_run(self, thread_id: str, run_id: str, *, wait: bool) -> None:
        """Cancel a pending or running run (action "interrupt"; "rollback" is treated alike).
        The thread keeps its checkpoints; a run without input continues from the latest."""
        run = self.find_run(thread_id, run_id)
        running_here = run is not None and run.task is not None and not run.task.done()
        if run is not None and run.task is not None and running_here and run.status == "pending":
            run.task.cancel()  # still queued in this process: it never started
            return
        temporal_run_id = run.temporal_run_id if run is not None else run_id
        desc = await self.describe(thread_id, temporal_run_id) if temporal_run_id else None
        if desc is None and not running_here:
            if run is None:
                raise HttpError(404, f"Run {run_id} not found")
            raise HttpError(409, f"Run {run_id} is not pending or running")
        if not running_here and (
            desc is None or await self._execution_status(thread_id, desc) != "running"
        ):
            raise HttpError(409, f"Run {run_id} is not pending or running")
        if wait:
            await self._cancel_active(thread_id, user=True)
            if run is not None and run.task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(run.task), timeout=60)
            return
        latest = await self.describe(thread_id)
        if latest is not None and latest.status == WorkflowExecutionStatus.RUNNING:
            self.user_cancelled.add(latest.run_id)
            with contextlib.suppress(ThreadNotFoundError):
                await self.gc.cancel(thread_id)


def to_command(body: CommandBody) -> Command:
    update = dict(body.update) if isinstance(body.update, list) else body.update
    goto: list[str] = []
    targets = body.goto if isinstance(body.goto, list) else [body.goto] if body.goto else []
    for target in targets:
        if not isinstance(target, str):
            raise HttpError(422, "command.goto: Send ({node, input}) is not supported yet")
        goto.append(target)
    return Command(resume=body.resume, update=update, goto=goto)


def run_kwargs(body: RunBody) -> dict[str, Any]:
    return {
        "input": body.input,
        "command": body.command.model_dump(exclude_none=True) if body.command else None,
        "config": body.config.model_dump(exclude_none=True) if body.config else {},
        "context": body.context or {},
        "stream_mode": body.stream_mode or ["values"],
        "interrupt_before": body.interrupt_before,
        "interrupt_after": body.interrupt_after,
        "checkpoint_id": body.checkpoint_id,
    }


def output_of(snap: StateSnapshot) -> dict[str, Any]:
    out: dict[str, Any] = dict(snap.values)
    if snap.paused_at == "interrupt":
        out["__interrupt__"] = [interrupt_json(p) for p in snap.interrupts]
    return out


def empty_state() -> dict[str, Any]:
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "metadata": None,
        "created_at": None,
        "checkpoint": None,
        "parent_checkpoint": None,
        "interrupts": [],
        "checkpoint_id": None,
        "parent_checkpoint_id": None,
    }


def _checkpoint_ref(thread_id: str, checkpoint_id: str | None) -> dict[str, Any] | None:
    if checkpoint_id is None:
        return None
    return {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}


def _task(task_id: str, node: str, interrupts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": task_id,
        "name": node,
        "path": ["__pregel_pull", node],
        "error": None,
        "interrupts": interrupts,
        "checkpoint": None,
        "state": None,
        "result": None,
    }


def _metadata(graph: str, checkpoint: Checkpoint | None, step: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": checkpoint.source if checkpoint else "loop",
        "step": checkpoint.step if checkpoint else step,
        "parents": {},
        "graph_id": graph,
        "assistant_id": assistant_id_of(graph),
    }
    if checkpoint is not None:
        meta["run_id"] = checkpoint.run_id
    return meta


def _synthetic_task_id(checkpoint_id: str | None, index: int, node: str) -> str:
    return str(uuid.uuid5(NAMESPACE_GRAPH, f"{checkpoint_id}:{index}:{node}"))


def state_json(
    thread_id: str, graph: str, snap: StateSnapshot, checkpoint: Checkpoint | None
) -> dict[str, Any]:
    """The thread's current state (GET /threads/{id}/state)."""
    groups: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    if snap.paused_at == "interrupt":
        for p in snap.interrupts:
            groups.setdefault(p.task_id, (p.node, []))[1].append({"id": p.id, "value": p.value})
    tasks: list[dict[str, Any]] = []
    unused = dict(groups)
    for index, node in enumerate(snap.next):
        match = next((tid for tid, (n, _) in unused.items() if n == node), None)
        if match is not None:
            tasks.append(_task(match, node, unused.pop(match)[1]))
        else:
            tasks.append(_task(_synthetic_task_id(snap.checkpoint_id, index, node), node, []))
    for tid, (node, items) in unused.items():
        tasks.append(_task(tid, node, items))
    parent_id = checkpoint.parent_checkpoint_id if checkpoint else None
    return {
        "values": snap.values,
        "next": list(snap.next),
        "tasks": tasks,
        "metadata": _metadata(graph, checkpoint, snap.step),
        "created_at": iso(checkpoint.created_at) if checkpoint else None,
        "checkpoint": _checkpoint_ref(thread_id, snap.checkpoint_id),
        "parent_checkpoint": _checkpoint_ref(thread_id, parent_id),
        "interrupts": [i for t in tasks for i in t["interrupts"]],
        "checkpoint_id": snap.checkpoint_id,
        "parent_checkpoint_id": parent_id,
    }


def checkpoint_state_json(thread_id: str, graph: str, checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint of the thread's history, as a ThreadState."""
    return {
        "values": checkpoint.values,
        "next": list(checkpoint.next),
        "tasks": [
            _task(_synthetic_task_id(checkpoint.checkpoint_id, i, node), node, [])
            for i, node in enumerate(checkpoint.next)
        ],
        "metadata": _metadata(graph, checkpoint, checkpoint.step),
        "created_at": iso(checkpoint.created_at),
        "checkpoint": _checkpoint_ref(thread_id, checkpoint.checkpoint_id),
        "parent_checkpoint": _checkpoint_ref(thread_id, checkpoint.parent_checkpoint_id),
        "interrupts": [],
        "checkpoint_id": checkpoint.checkpoint_id,
        "parent_checkpoint_id": checkpoint.parent_checkpoint_id,
    }
