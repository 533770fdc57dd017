"""GraphClient: start, resume and inspect graph runs, with LangGraph's `invoke` shapes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

import pydantic_core
import structlog
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.history.v1 import MarkerRecordedEventAttributes
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    RPCError,
    WithStartWorkflowOperation,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCStatusCode

from tempograph import statedelta
from tempograph.colocation import has_local_worker
from tempograph.errors import (
    GraphRecursionError,
    GraphRunError,
    InterruptTimeoutError,
    InvalidUpdateError,
    NoWorkerError,
    PayloadTooLargeError,
    ResumeError,
    TempographError,
    TemporalUnavailableError,
    ThreadBusyError,
    ThreadIdConflictError,
    ThreadNotFoundError,
)
from tempograph.limits import (
    MAX_MESSAGE_BYTES,
    LimitError,
    check_depth,
    check_thread_id,
)
from tempograph.messages import (
    CHECKPOINT_MEMO,
    DEFAULT_TASK_QUEUE,
    GRAPH_ATTRIBUTE,
    RESUME_UPDATE,
    STATE_QUERY,
    STATE_UPDATE,
    STATUS_ATTRIBUTE,
    WAIT_UPDATE,
    WORKFLOW_TYPE,
    Breakpoints,
    Checkpoint,
    NodeResult,
    NodeTask,
    NodeUpdate,
    PendingRun,
    ResumeInput,
    RunInput,
    StartFrom,
    StateRef,
    StateSnapshot,
    StateUpdate,
    WaitInput,
)
from tempograph.messages import checkpoint_id as make_checkpoint_id
from tempograph.ownership import is_run, own_runs, quote
from tempograph.types import Command, Interrupt, Send

log = structlog.get_logger("tempograph.client")

RESUME_ERROR_KINDS = {
    "NotPaused",
    "InvalidResume",
    "UnknownInterrupt",
    "AmbiguousResume",
    "MissingResumeValue",
    "InvalidAnswer",
}
RUN_ERROR_KINDS: dict[str, type[TempographError]] = {
    "InterruptTimeout": InterruptTimeoutError,
    "GraphRecursionError": GraphRecursionError,
    "InvalidUpdateError": InvalidUpdateError,
    "PayloadTooLarge": PayloadTooLargeError,
}


# A query's first attempt. With no worker polling, the server answers "no poller seen for task
# queue recently" about 1 s before the deadline (instead of after its default 30 s); a worker
# that is alive but slow (replaying a long history) gets a second attempt without this limit.
QUERY_PROBE_TIMEOUT = timedelta(seconds=3)
# How long an update (resume, a start that waits for its first pause) may wait before
# GraphClient checks that a worker polls the run's task queue, and how often it checks again.
WORKER_PROBE_AFTER = 2.0
# Statuses that mean "Temporal could not be reached" (after the SDK's own retries).
UNREACHABLE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)

Result = TypeVar("Result")
Params = ParamSpec("Params")


async def connect(address: str | None = None, **kwargs: Any) -> Client:
    """Connect with the pydantic data converter, reading TEMPORAL_* variables like the CLI.
    Raises TemporalUnavailableError when no server answers at the address."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    if address:
        config["target_host"] = address
    config.setdefault("target_host", "localhost:7233")
    config.update(kwargs)
    try:
        return await Client.connect(**config, data_converter=pydantic_data_converter)
    except RuntimeError as exc:
        raise TemporalUnavailableError(
            f"Temporal unreachable at {config['target_host']}: {exc}"
        ) from exc


def _check_message(value: Any, what: str) -> None:
    """Refuse, before anything is sent, a value that a run could not take: nested deeper than
    limits.MAX_JSON_DEPTH or bigger than limits.MAX_MESSAGE_BYTES as JSON. Raises
    limits.LimitError (a ValueError) naming the limit; nothing reaches the run. `what` names
    the value in the message ("The resume value", "The input of the run", ...)."""
    check_depth(value, what)
    try:
        size = len(pydantic_core.to_json(value, serialize_unknown=True))
    except (pydantic_core.PydanticSerializationError, ValueError) as exc:
        raise LimitError(f"{what} is not JSON-serializable: {exc}") from None
    if size > MAX_MESSAGE_BYTES:
        raise LimitError(
            f"{what} is {size} bytes as JSON, over Tempograph's limit of {MAX_MESSAGE_BYTES} "
            f"bytes for one message to a run (limits.MAX_MESSAGE_BYTES; Temporal refuses "
            "payloads over 2 MiB). Store large data elsewhere and pass a reference."
        )


def _status_name(status: WorkflowExecutionStatus | int | None) -> str:
    """COMPLETED, FAILED, ... (never the enum's number)."""
    if status is None:
        return "UNKNOWN"
    try:
        return WorkflowExecutionStatus(int(status)).name
    except ValueError:
        return str(status)


def _no_poller(exc: RPCError) -> bool:
    """The server's answer to a query no worker picked up."""
    return exc.status == RPCStatusCode.FAILED_PRECONDITION and "poller" in exc.message


def _timed_out(exc: RPCError) -> bool:
    """The call's own deadline passed (rpc_timeout): the SDK says CANCELLED "Timeout expired"
    when it gives up first, the server DEADLINE_EXCEEDED when it does."""
    if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return True
    return exc.status == RPCStatusCode.CANCELLED and "timeout" in exc.message.lower()


def _not_found(thread_id: str) -> ThreadNotFoundError:
    return ThreadNotFoundError(f"No run found for thread '{thread_id}'")


def _translates_rpc_errors(
    method: Callable[Concatenate[GraphClient, Params], Coroutine[Any, Any, Result]],
) -> Callable[Concatenate[GraphClient, Params], Coroutine[Any, Any, Result]]:
    """Temporal unreachable (after the SDK's retries) -> TemporalUnavailableError naming the
    address, instead of a raw RPCError or, worse, a misleading "not found"."""

    @functools.wraps(method)
    async def wrapper(self: GraphClient, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return await method(self, *args, **kwargs)
        except RPCError as exc:
            if exc.status in UNREACHABLE:
                raise self._unreachable(exc) from exc
            raise

    return wrapper


class GraphClient:
    """Runs graphs on Temporal. One thread id = one workflow id.

    `invoke` returns what LangGraph's `invoke` returns: the state values, plus
    `"__interrupt__": [Interrupt(...)]` while the run waits at a dynamic interrupt.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str = DEFAULT_TASK_QUEUE,
        eager_start: bool | None = None,
    ) -> None:
        """`eager_start`: start new runs with Temporal's eager workflow start, which works when
        a worker for `task_queue` runs in this process on the same `client` (the server hands
        the first workflow task straight back to it, saving a trip through the task queue);
        the run's first pause is then awaited with an update. None (the default): eager when
        `create_worker` made such a worker in this process.
        """
        self.client = client
        self.task_queue = task_queue
        self._eager_start = eager_start

    @property
    def eager_start(self) -> bool:
        if self._eager_start is not None:
            return self._eager_start
        return has_local_worker(self.client, self.task_queue)

    @property
    def address(self) -> str:
        """The Temporal server this client talks to (host:port)."""
        return str(self.client.service_client.config.target_host)

    def _unreachable(self, exc: RPCError) -> TemporalUnavailableError:
        return TemporalUnavailableError(f"Temporal unreachable at {self.address}: {exc.message}")

    async def _describe(self, thread_id: str) -> WorkflowExecutionDescription:
        """The thread's latest run, if it is a Tempograph run: any other execution with that
        workflow id (another team's workflow in the namespace) is "not found", revealing
        nothing about it. Only the server's NOT_FOUND means not found."""
        try:
            description = await self.client.get_workflow_handle(thread_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise _not_found(thread_id) from None
            raise
        if not is_run(description):
            raise _not_found(thread_id)
        return description

    async def _probe_query(
        self, handle: WorkflowHandle[Any, Any], query: str, result_type: type[Result]
    ) -> tuple[bool, Result | None]:
        """Query the run, and tell whether a worker answered: (True, answer), or (False, None)
        when none did (the server says no worker polls, or nothing answered within two
        tries of QUERY_PROBE_TIMEOUT: a worker that has just stopped is still "seen" by the
        server for a while, and its queries simply time out)."""
        for _ in range(2):
            try:
                answer = await handle.query(
                    query, result_type=result_type, rpc_timeout=QUERY_PROBE_TIMEOUT
                )
                return True, answer
            except RPCError as exc:
                if _no_poller(exc):
                    return False, None
                if not _timed_out(exc):
                    raise
        return False, None

    async def _worker_polls(self, task_queue: str) -> bool:
        """Whether the server lists any poller of the task queue's workflow tasks. It lists a
        worker for a few minutes after it stopped, so an update is refused this way only
        when no worker has polled for a while (or ever): a worker that has just crashed is
        waited for, as its replacement may be starting (queries cannot tell: while an
        update waits, they wait too)."""
        response = await self.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=self.client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return len(response.pollers) > 0

    async def _needs_worker(
        self,
        handle: WorkflowHandle[Any, Any],
        task_queue: str,
        call: Awaitable[Result],
        after: str,
    ) -> Result:
        """Await `call` (an update that needs a worker to accept it and to run nodes); while
        it waits, check every WORKER_PROBE_AFTER seconds that a worker polls the run's task
        queue, and raise NoWorkerError instead of waiting forever when none does. `after`
        says what has happened to the run so far (the error message ends with it)."""
        task = asyncio.ensure_future(call)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=WORKER_PROBE_AFTER)
                if done:
                    return task.result()
                if not await self._worker_polls(task_queue) and not task.done():
                    raise NoWorkerError(_no_worker_message(task_queue, after))
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    @_translates_rpc_errors
    async def invoke(
        self,
        graph: str,
        input: dict[str, Any] | Command | None,
        *,
        thread_id: str | None = None,
        config: dict[str, Any] | None = None,
        interrupt_before: Breakpoints = None,
        interrupt_after: Breakpoints = None,
        recursion_limit: int | None = None,
        checkpoint_id: str | None = None,
        steps_per_run: int | None = None,
    ) -> dict[str, Any]:
        """Start a run (dict input), resume it (`Command(resume=...)`), or continue past a
        static breakpoint (`None`). Returns when the run pauses or ends.

        With `checkpoint_id` (or config["configurable"]["checkpoint_id"]) and input None:
        replay the thread from that checkpoint on a new branch; interrupts fire again.
        `steps_per_run` bounds each Temporal run's history: the thread continues as new
        after that many supersteps (by default, when Temporal suggests it)."""
        thread = _thread_id(thread_id, config)
        checkpoint_id = checkpoint_id or ((config or {}).get("configurable") or {}).get(
            "checkpoint_id"
        )
        if checkpoint_id and input is None:
            return await self._fork(graph, thread, checkpoint_id, pause=False)
        if input is None or isinstance(input, Command):
            # Breakpoints given here hold for this invocation only, as in LangGraph.
            return await self._resume(
                thread, input, before=interrupt_before, after=interrupt_after
            )
        check_thread_id(thread)
        _check_message(input, "The input of the run")
        run_input = RunInput(
            graph=graph,
            input=input,
            thread_id=thread,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            steps_per_run=steps_per_run,
        )
        limit = recursion_limit or (config or {}).get("recursion_limit")
        if limit:
            run_input.recursion_limit = int(limit)
        # Most starts are of new threads: try that first (one round trip), and only when the
        # thread id has runs already, look up the previous one (whose state the run carries on).
        run_input.previous_run_id = ""
        try:
            return await self._start(run_input, thread, new_thread=True)
        except _ThreadExistsError:
            pass
        run_input.previous_run_id = await self._previous_run(thread)
        return await self._start(run_input, thread)

    async def _start_eagerly(
        self, run_input: RunInput, thread: str, new_thread: bool
    ) -> dict[str, Any]:
        """Start with eager workflow start (update-with-start cannot be eager), then wait for
        the first pause or the end with an update, or the result if the run is already over."""
        try:
            handle: WorkflowHandle[Any, dict[str, Any]] = await self.client.start_workflow(
                WORKFLOW_TYPE,
                run_input,
                **self._start_options(thread, new_thread),
                request_eager_start=True,
            )
        except WorkflowAlreadyStartedError:
            raise _already_started(thread, new_thread) from None
        try:
            output: dict[str, Any] = await handle.execute_update(
                WAIT_UPDATE, WaitInput(), result_type=dict
            )
        except WorkflowUpdateFailedError as exc:
            return _invoke_output(await self._follow(thread, exc))
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # The run ended before the update reached it.
            try:
                output = await handle.result()
            except WorkflowFailureError as failure:
                raise _run_error(failure.cause) from None
        return _invoke_output(output)

    async def _fork(
        self, graph: str | None, thread: str, checkpoint_id: str, *, pause: bool
    ) -> dict[str, Any]:
        """Start a new run of the thread from an earlier checkpoint (time travel)."""
        previous = await self._previous_run(thread)
        checkpoints = {c.checkpoint_id: c for c in await self.get_state_history(thread)}
        checkpoint = checkpoints.get(checkpoint_id)
        if checkpoint is None:
            raise ValueError(f"Unknown checkpoint id '{checkpoint_id}' for thread '{thread}'")
        if not graph:
            run = self.client.get_workflow_handle(thread, run_id=checkpoint.run_id)
            graph = (await run.describe()).typed_search_attributes.get(GRAPH_ATTRIBUTE) or ""
        run_input = RunInput(
            graph=graph,
            thread_id=thread,
            previous_run_id=previous,
            start_from=StartFrom(
                checkpoint_id=checkpoint.checkpoint_id,
                values=checkpoint.values,
                next=checkpoint.next,
                step=checkpoint.step,
                pause=pause,
            ),
        )
        return await self._start(run_input, thread)

    def _start_options(self, thread: str, new_thread: bool) -> dict[str, Any]:
        """How every run of a thread is started (eagerly or with an update): one active run per
        thread id, and a new thread's start must not reuse the id of a closed run (whose state
        it would lose); the start that follows the previous run's look-up may."""
        return {
            "id": thread,
            "task_queue": self.task_queue,
            "id_conflict_policy": WorkflowIDConflictPolicy.FAIL,
            "id_reuse_policy": (
                WorkflowIDReusePolicy.REJECT_DUPLICATE
                if new_thread
                else WorkflowIDReusePolicy.ALLOW_DUPLICATE
            ),
            "result_type": dict,
        }

    async def _start(
        self, run_input: RunInput, thread: str, new_thread: bool = False
    ) -> dict[str, Any]:
        """Start a run and wait for its first pause or its end. `new_thread`: only if the
        thread id has no run at all (else _ThreadExistsError)."""
        if self.eager_start:
            return await self._start_eagerly(run_input, thread, new_thread)
        start: WithStartWorkflowOperation[Any, dict[str, Any]] = WithStartWorkflowOperation(
            WORKFLOW_TYPE, run_input, **self._start_options(thread, new_thread)
        )
        try:
            # Update-with-start: one round trip starts the run and waits for its first pause.
            output = await self._needs_worker(
                self.client.get_workflow_handle(thread),
                self.task_queue,
                self.client.execute_update_with_start_workflow(
                    WAIT_UPDATE, WaitInput(), start_workflow_operation=start, result_type=dict
                ),
                f"The run on thread '{thread}' has started and goes on when a worker polls.",
            )
        except WorkflowAlreadyStartedError:
            raise _already_started(thread, new_thread) from None
        except WorkflowUpdateFailedError as exc:
            return _invoke_output(await self._follow(thread, exc))
        except RPCError as exc:
            if exc.status == RPCStatusCode.ALREADY_EXISTS:
                raise _already_started(thread, new_thread) from None
            raise
        return _invoke_output(output)

    @_translates_rpc_errors
    async def resume(
        self,
        thread_id: str,
        value: Any = None,
        *,
        interrupt_before: Breakpoints = None,
        interrupt_after: Breakpoints = None,
        **command: Any,
    ) -> dict[str, Any]:
        """Resume a paused run and wait for its next pause or end. Stricter than `invoke`: a run
        that has already finished is an error (ResumeError, kind NotPaused) instead of
        returning its final values, so a duplicate resume from a service is noticed."""
        return await self._resume(
            thread_id,
            Command(resume=value, **command),
            strict=True,
            before=interrupt_before,
            after=interrupt_after,
        )

    @_translates_rpc_errors
    async def update_state(
        self,
        thread_id: str,
        values: dict[str, Any] | None,
        as_node: str | None = None,
        *,
        checkpoint_id: str | None = None,
    ) -> StateSnapshot:
        """Edit a paused run's state as if `as_node` had written `values` (LangGraph's
        update_state). With `as_node`, that node counts as done and its successors (its router
        evaluated again) become next; the run stays paused until resumed. `as_node="__end__"`
        ends the paused run (nothing pending, nothing next; values kept). On a finished
        thread, the edit starts a new run from its last checkpoint (see _update_finished).

        With `checkpoint_id`: fork the thread at that earlier checkpoint (a new run, paused
        there), then edit it; `invoke(graph, None, ...)` continues the fork."""
        _check_message(values, "The state update")
        if checkpoint_id is not None:
            await self._fork(None, thread_id, checkpoint_id, pause=True)
        else:
            await self._describe(thread_id)  # only a Tempograph run's state can be edited
        handle = self.client.get_workflow_handle(thread_id)
        try:
            return await handle.execute_update(
                STATE_UPDATE,
                StateUpdate(values=values, as_node=as_node),
                result_type=StateSnapshot,
            )
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == "InvalidStateUpdate":
                raise InvalidUpdateError(cause.message) from None
            raise _error(exc) from None
        except RPCError as exc:
            if exc.status in UNREACHABLE:
                raise
            if exc.status == RPCStatusCode.NOT_FOUND and "completed" not in exc.message:
                raise _not_found(thread_id) from None
            status = (await self._describe(thread_id)).status
            if status is not None and status.name == "COMPLETED":
                return await self._update_finished(thread_id, values, as_node)
            raise ResumeError(
                f"Thread '{thread_id}' is not paused ({exc.message}): update_state needs a "
                "paused or finished run",
                "NotPaused",
            ) from None

    async def _update_finished(
        self, thread_id: str, values: dict[str, Any] | None, as_node: str | None
    ) -> StateSnapshot:
        """update_state of a finished thread (LangGraph: a new checkpoint with the edited
        values). A new run of the thread starts from its last checkpoint with the edit applied:
        it waits before `next` (as_node's successors; none without as_node), where
        `invoke(graph, None)` continues it, or ends at once when nothing is next, so that the
        next `invoke(graph, input)` starts from the edited values."""
        [latest] = await self.get_state_history(thread_id, limit=1)
        previous = await self._previous_run(thread_id)
        described = await self.client.get_workflow_handle(thread_id, run_id=previous).describe()
        run_input = RunInput(
            graph=described.typed_search_attributes.get(GRAPH_ATTRIBUTE) or "",
            thread_id=thread_id,
            previous_run_id=previous,
            start_from=StartFrom(
                checkpoint_id=latest.checkpoint_id,
                values=latest.values,
                next=latest.next,
                step=latest.step,
                pause=True,
                update=StateUpdate(values=values, as_node=as_node),
            ),
        )
        await self._start(run_input, thread_id)
        return await self.get_state(thread_id)

    @_translates_rpc_errors
    async def get_state_history(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        before: str | None = None,
        source: str | None = None,
    ) -> list[Checkpoint]:
        """The thread's checkpoints, newest first, across all its runs. Read from Temporal
        history: works with no worker running. `before` is a checkpoint id (strictly older
        ones are returned); `source` filters on input / loop / update / fork."""
        runs = [
            await self._checkpoints_of_run(thread_id, run_id)
            for run_id in await self._run_ids(thread_id)
        ]
        # Runs one after the other; within a run, its own order (by step).
        runs.sort(key=lambda run: run[0].created_at if run else datetime.min.replace(tzinfo=UTC))
        checkpoints = [c for run in runs for c in run]
        for parent, child in zip(checkpoints, checkpoints[1:], strict=False):
            child.parent_checkpoint_id = parent.checkpoint_id
        checkpoints.reverse()
        if before is not None:
            ids = [c.checkpoint_id for c in checkpoints]
            if before not in ids:
                raise ValueError(f"Unknown checkpoint id '{before}' for thread '{thread_id}'")
            checkpoints = checkpoints[ids.index(before) + 1 :]
        if source is not None:
            checkpoints = [c for c in checkpoints if c.source == source]
        return checkpoints[:limit] if limit is not None else checkpoints

    async def _checkpoints_of_run(self, thread_id: str, run_id: str) -> list[Checkpoint]:
        """A run's checkpoints, oldest first: the input of each step's first node activities
        (the state before that step), and the memo checkpoints the run wrote (pauses, state
        edits, its end), which win when both describe the same checkpoint."""
        derived: dict[str, Checkpoint] = {}
        recorded: dict[str, Checkpoint] = {}
        first_step: int | None = None
        from_input = True
        batch: tuple[int, int] | None = None  # (step, workflow task) of the tasks being read
        # State versions sent to node tasks so far: a task carries a delta from an earlier one.
        known: dict[int, dict[str, Any]] = {}

        def state_of(ref: StateRef | None, legacy: dict[str, Any] | None) -> dict[str, Any]:
            if ref is None:
                return legacy or {}
            values = statedelta.resolve(ref, known)
            if values is None:
                log.warning("checkpoint state missing from history", version=ref.version)
                return {}
            known[ref.version] = values
            return values

        def derive(step: int, values: dict[str, Any], when: datetime) -> Checkpoint:
            nonlocal first_step
            first_step = step if first_step is None else first_step
            return Checkpoint(
                checkpoint_id=make_checkpoint_id(thread_id, run_id, step),
                thread_id=thread_id,
                run_id=run_id,
                step=step,
                source="input" if from_input and step == first_step else "loop",
                values=values,
                next=[],
                created_at=when,
            )

        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        async for event in handle.fetch_history_events():
            when = event.event_time.ToDatetime(UTC)
            if event.HasField("workflow_execution_started_event_attributes"):
                started = event.workflow_execution_started_event_attributes
                [run_input] = await self.client.data_converter.decode(
                    list(started.input.payloads), [dict]
                )
                # A run continued as new (or forked) does not start from input.
                from_input = not (isinstance(run_input, dict) and run_input.get("start_from"))
            elif event.HasField("activity_task_scheduled_event_attributes"):
                scheduled = event.activity_task_scheduled_event_attributes
                if scheduled.activity_type.name != "tempograph.run_node":
                    continue
                [task] = await self.client.data_converter.decode(
                    list(scheduled.input.payloads), [NodeTask]
                )
                cid = make_checkpoint_id(thread_id, run_id, task.step)
                values = state_of(task.ref, task.state)
                if cid not in derived:
                    batch = (task.step, scheduled.workflow_task_completed_event_id)
                    derived[cid] = derive(task.step, values, when)
                if batch == (task.step, scheduled.workflow_task_completed_event_id):
                    derived[cid].next.append(task.node)
            elif event.HasField("marker_recorded_event_attributes"):
                local = await self._local_node_result(event.marker_recorded_event_attributes)
                record = local.record if local is not None else None
                if record is not None:
                    # A step of local-activity nodes, whose inputs history does not hold.
                    cid = make_checkpoint_id(thread_id, run_id, record.step)
                    values = state_of(record.ref, None)
                    if cid not in derived:
                        batch = (record.step, -event.event_id)
                        derived[cid] = derive(record.step, values, when)
                        derived[cid].next = list(record.next)
            elif event.HasField("workflow_properties_modified_event_attributes"):
                memo = event.workflow_properties_modified_event_attributes.upserted_memo
                if CHECKPOINT_MEMO in memo.fields:
                    [checkpoint] = await self.client.data_converter.decode(
                        [memo.fields[CHECKPOINT_MEMO]], [Checkpoint]
                    )
                    checkpoint.created_at = min(checkpoint.created_at, when)
                    recorded[checkpoint.checkpoint_id] = checkpoint
        merged = {**derived, **recorded}
        for cid, checkpoint in derived.items():
            if cid in recorded and recorded[cid].source == "loop":
                # The recorded pause comes first; the derived one may include a later edit.
                merged[cid] = recorded[cid].model_copy(update={"source": checkpoint.source})
        # By step: the steps of local-activity nodes run within one workflow task, so their
        # records share a timestamp (and the end of the run is stamped at its task start).
        return sorted(merged.values(), key=lambda c: (c.step, c.created_at, c.source != "update"))

    @_translates_rpc_errors
    async def node_updates(self, thread_id: str, run_id: str | None = None) -> list[NodeUpdate]:
        """The writes of each finished node task of a run (the latest by default), in the
        order they finished; tasks that paused at an interrupt wrote nothing. Read from
        Temporal history: works with no worker running."""
        scheduled: dict[int, NodeTask] = {}
        updates: list[NodeUpdate] = []

        def add(result: NodeResult, step: int, node: str, task_id: str, when: datetime) -> None:
            if result.interrupt is None and result.child_pending is None:
                updates.append(
                    NodeUpdate(
                        step=step,
                        node=node,
                        task_id=task_id,
                        values=dict(result.writes),
                        finished_at=when,
                    )
                )

        handle = self.client.get_workflow_handle(thread_id, run_id=run_id)
        async for event in handle.fetch_history_events():
            when = event.event_time.ToDatetime(UTC)
            if event.HasField("marker_recorded_event_attributes"):
                local = await self._local_node_result(event.marker_recorded_event_attributes)
                if local is not None and local.step is not None:
                    add(local, local.step, local.node, local.task_id, when)
            elif event.HasField("activity_task_scheduled_event_attributes"):
                attributes = event.activity_task_scheduled_event_attributes
                if attributes.activity_type.name == "tempograph.run_node":
                    [task] = await self.client.data_converter.decode(
                        list(attributes.input.payloads), [NodeTask]
                    )
                    scheduled[event.event_id] = task
            elif event.HasField("activity_task_completed_event_attributes"):
                completed = event.activity_task_completed_event_attributes
                node_task = scheduled.get(completed.scheduled_event_id)
                if node_task is None:
                    continue
                [result] = await self.client.data_converter.decode(
                    list(completed.result.payloads), [NodeResult]
                )
                add(result, node_task.step, node_task.node, node_task.task_id, when)
        return updates

    async def _local_node_result(self, marker: MarkerRecordedEventAttributes) -> NodeResult | None:
        """The result of a node run as a local activity (a marker), if `marker` is one."""
        if marker.marker_name != "core_local_activity" or "result" not in marker.details:
            return None
        try:
            info = json.loads(marker.details["data"].payloads[0].data)
        except (KeyError, IndexError, ValueError):
            return None
        if info.get("activity_type") != "tempograph.run_node":
            return None
        [result] = await self.client.data_converter.decode(
            list(marker.details["result"].payloads), [NodeResult]
        )
        return result if isinstance(result, NodeResult) else None

    async def _run_ids(self, thread_id: str) -> list[str]:
        """Every run of the thread: the visibility list (GraphRun executions only), plus the
        latest run (always known, even before visibility has caught up)."""
        run_ids: list[str] = []
        latest: WorkflowExecutionDescription | None = None
        with contextlib.suppress(ThreadNotFoundError):  # older runs may still be listed
            latest = await self._describe(thread_id)
        async for execution in self.client.list_workflows(
            own_runs(f"WorkflowId = {quote(thread_id)}")
        ):
            run_ids.append(execution.run_id)
        if latest is not None:
            run_ids.append(latest.run_id)
        if not run_ids:
            raise _not_found(thread_id)
        return list(dict.fromkeys(run_ids))

    @_translates_rpc_errors
    async def cancel(self, thread_id: str) -> str:
        """Cancel the thread's active run (paused or running). Its state stays readable.

        Returns the status the run had: "RUNNING" (its cancellation is now requested), or
        the status of a run that had already finished ("COMPLETED", "CANCELED", ...), which
        is left as it is."""
        description = await self._describe(thread_id)
        if description.status != WorkflowExecutionStatus.RUNNING:
            return _status_name(description.status)
        try:
            await self.client.get_workflow_handle(thread_id, run_id=description.run_id).cancel()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # It finished meanwhile.
            return _status_name((await self._describe(thread_id)).status)
        return _status_name(WorkflowExecutionStatus.RUNNING)

    @_translates_rpc_errors
    async def pending(self, graph: str | None = None, limit: int = 100) -> list[PendingRun]:
        """Runs waiting for a human, newest first (search attribute TempographStatus)."""
        clause = "TempographStatus = 'interrupted' AND ExecutionStatus = 'Running'"
        if graph:
            clause += f" AND TempographGraph = {quote(graph)}"
        runs: list[PendingRun] = []
        async for execution in self.client.list_workflows(own_runs(clause), limit=limit):
            attributes = execution.typed_search_attributes
            runs.append(
                PendingRun(
                    thread_id=execution.id,
                    graph=attributes.get(GRAPH_ATTRIBUTE) or "",
                    started=execution.start_time,
                )
            )
        return runs

    async def _previous_run(self, thread_id: str) -> str:
        """The run id of the thread's last run ("" for a new thread); busy if it is active.
        An execution of another type holding the id: a running one makes the id unusable
        (ThreadIdConflictError, revealing nothing about it); a closed one is not a run of
        the thread, whose state starts empty."""
        try:
            description = await self.client.get_workflow_handle(thread_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return ""
            raise
        running = description.status == WorkflowExecutionStatus.RUNNING
        if not is_run(description):
            if running:
                raise ThreadIdConflictError(
                    f"Thread id '{thread_id}' is in use by a workflow that is not a Tempograph "
                    "run: choose another thread id"
                )
            return ""
        if running:
            raise ThreadBusyError(f"Thread '{thread_id}' already has an active run")
        return description.run_id

    @_translates_rpc_errors
    async def get_state(self, thread_id: str) -> StateSnapshot:
        """The thread's state (its latest run's), from the run's worker. With no worker
        polling: a finished run's final state from its memo and history; for a run still
        going (paused or running), NoWorkerError (get_state_history needs no worker)."""
        description = await self._describe(thread_id)
        handle = self.client.get_workflow_handle(thread_id, run_id=description.run_id)
        try:
            answered, snapshot = await self._probe_query(handle, STATE_QUERY, StateSnapshot)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise _not_found(thread_id) from None
            raise
        except WorkflowQueryFailedError as exc:
            raise GraphRunError(f"Cannot read the state of thread '{thread_id}': {exc}") from None
        if snapshot is None or not answered:
            return await self._state_without_worker(thread_id, description)
        return snapshot

    async def _state_without_worker(
        self, thread_id: str, description: WorkflowExecutionDescription
    ) -> StateSnapshot:
        """A finished run's state read from Temporal (its last checkpoint memo, or history):
        what the get_state query would answer, without a worker."""
        task_queue = description.task_queue
        if description.status == WorkflowExecutionStatus.RUNNING:
            raise NoWorkerError(
                _no_worker_message(
                    task_queue,
                    f"The run on thread '{thread_id}' is still going (paused or running) and "
                    "only a worker can read its state; its checkpoints need none "
                    "(get_state_history, `starter.py history`).",
                )
            )
        checkpoint: Checkpoint | None = await description.memo_value(
            CHECKPOINT_MEMO, None, type_hint=Checkpoint
        )
        if checkpoint is None:
            checkpoints = await self._checkpoints_of_run(thread_id, description.run_id)
            checkpoint = checkpoints[-1] if checkpoints else None
        attributes = description.typed_search_attributes
        status = attributes.get(STATUS_ATTRIBUTE) or ""
        if status not in ("done", "error", "cancelled"):
            status = {
                WorkflowExecutionStatus.COMPLETED: "done",
                WorkflowExecutionStatus.CANCELED: "cancelled",
            }.get(description.status or WorkflowExecutionStatus.FAILED, "error")
        error: str | None = None
        if description.status != WorkflowExecutionStatus.COMPLETED:
            error = f"the run is {_status_name(description.status)}"
            try:
                await self.client.get_workflow_handle(
                    thread_id, run_id=description.run_id
                ).result(follow_runs=False)
            except WorkflowFailureError as failure:
                error = str(_run_error(failure.cause))
            except Exception:  # noqa: BLE001 - the status alone says enough
                pass
        return StateSnapshot(
            thread_id=thread_id,
            graph=attributes.get(GRAPH_ATTRIBUTE) or "",
            status=status,  # type: ignore[arg-type]
            values=checkpoint.values if checkpoint else {},
            next=[],
            interrupts=[],
            step=checkpoint.step if checkpoint else 0,
            error=error if status != "cancelled" else None,
            checkpoint_id=checkpoint.checkpoint_id if checkpoint else None,
        )

    async def _resume(
        self,
        thread_id: str,
        command: Command | None,
        *,
        strict: bool = False,
        before: Breakpoints = None,
        after: Breakpoints = None,
    ) -> dict[str, Any]:
        resume = _resume_input(command)
        resume.interrupt_before, resume.interrupt_after = before, after
        if command is not None:
            _check_message(command.resume, "The resume value")
            _check_message(command.update, "The resume's state update")
        description = await self._describe(thread_id)
        handle: WorkflowHandle[Any, Any] = self.client.get_workflow_handle(thread_id)
        if description.status != WorkflowExecutionStatus.RUNNING:
            return await self._resume_closed(handle, thread_id, description, strict)
        try:
            output = await self._needs_worker(
                handle,
                description.task_queue,
                handle.execute_update(RESUME_UPDATE, resume, result_type=dict),
                f"The resume of thread '{thread_id}' is not confirmed: the run may still take "
                "it when a worker starts (check with get_state).",
            )
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            missing = isinstance(cause, ApplicationError) and cause.type == "MissingResumeValue"
            if missing and command is None:
                # LangGraph: invoke(None) at a dynamic interrupt shows the same interrupt again.
                return _invoke_output(_output_of(await self.get_state(thread_id)))
            return _invoke_output(await self._follow(thread_id, exc))
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # The run ended between the description and the update.
            return await self._resume_closed(
                handle, thread_id, await self._describe(thread_id), strict
            )
        return _invoke_output(output)

    async def _follow(self, thread_id: str, exc: WorkflowUpdateFailedError) -> dict[str, Any]:
        """The update ended without a reply: if the run continued as new meanwhile (a long
        thread), wait for the new run's next pause or end instead; otherwise raise the error."""
        while True:
            cause = exc.cause
            abandoned = isinstance(cause, ApplicationError) and (
                cause.type == "AcceptedUpdateCompletedWorkflow"
            )
            if not abandoned:
                raise _error(exc)  # the run answered with an error of its own
            handle = self.client.get_workflow_handle(thread_id)
            try:
                description = await self._describe(thread_id)
            except ThreadNotFoundError:
                raise _error(exc) from None
            if description.status != WorkflowExecutionStatus.RUNNING:
                raise _error(exc)
            try:
                output: dict[str, Any] = await self._needs_worker(
                    handle,
                    description.task_queue,
                    handle.execute_update(WAIT_UPDATE, WaitInput(), result_type=dict),
                    f"Thread '{thread_id}' continued in a new run, which waits for a worker.",
                )
                return output
            except WorkflowUpdateFailedError as again:
                exc = again

    async def _resume_closed(
        self,
        handle: WorkflowHandle[Any, Any],
        thread_id: str,
        description: WorkflowExecutionDescription,
        strict: bool,
    ) -> dict[str, Any]:
        """A resume sent to a run that has ended: LangGraph returns the final values."""
        status = description.status
        if status == WorkflowExecutionStatus.COMPLETED:
            if strict:
                raise ResumeError(
                    f"Thread '{thread_id}' is not paused (done): there is nothing to resume",
                    "NotPaused",
                )
            result: dict[str, Any] = await handle.result()
            return result
        if status == WorkflowExecutionStatus.FAILED:
            try:
                await handle.result()
            except WorkflowFailureError as failure:
                raise _run_error(failure.cause) from None
        raise GraphRunError(
            f"Thread '{thread_id}' cannot be resumed: its run is {_status_name(status)}"
        )


def _no_worker_message(task_queue: str, after: str) -> str:
    return (
        f"No worker is polling task queue '{task_queue}': start one (`make worker`, or "
        f"create_worker(...) in your service). {after}"
    ).strip()


class _ThreadExistsError(Exception):
    """A start meant for a new thread found runs on that thread id."""


def _already_started(thread: str, new_thread: bool) -> Exception:
    if new_thread:
        return _ThreadExistsError(thread)
    return ThreadBusyError(f"Thread '{thread}' already has an active run")


def _thread_id(thread_id: str | None, config: dict[str, Any] | None) -> str:
    thread = thread_id or ((config or {}).get("configurable") or {}).get("thread_id")
    if not thread:
        raise ValueError("A thread_id is required (thread_id=... or config['configurable'])")
    return str(thread)


def _resume_input(command: Command | None) -> ResumeInput:
    if command is None:
        return ResumeInput()
    goto = command.goto if isinstance(command.goto, list | tuple) else [command.goto]
    if any(isinstance(g, Send) for g in goto):
        raise ValueError("Send in a resume Command is not supported; use node names in goto")
    return ResumeInput(resume=command.resume, update=command.update, goto=[str(g) for g in goto])


def _invoke_output(output: dict[str, Any]) -> dict[str, Any]:
    if "__interrupt__" in output:
        output["__interrupt__"] = [
            Interrupt(value=i["value"], id=i["id"], response_schema=i.get("response_schema"))
            for i in output["__interrupt__"]
        ]
    return output


def _output_of(snapshot: StateSnapshot) -> dict[str, Any]:
    out: dict[str, Any] = dict(snapshot.values)
    if snapshot.paused_at == "interrupt":
        out["__interrupt__"] = [
            i.model_dump(include={"value", "id", "response_schema"}) for i in snapshot.interrupts
        ]
    return out


def _error(exc: WorkflowUpdateFailedError) -> TempographError:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in RESUME_ERROR_KINDS:
        return ResumeError(cause.message, cause.type or "InvalidResume")
    return _run_error(cause)


def _run_error(cause: BaseException | None) -> TempographError:
    if isinstance(cause, ApplicationError):
        return RUN_ERROR_KINDS.get(cause.type or "", GraphRunError)(cause.message)
    return GraphRunError(str(cause))
