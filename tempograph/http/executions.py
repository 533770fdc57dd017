"""A thread's GraphRun executions in Temporal, as the HTTP API reads and acts on them.

Only GraphRun executions are read or acted on (tempograph.ownership): `describe` answers None
for any other workflow under the thread's id. Everything here is read from Temporal; the
per-process caches only hold facts that cannot change (the cancel cause of a closed run).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution as ExecutionRef
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import (
    DeleteWorkflowExecutionRequest,
    GetWorkflowExecutionHistoryReverseRequest,
)
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from tempograph._client.runs import thread_runs
from tempograph.client import GraphClient
from tempograph.errors import ThreadNotFoundError
from tempograph.http.bounded import BoundedDict, BoundedSet
from tempograph.http.status import CancelCause, Outcome, outcome
from tempograph.messages import (
    GRAPH_ATTRIBUTE,
    STATE_QUERY,
    STATUS_ATTRIBUTE,
    WAIT_UPDATE,
    WORKFLOW_TYPE,
    Checkpoint,
    StateSnapshot,
    WaitInput,
)

log = logging.getLogger("tempograph.http")

NODE_FAILED = re.compile(r"^Node '[^']*' failed: ")
CLOSED_RESUMABLE = {
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
}
CLOSED_CANCELLABLE = {
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TERMINATED,
}
# A state query needs a worker: without one, answer "unknown" instead of hanging.
QUERY_TIMEOUT = timedelta(seconds=5)
# Events read (newest first) looking for a closed run's cancel request: it is followed by at
# most a few workflow tasks, the cancellation of the activities in flight and the close event.
CANCEL_SCAN_EVENTS = 400


# Descriptions already read in this request's `reusing` block: (workflow id, run id) -> the
# description (None: no such execution). Never outlives the block, so never stale past it.
_DESCRIBED: contextvars.ContextVar[
    dict[tuple[str, str | None], WorkflowExecutionDescription | None] | None
] = contextvars.ContextVar("tempograph_http_described", default=None)


class Unknown:
    """Not described yet (as opposed to None: described, and there is no such execution)."""


UNKNOWN = Unknown()


def graph_name(execution: WorkflowExecution) -> str:
    return execution.typed_search_attributes.get(GRAPH_ATTRIBUTE) or ""


def listed_as_paused(execution: WorkflowExecution) -> bool:
    """Whether a running execution is paused, from its search attribute (no query)."""
    return execution.typed_search_attributes.get(STATUS_ATTRIBUTE) == "interrupted"


def is_paused(snap: StateSnapshot | None) -> bool:
    """Whether a running execution is paused, from its state (unknown state: not paused)."""
    return snap is not None and snap.status != "running"


class StateTooLargeError(Exception):
    """The run refused to send its state: over payloads.MAX_PAYLOAD_BYTES (the message says
    how big it is and names the limit)."""


def too_large(exc: WorkflowQueryFailedError) -> bool:
    """Whether a failed query is GraphRun's PayloadTooLarge refusal (`_guard_reply`). A query's
    failure carries only its message (not the ApplicationError's type): matched on the limit's
    name, which that message gives."""
    return "payloads.MAX_PAYLOAD_BYTES" in exc.message


@dataclass(frozen=True)
class Reading:
    """An execution's outcome, and its failure ({"error", "message"}) when it failed."""

    outcome: Outcome
    failure: dict[str, str] | None = None


class Executions:
    def __init__(self, graph_client: GraphClient, deleted: BoundedSet[str], cache_size: int):
        self.gc = graph_client
        self.client: Client = graph_client.client
        # Threads known to be deleted (their record is a tombstone): their latest execution
        # is not shown while Temporal deletes it in the background.
        self.deleted = deleted
        self._causes: BoundedDict[str, CancelCause | None] = BoundedDict(cache_size)

    # -----------------------------------------------------------------------------------------
    # Reading.
    # -----------------------------------------------------------------------------------------

    async def describe(
        self, thread_id: str, run_id: str | None = None
    ) -> WorkflowExecutionDescription | None:
        """The thread's latest execution (or one run of it); None when there is none."""
        if run_id is None and thread_id in self.deleted:
            return None
        return await self.describe_run(thread_id, run_id)

    async def describe_run(
        self, thread_id: str, run_id: str | None = None
    ) -> WorkflowExecutionDescription | None:
        """As `describe`, deleted threads included."""
        desc = await self.describe_any(thread_id, run_id)
        return desc if desc is not None and desc.workflow_type == WORKFLOW_TYPE else None

    async def describe_any(
        self, workflow_id: str, run_id: str | None = None
    ) -> WorkflowExecutionDescription | None:
        """The execution of `workflow_id` whatever its type (for ownership checks only). In a
        `reusing` block, an execution already described in it is not described again."""
        described = _DESCRIBED.get()
        if described is not None and (workflow_id, run_id) in described:
            return described[(workflow_id, run_id)]
        try:
            desc = await self.client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        except RPCError as exc:
            if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                desc = None
            else:
                raise
        if described is not None:
            described[(workflow_id, run_id)] = desc
        return desc

    @staticmethod
    @contextlib.contextmanager
    def reusing() -> Iterator[None]:
        """Within the block (one request's look-ups, acting on nothing), each execution is
        described once: the thread's look-up and its ownership check read the same
        descriptions (tasks started in the block share them)."""
        token = _DESCRIBED.set({})
        try:
            yield
        finally:
            _DESCRIBED.reset(token)

    async def query_state(self, thread_id: str, run_id: str | None = None) -> StateSnapshot | None:
        """The execution's state (the get_state query); None when it cannot be read (no
        worker, a timeout); StateTooLargeError when the run refuses to send it."""
        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        try:
            return await handle.query(
                STATE_QUERY, result_type=StateSnapshot, rpc_timeout=QUERY_TIMEOUT
            )
        except WorkflowQueryFailedError as exc:
            if too_large(exc):
                raise StateTooLargeError(exc.message) from None
            log.warning("cannot query the state of %s: %s", thread_id, exc)
            return None
        except Exception as exc:  # noqa: BLE001 - a state we cannot read is shown as unknown
            log.warning("cannot query the state of %s: %s", thread_id, exc)
            return None

    async def snapshot(self, thread_id: str, run_id: str | None = None) -> StateSnapshot | None:
        """As `query_state`, a state too large to send included in "cannot be read"."""
        try:
            return await self.query_state(thread_id, run_id)
        except StateTooLargeError as exc:
            log.warning("cannot query the state of %s: %s", thread_id, exc)
            return None

    async def busy(self, thread_id: str, desc: WorkflowExecutionDescription | None) -> bool:
        """Whether the execution runs a step (not paused). A state that cannot be read: the
        status the run last recorded in its search attribute."""
        if desc is None or desc.status != WorkflowExecutionStatus.RUNNING:
            return False
        snap = await self.snapshot(thread_id)
        return not (is_paused(snap) if snap is not None else listed_as_paused(desc))

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

    async def result(self, thread_id: str, run_id: str) -> dict[str, Any] | None:
        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        try:
            result: dict[str, Any] = await handle.result(follow_runs=False)
        except Exception as exc:  # noqa: BLE001 - shown as unknown values
            log.warning("cannot read the result of %s: %s", thread_id, exc)
            return None
        return result

    async def wait_until_paused(self, thread_id: str, run_id: str | None = None) -> Any:
        """The wait update: blocks until the execution pauses or ends; its output."""
        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        return await handle.execute_update(WAIT_UPDATE, WaitInput(), result_type=dict)

    async def settle(self, thread_id: str) -> None:
        """Wait until a run executing on the thread (started elsewhere) pauses or ends."""
        if not await self.busy(thread_id, await self.describe(thread_id)):
            return
        with contextlib.suppress(WorkflowUpdateFailedError, RPCError):
            await self.wait_until_paused(thread_id)

    async def history(self, thread_id: str) -> list[Checkpoint]:
        """The thread's checkpoints, newest first (none for an unknown thread)."""
        try:
            return await self.gc.get_state_history(thread_id)
        except ThreadNotFoundError:
            return []

    async def node_updates(self, thread_id: str, run_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(key, {node: writes}) of each node task the execution finished, in order."""
        updates = await self.gc.node_updates(thread_id, run_id)
        return [(f"u:{run_id}:{u.step}:{u.task_id}", {u.node: u.values}) for u in updates]

    async def run_ids(self, thread_id: str) -> list[str]:
        """The run ids of the thread's GraphRun executions: the latest first, then the ones
        visibility lists (eventually consistent; none when visibility is unavailable)."""
        run_ids: list[str] = []
        latest = await self.describe(thread_id)
        if latest is not None:
            run_ids.append(latest.run_id)
        with contextlib.suppress(RPCError):
            run_ids += [execution.run_id for execution in await thread_runs(self.client, thread_id)]
        return list(dict.fromkeys(run_ids))

    async def cancel_cause(
        self, thread_id: str, run_id: str, *, closed: bool = True
    ) -> CancelCause | None:
        """Why an execution was cancelled (the reason of its cancel request, recorded in its
        history), or None when nobody asked. Read newest first; kept once `closed`, as it
        cannot change then."""
        if run_id in self._causes:
            return self._causes[run_id]
        found: CancelCause | None = None
        token, scanned = b"", 0
        try:
            while scanned < CANCEL_SCAN_EVENTS:
                page = await self.client.workflow_service.get_workflow_execution_history_reverse(
                    GetWorkflowExecutionHistoryReverseRequest(
                        namespace=self.client.namespace,
                        execution=ExecutionRef(workflow_id=thread_id, run_id=run_id),
                        maximum_page_size=100,
                        next_page_token=token,
                    )
                )
                for event in page.history.events:
                    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
                        attributes = event.workflow_execution_cancel_requested_event_attributes
                        found = CancelCause.of(attributes.cause)
                        break
                scanned += len(page.history.events)
                token = page.next_page_token
                if found is not None or not token:
                    break
        except RPCError as exc:
            if exc.status == RPCStatusCode.UNAVAILABLE:
                raise
            log.warning("cannot read the history of %s: %s", thread_id, exc.message)
            return None
        if closed:
            self._causes[run_id] = found
        return found

    async def read(
        self, thread_id: str, execution: WorkflowExecution, *, paused: bool, refused: bool
    ) -> Reading:
        """The execution's outcome (status.TABLE's rows), from Temporal alone."""
        failure: dict[str, str] | None = None
        cancel: CancelCause | None = None
        if execution.status in CLOSED_CANCELLABLE:
            if execution.status == WorkflowExecutionStatus.FAILED:
                failure = await self.failure(thread_id, execution.run_id)
            cancel = await self.cancel_cause(thread_id, execution.run_id)
        found = outcome(
            execution.status,
            paused=paused,
            refused=refused,
            failure_error=failure["error"] if failure else None,
            cancel=cancel,
        )
        return Reading(found, failure)

    # -----------------------------------------------------------------------------------------
    # Acting.
    # -----------------------------------------------------------------------------------------

    async def cancel(self, thread_id: str, run_id: str, cause: CancelCause) -> None:
        """Ask Temporal to cancel one GraphRun execution, saying why (recorded in its
        history, where every server process reads it back: `cancel_cause`)."""
        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        try:
            await handle.cancel(reason=cause.value)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # it finished meanwhile
                raise

    async def cancel_running(
        self,
        thread_id: str,
        cause: CancelCause,
        latest: WorkflowExecutionDescription | None | Unknown = UNKNOWN,
    ) -> None:
        """Cancel the thread's running execution and wait (at most 60 s) until it has closed.
        `latest`: the thread's latest execution as the caller has just described it (this
        request, nothing done since), instead of describing it again."""
        desc = await self.describe(thread_id) if isinstance(latest, Unknown) else latest
        if desc is None or desc.status != WorkflowExecutionStatus.RUNNING:
            return
        await self.cancel(thread_id, desc.run_id, cause)
        handle = self.client.get_workflow_handle(thread_id, run_id=desc.run_id)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(handle.result(follow_runs=False), timeout=60)

    async def close_paused(
        self, thread_id: str, latest: WorkflowExecutionDescription | None | Unknown = UNKNOWN
    ) -> None:
        """LangGraph: new input on a paused thread discards the pause. Here: the paused
        execution is cancelled (superseded); the new run starts from the state it left.
        `latest`: as in cancel_running."""
        await self.cancel_running(thread_id, CancelCause.SUPERSEDED, latest)

    async def delete_all(self, thread_id: str) -> None:
        """Delete every GraphRun execution of the thread (a running one is terminated first)."""
        for run_id in await self.run_ids(thread_id):
            request = DeleteWorkflowExecutionRequest(
                namespace=self.client.namespace,
                workflow_execution=ExecutionRef(workflow_id=thread_id, run_id=run_id),
            )
            try:
                await self.client.workflow_service.delete_workflow_execution(request)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
