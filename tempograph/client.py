"""GraphClient: start, resume and inspect graph runs, with LangGraph's `invoke` shapes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pydantic
import pydantic_core
import structlog
from temporalio.api.enums.v1 import TaskQueueType
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
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCStatusCode

from tempograph._client import history
from tempograph._client.failures import (
    ERROR_CLASSES,
    RESUME_ERROR_KINDS,
    UNREACHABLE,
    error_for,
    failure_kind,
    is_no_poller,
    is_run_not_ready,
    is_timed_out,
    no_worker_message,
    not_found,
    run_error,
    translates_rpc_errors,
    unreachable,
    update_error,
)
from tempograph._client.history import (
    Checkpointed,
    ContinuedAsNew,
    Ended,
    NodeUpdated,
    Paused,
    Resumed,
    RunEvent,
    Streamed,
    TaskFinished,
    TaskStarted,
)
from tempograph._client.runs import thread_runs
from tempograph._client.stream_parts import LIVE_MODES, STREAM_MODES, Part, StreamParts
from tempograph._client.subgraph_stream import child_events, merged, split_event
from tempograph.codec import data_converter
from tempograph.colocation import has_local_worker
from tempograph.connection import connect_config
from tempograph.errors import (
    GraphRunError,
    NoWorkerError,
    PayloadTooLargeError,
    ResumeError,
    RunNotReadyError,
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
    ErrorKind,
    GotoSend,
    NodeUpdate,
    PendingRun,
    ResumeInput,
    RunInput,
    StartFrom,
    StateSnapshot,
    StateUpdate,
    WaitInput,
)
from tempograph.notifications import run_details, run_summary
from tempograph.observability import client_options
from tempograph.ownership import is_run, own_runs, quote
from tempograph.types import Command, Interrupt, Send

log = structlog.get_logger("tempograph.client")

__all__ = [
    "ERROR_CLASSES",
    "RESUME_ERROR_KINDS",
    "RUN_ERROR_KINDS",
    "Checkpointed",
    "ContinuedAsNew",
    "Ended",
    "GraphClient",
    "NodeUpdated",
    "Paused",
    "Resumed",
    "RunEvent",
    "RunHistory",
    "Streamed",
    "TaskFinished",
    "TaskStarted",
    "connect",
    "error_for",
]

# Kinds of a failed run and their exceptions (kept for callers of the old name; the whole
# table is ERROR_CLASSES, in tempograph._client.failures).
RUN_ERROR_KINDS: dict[str, type[TempographError]] = {
    kind: cls for kind, cls in ERROR_CLASSES.items() if kind not in RESUME_ERROR_KINDS
}


# A query's first attempt. With no worker polling, the server answers "no poller seen for task
# queue recently" about 1 s before the deadline (instead of after its default 30 s); a worker
# that is alive but slow (replaying a long history) gets a second attempt without this limit.
QUERY_PROBE_TIMEOUT = timedelta(seconds=3)
# How long an update (resume, a start that waits for its first pause) may wait before
# GraphClient checks that a worker polls the run's task queue, and how often it checks again.
WORKER_PROBE_AFTER = 2.0

Result = TypeVar("Result")
# Once an invocation streamed has its answer, how long its history may take to show it.
STREAM_CATCH_UP_SECONDS = 10.0


@dataclass
class RunHistory:
    """One run's checkpoints (oldest first, as get_state_history's entries for that run, not
    linked to their parents) and node updates (as node_updates), read in one pass."""

    run_id: str
    checkpoints: list[Checkpoint]
    updates: list[NodeUpdate]


async def connect(address: str | None = None, **kwargs: Any) -> Client:
    """Connect as the `temporal` CLI does (a TOML profile, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
    TEMPORAL_API_KEY, TEMPORAL_TLS_*: tempograph.connection), with Tempograph's data converter
    (pydantic, encrypted when TEMPOGRAPH_ENCRYPTION_KEYS is set: tempograph.codec). `kwargs`
    go to Client.connect and win. Raises TemporalUnavailableError when no server answers at the
    address, ConnectionConfigError / EncryptionConfigError (ValueErrors) on wrong settings."""
    config = connect_config(address)
    # The Prometheus runtime and the tracing interceptor, when configured (observability).
    config.update(client_options())
    config.update(kwargs)
    if "data_converter" not in config:
        config["data_converter"] = data_converter()
    try:
        return await Client.connect(**config)
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


# How long a call waits for a run whose last workflow task failed (Temporal retries that task
# by itself; after a refused 2 MiB+ message sent straight to the run it recovers in ~10-20 s).
NOT_READY_PATIENCE = timedelta(seconds=45)
# What the run's reply guard says when a reply or query result is over the payload limit
# (GraphRun._guard_reply): a failed query carries only its message.
REPLY_TOO_LARGE_MARK = "(payloads.MAX_PAYLOAD_BYTES)"
# How many threads' runs a GraphClient remembers as its own (to resume without a describe).
OWN_RUNS_REMEMBERED = 10_000


# The RPC deadline of one attempt of an update (None: the SDK's), and how many attempts an
# update waiting past it makes in all (with the same update id) before the error is the caller's.
UPDATE_RPC_TIMEOUT: timedelta | None = None
UPDATE_RPC_ATTEMPTS = 5


def _cancelling() -> bool:
    """Whether the current task is being cancelled (the SDK turns that CancelledError into
    WorkflowUpdateRPCTimeoutOrCancelledError)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def execute_update(
    handle: WorkflowHandle[Any, Any], update: str, arg: Any, result_type: type[Result]
) -> Result:
    """handle.execute_update, retried while Temporal answers "Workflow Task in failed state":
    that state is transient (Temporal retries the task) and the run itself is fine, so the
    caller should not see it as an error unless it lasts. An update that waits past its RPC
    deadline (a loaded server) is awaited again under the same update id: Temporal delivers an
    update id once, so the run never gets the message twice (a new id would send a second
    resume)."""
    delay, waited = 0.25, 0.0
    update_id = str(uuid.uuid4())
    attempts = 0
    while True:
        attempts += 1
        try:
            return await handle.execute_update(
                update, arg, id=update_id, result_type=result_type, rpc_timeout=UPDATE_RPC_TIMEOUT
            )
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            if _cancelling() or attempts >= UPDATE_RPC_ATTEMPTS:
                raise
            log.info(
                "update waited past its RPC deadline, awaiting it again",
                workflow_id=handle.id,
                update=update,
                update_id=update_id,
                attempt=attempts,
            )
            continue
        except RPCError as exc:
            if not is_run_not_ready(exc):
                raise
            if waited >= NOT_READY_PATIENCE.total_seconds():
                raise RunNotReadyError(
                    f"Run '{handle.id}' did not recover within {waited:.0f} s: its last "
                    f"workflow task keeps failing ({exc.message}). See `temporal workflow "
                    f"describe -w {handle.id}`."
                ) from exc
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 4.0)


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
        # Runs known to be GraphRuns (started by this client, or described): thread id ->
        # (run id, task queue). A resume goes straight to that run, without a describe first.
        self._own_runs: OrderedDict[str, tuple[str, str]] = OrderedDict()
        # The worker probe, shared per task queue by every call waiting on it: task queue ->
        # (its answer's future, the loop time it was answered or None while in flight). Under
        # load hundreds of calls wait at once; one DescribeTaskQueue per WORKER_PROBE_AFTER
        # answers them all (a probe each, every 2 s, multiplied the server's work).
        self._probes: dict[str, tuple[asyncio.Future[bool | None], float | None]] = {}

    def _remember(self, thread_id: str, run_id: str | None, task_queue: str) -> None:
        if not run_id:
            return
        self._own_runs[thread_id] = (run_id, task_queue)
        self._own_runs.move_to_end(thread_id)
        while len(self._own_runs) > OWN_RUNS_REMEMBERED:
            self._own_runs.popitem(last=False)

    @property
    def eager_start(self) -> bool:
        if self._eager_start is not None:
            return self._eager_start
        return has_local_worker(self.client, self.task_queue)

    @property
    def address(self) -> str:
        """The Temporal server this client talks to (host:port)."""
        return str(self.client.service_client.config.target_host)

    async def _describe(self, thread_id: str) -> WorkflowExecutionDescription:
        """The thread's latest run, if it is a Tempograph run: any other execution with that
        workflow id (another team's workflow in the namespace) is "not found", revealing
        nothing about it. Only the server's NOT_FOUND means not found."""
        try:
            description = await self.client.get_workflow_handle(thread_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise not_found(thread_id) from None
            raise
        if not is_run(description):
            raise not_found(thread_id)
        self._remember(thread_id, description.run_id, description.task_queue)
        return description

    async def _probe_query(
        self, handle: WorkflowHandle[Any, Any], query: str, result_type: type[Result]
    ) -> tuple[bool, Result | None]:
        """Query the run, and tell whether a worker answered: (True, answer), or (False, None)
        when none did (the server says no worker polls, or nothing answered within two
        tries of QUERY_PROBE_TIMEOUT: a worker that has just stopped is still "seen" by the
        server for a while, and its queries simply time out)."""
        timeouts, waited, delay = 0, 0.0, 0.25
        while timeouts < 2:
            try:
                answer = await handle.query(
                    query, result_type=result_type, rpc_timeout=QUERY_PROBE_TIMEOUT
                )
                return True, answer
            except RPCError as exc:
                if is_no_poller(exc):
                    return False, None
                if is_run_not_ready(exc) and waited < NOT_READY_PATIENCE.total_seconds():
                    # Transient: Temporal retries the run's failed workflow task.
                    await asyncio.sleep(delay)
                    waited, delay = waited + delay, min(delay * 2, 4.0)
                    continue
                if not is_timed_out(exc):
                    raise
                timeouts += 1
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

    async def _worker_seen(self, task_queue: str) -> bool | None:
        """_worker_polls, shared: a probe in flight or answered less than WORKER_PROBE_AFTER
        ago answers every caller. None when the probe failed (e.g. "operation was canceled"
        from a loaded server): unknown, so the caller keeps waiting rather than failing a call
        whose run is fine."""
        loop = asyncio.get_running_loop()
        cached = self._probes.get(task_queue)
        if cached is not None:
            future, answered = cached
            fresh = answered is None or loop.time() - answered < WORKER_PROBE_AFTER
            if fresh and future.get_loop() is loop:
                # Shielded: one waiting call cancelled must not cancel the others' probe.
                return await asyncio.shield(future)
        future = loop.create_task(self._probe_worker(task_queue))
        self._probes[task_queue] = (future, None)
        future.add_done_callback(lambda done: self._probe_answered(task_queue, done, loop.time()))
        return await asyncio.shield(future)

    def _probe_answered(
        self, task_queue: str, future: asyncio.Future[bool | None], at: float
    ) -> None:
        if self._probes.get(task_queue, (None, None))[0] is future:
            self._probes[task_queue] = (future, at)

    async def _probe_worker(self, task_queue: str) -> bool | None:
        try:
            return await self._worker_polls(task_queue)
        except RPCError as exc:
            log.warning(
                "worker probe failed, still waiting",
                task_queue=task_queue,
                status=getattr(exc.status, "name", exc.status),
                error=exc.message,
            )
            return None

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
                # Only a definite "no poller" refuses: an unknown (failed probe) waits on.
                if await self._worker_seen(task_queue) is False and not task.done():
                    raise NoWorkerError(no_worker_message(task_queue, after))
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    @translates_rpc_errors
    async def invoke(
        self,
        graph: str,
        input: dict[str, Any] | Command | None,
        *,
        thread_id: str | None = None,
        config: dict[str, Any] | None = None,
        context: Any = None,
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
        after that many supersteps (by default, when Temporal suggests it).

        `config` (its `configurable`, `metadata`, `tags`, `run_name`) and `context` reach every
        node of this invocation (`config` / `runtime` parameters, tempograph.config.get_config);
        a resume passes its own, as in LangGraph."""
        return await self._invoke(
            graph,
            input,
            thread=_thread_id(thread_id, config),
            config=config,
            context=context,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            recursion_limit=recursion_limit,
            checkpoint_id=checkpoint_id,
            steps_per_run=steps_per_run,
        )

    async def _invoke(
        self,
        graph: str,
        input: dict[str, Any] | Command | None,
        *,
        thread: str,
        config: dict[str, Any] | None,
        context: Any,
        interrupt_before: Breakpoints,
        interrupt_after: Breakpoints,
        recursion_limit: int | None,
        checkpoint_id: str | None,
        steps_per_run: int | None,
        stream: bool = False,
        on_start: OnStart | None = None,
        webhook: str | None = None,
    ) -> dict[str, Any]:
        """invoke; `stream`: the run publishes its nodes' live output; `on_start`: told the
        run id of a run this starts, as soon as Temporal has it; `webhook`: POSTed when this
        invocation pauses or ends (the HTTP API's run field; tempograph.notifications)."""
        run_config, run_context = _invocation(config, context)
        checkpoint_id = checkpoint_id or ((config or {}).get("configurable") or {}).get(
            "checkpoint_id"
        )
        if checkpoint_id and input is None:
            return await self._fork(
                graph,
                thread,
                checkpoint_id,
                pause=False,
                config=run_config,
                context=run_context,
                stream=stream,
                on_start=on_start,
                webhook=webhook,
            )
        if input is None or isinstance(input, Command):
            # Breakpoints given here hold for this invocation only, as in LangGraph.
            return await self._resume(
                thread,
                input,
                before=interrupt_before,
                after=interrupt_after,
                config=run_config,
                context=run_context,
                stream=stream,
                webhook=webhook,
            )
        check_thread_id(thread)
        if not isinstance(input, dict):
            raise TypeError(
                "The input of a run is a dict of state values (or a Command to resume, or "
                f"None to continue), not a {type(input).__name__}"
            )
        _check_message(input, "The input of the run")
        run_input = RunInput(
            graph=graph,
            input=input,
            thread_id=thread,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            steps_per_run=steps_per_run,
            config=run_config,
            context=run_context,
            stream=stream,
            webhook=webhook,
        )
        limit = recursion_limit or (config or {}).get("recursion_limit")
        if limit:
            run_input.recursion_limit = int(limit)
        # Most starts are of new threads: try that first (one round trip), and only when the
        # thread id has runs already, look up the previous one (whose state the run carries on).
        run_input.previous_run_id = ""
        try:
            return await self._start(run_input, thread, new_thread=True, on_start=on_start)
        except _ThreadExistsError:
            pass
        run_input.previous_run_id = await self._previous_run(thread)
        return await self._start(run_input, thread, on_start=on_start)

    async def _start_eagerly(
        self, run_input: RunInput, thread: str, new_thread: bool, on_start: OnStart | None = None
    ) -> dict[str, Any]:
        """Start with eager workflow start (update-with-start cannot be eager), then wait for
        the first pause or the end with an update, or the result if the run is already over."""
        try:
            handle: WorkflowHandle[Any, dict[str, Any]] = await self.client.start_workflow(
                WORKFLOW_TYPE,
                run_input,
                **self._start_options(thread, new_thread, run_input.graph),
                request_eager_start=True,
            )
        except WorkflowAlreadyStartedError:
            raise _already_started(thread, new_thread) from None
        started_run = handle.result_run_id or handle.first_execution_run_id
        self._remember(thread, started_run, self.task_queue)
        if on_start is not None and started_run:
            on_start(started_run)
        try:
            output: dict[str, Any] = await handle.execute_update(
                WAIT_UPDATE, WaitInput(), result_type=dict
            )
        except WorkflowUpdateFailedError as exc:
            return _invoke_output(await self._await_next_run(thread, exc))
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # The run ended before the update reached it.
            try:
                output = await handle.result()
            except WorkflowFailureError as failure:
                raise run_error(failure.cause) from None
        return _invoke_output(output)

    async def _fork(
        self,
        graph: str | None,
        thread: str,
        checkpoint_id: str,
        *,
        pause: bool,
        config: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        stream: bool = False,
        on_start: OnStart | None = None,
        webhook: str | None = None,
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
        run_input = _from_checkpoint(
            graph, thread, previous, checkpoint, pause=pause, config=config, context=context
        )
        run_input.stream = stream
        run_input.webhook = webhook
        return await self._start(run_input, thread, on_start=on_start)

    def _start_options(self, thread: str, new_thread: bool, graph: str = "") -> dict[str, Any]:
        """How every run of a thread is started (eagerly or with an update): one active run per
        thread id, and a new thread's start must not reuse the id of a closed run (whose state
        it would lose); the start that follows the previous run's look-up may. The Temporal
        UI's summary and details of the run (tempograph.notifications.run_summary)."""
        return {
            "static_summary": run_summary(graph, thread),
            "static_details": run_details(graph, thread),
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
        self,
        run_input: RunInput,
        thread: str,
        new_thread: bool = False,
        on_start: OnStart | None = None,
    ) -> dict[str, Any]:
        """Start a run and wait for its first pause or its end. `new_thread`: only if the
        thread id has no run at all (else _ThreadExistsError). `on_start`: told the run id
        once the run has started (before its first pause)."""
        if self.eager_start:
            return await self._start_eagerly(run_input, thread, new_thread, on_start)
        start: WithStartWorkflowOperation[Any, dict[str, Any]] = WithStartWorkflowOperation(
            WORKFLOW_TYPE, run_input, **self._start_options(thread, new_thread, run_input.graph)
        )
        reporter = None if on_start is None else asyncio.ensure_future(_report(start, on_start))
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
            started = await start.workflow_handle()
            self._remember(
                thread, started.result_run_id or started.first_execution_run_id, self.task_queue
            )
        except WorkflowAlreadyStartedError:
            raise _already_started(thread, new_thread) from None
        except WorkflowUpdateFailedError as exc:
            return _invoke_output(await self._await_next_run(thread, exc))
        except RPCError as exc:
            if exc.status == RPCStatusCode.ALREADY_EXISTS:
                raise _already_started(thread, new_thread) from None
            raise
        finally:
            if reporter is not None:
                if not reporter.done():
                    reporter.cancel()
                await asyncio.gather(reporter, return_exceptions=True)
        return _invoke_output(output)

    @translates_rpc_errors
    async def resume(
        self,
        thread_id: str,
        value: Any = None,
        *,
        interrupt_before: Breakpoints = None,
        interrupt_after: Breakpoints = None,
        config: dict[str, Any] | None = None,
        context: Any = None,
        **command: Any,
    ) -> dict[str, Any]:
        """Resume a paused run and wait for its next pause or end. Stricter than `invoke`: a run
        that has already finished is an error (ResumeError, kind NotPaused) instead of
        returning its final values, so a duplicate resume from a service is noticed.
        `config` / `context`: this invocation's (as for `invoke`)."""
        run_config, run_context = _invocation(config, context)
        return await self._resume(
            thread_id,
            Command(resume=value, **command),
            strict=True,
            before=interrupt_before,
            after=interrupt_after,
            config=run_config,
            context=run_context,
        )

    @translates_rpc_errors
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
        if values is not None and not isinstance(values, dict):
            raise TypeError(
                f"update_state takes a dict of values or None, not a {type(values).__name__}"
            )
        _check_message(values, "The state update")
        if checkpoint_id is not None:
            await self._fork(None, thread_id, checkpoint_id, pause=True)
        else:
            await self._describe(thread_id)  # only a Tempograph run's state can be edited
        handle = self.client.get_workflow_handle(thread_id)
        try:
            return await execute_update(
                handle, STATE_UPDATE, StateUpdate(values=values, as_node=as_node), StateSnapshot
            )
        except WorkflowUpdateFailedError as exc:
            raise update_error(exc) from None
        except RPCError as exc:
            if exc.status in UNREACHABLE:
                raise
            if exc.status == RPCStatusCode.NOT_FOUND and "completed" not in exc.message:
                raise not_found(thread_id) from None
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
        run_input = _from_checkpoint(
            described.typed_search_attributes.get(GRAPH_ATTRIBUTE) or "",
            thread_id,
            previous,
            latest,
            pause=True,
            update=StateUpdate(values=values, as_node=as_node),
        )
        await self._start(run_input, thread_id)
        return await self.get_state(thread_id)

    @translates_rpc_errors
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
        """A run's checkpoints, oldest first (see history.RunReader.checkpoints)."""
        return (await history.read_run(self.client, thread_id, run_id)).checkpoints()

    @translates_rpc_errors
    async def node_updates(self, thread_id: str, run_id: str | None = None) -> list[NodeUpdate]:
        """The writes of each finished node task of a run (the latest by default), in the
        order they finished; tasks that paused at an interrupt wrote nothing. Read from
        Temporal history: works with no worker running."""
        return (await self.run_history(thread_id, run_id)).updates

    @translates_rpc_errors
    async def run_history(self, thread_id: str, run_id: str | None = None) -> RunHistory:
        """A run's checkpoints and node updates (the latest run by default), read from its
        history in one pass: works with no worker running."""
        if run_id is None:
            run_id = (await self._describe(thread_id)).run_id
        reader = await history.read_run(self.client, thread_id, run_id)
        return RunHistory(run_id=run_id, checkpoints=reader.checkpoints(), updates=reader.updates)

    async def follow(
        self, thread_id: str, run_id: str | None = None, *, after_event: int = 0
    ) -> AsyncIterator[RunEvent]:
        """A run's events as they happen (the latest run by default): from its start, then
        live, long-polling its history (read once, never again from the start), and on into
        the next run when it continues as new. Yields, in history order: Checkpointed (each
        checkpoint once whole; again with `revised` when the run's own record changes it),
        NodeUpdated (a node task's writes), Paused and Resumed, ContinuedAsNew, and last
        Ended (COMPLETED with the final values, FAILED with the error, CANCELED...), after
        which the iterator stops. A run that pauses stays followed: resume it from elsewhere.
        Needs no worker. `after_event`: skip what the run's first `after_event` history events
        (its `history_length` when described) added, e.g. to show only what a resume adds."""
        try:
            if run_id is None:
                run_id = (await self._describe(thread_id)).run_id
            else:
                await self._describe_run(thread_id, run_id)
            async for event in history.follow(
                self.client, thread_id, run_id, after_event=after_event
            ):
                yield event
        except RPCError as exc:
            if exc.status in UNREACHABLE:
                raise unreachable(self.address, exc) from exc
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise not_found(thread_id) from None
            raise

    async def stream(
        self,
        graph: str,
        input: dict[str, Any] | Command | None = None,
        *,
        thread_id: str | None = None,
        stream_mode: str | Sequence[str] = "values",
        config: dict[str, Any] | None = None,
        context: Any = None,
        command: Command | None = None,
        interrupt_before: Breakpoints = None,
        interrupt_after: Breakpoints = None,
        recursion_limit: int | None = None,
        checkpoint_id: str | None = None,
        steps_per_run: int | None = None,
        subgraphs: bool = False,
    ) -> AsyncIterator[Any]:
        """Run like `invoke` (start with a dict input; resume with `command=Command(...)` or a
        Command as input; continue with None; fork with `checkpoint_id`) and yield what the
        run does as it goes, as LangGraph's `graph.astream`: one mode (a str) yields its
        chunks, a list of modes yields `(mode, chunk)` tuples. Stops when the run pauses or
        ends (a failed run raises, as invoke).

        `subgraphs=True`: also what subgraph nodes (child runs) do, where they run (after the
        parent's task start, before its result), as LangGraph's astream(subgraphs=True):
        `(namespace, chunk)` or `(namespace, mode, chunk)`, the namespace a tuple of
        "<node>:<task id>" (() for the run itself). A child's custom events appear only then.

        Modes: "values" (the state before the first step and after each superstep; a resume
        first yields the state it resumes from), "updates" ({node: writes}, {node: None} when
        a node wrote nothing, {"__interrupt__": (Interrupt, ...)} at a pause, an empty tuple
        at a static breakpoint), "messages" ((message chunk, metadata) for each LLM token a
        node's chat model streams, then each message a node returns that was not streamed;
        "messages-tuple" is the same), "custom" (what nodes gave get_stream_writer()),
        "tasks", "checkpoints", "debug", and "events" (astream_events v2 dicts; an extension).

        Differences from LangGraph: messages, states and task payloads are JSON dicts (the
        LangChain serialized form, e.g. chunks with "type": "AIMessageChunk"), as invoke
        returns them; tasks/checkpoints/debug payloads are the Agent Server's; at a pause,
        "values" alone yields {"__interrupt__": ...} (as LangGraph) but no state."""
        single = isinstance(stream_mode, str)
        asked = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
        modes = {"messages-tuple" if m in ("messages", "messages-tuple") else m for m in asked}
        unknown = sorted(modes - STREAM_MODES)
        if unknown or not asked:
            known = sorted((STREAM_MODES - {"messages-tuple"}) | {"messages"})
            raise ValueError(f"Unknown stream mode(s) {unknown}: the modes are {known}")
        if command is not None:
            if input is not None:
                raise ValueError("Give the run an input or a command, not both")
            input = command
        thread = _thread_id(thread_id, config)
        run_config, _ = _invocation(config, context)
        started: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        resumed_from: dict[str, Any] | None = None
        forking = bool(
            checkpoint_id or ((config or {}).get("configurable") or {}).get("checkpoint_id")
        )
        if (input is None or isinstance(input, Command)) and not forking:
            # A resume of the thread's run: what it adds comes after its history so far.
            description = await self._describe(thread)
            if description.status == WorkflowExecutionStatus.RUNNING:
                started.set_result((description.run_id, description.history_length))
                if "values" in modes:
                    resumed_from = dict((await self.get_state(thread)).values)

        def on_start(run_id: str) -> None:
            if not started.done():
                started.set_result((run_id, 0))

        invocation = asyncio.ensure_future(
            self._invoke(
                graph,
                input,
                thread=thread,
                config=config,
                context=context,
                interrupt_before=interrupt_before,
                interrupt_after=interrupt_after,
                recursion_limit=recursion_limit,
                checkpoint_id=checkpoint_id,
                steps_per_run=steps_per_run,
                stream=bool(modes & LIVE_MODES),
                on_start=on_start,
            )
        )
        try:
            first: set[asyncio.Future[Any]] = {started, invocation}
            await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
            if not started.done():
                await invocation  # raises its error; else the run ended before it was seen
                return
            run_id, after_event = started.result()
            metadata = {**((run_config or {}).get("metadata") or {}), "graph_id": graph}
            parts = StreamParts(modes, thread_id=thread, run_id=run_id, metadata=metadata)
            chunks = parts.start(
                resumed_from, input=input if isinstance(input, dict) else resumed_from
            )
            for chunk in _in_process(chunks, modes, single, subgraphs):
                yield chunk
            events = self._followed(thread, run_id, after_event, invocation)
            children = (
                child_events(self.client, live=True, publish=bool(modes & LIVE_MODES))
                if subgraphs
                else None
            )
            async for _, out, _ in merged(((e, True) async for e in events), parts, children):
                for chunk in _in_process(out, modes, single, subgraphs):
                    yield chunk
            await invocation  # a failed run raises here
        finally:
            if not invocation.done():
                invocation.cancel()
            await asyncio.gather(invocation, return_exceptions=True)

    async def _followed(
        self, thread: str, run_id: str, after_event: int, invocation: asyncio.Future[Any]
    ) -> AsyncIterator[RunEvent]:
        """The run's events (after `after_event`) until the invocation has its answer and
        history shows it: a pause, or the end; nothing more when the invocation added nothing
        to history (a refused resume)."""
        queue: asyncio.Queue[RunEvent | BaseException | None] = asyncio.Queue()

        async def pump() -> None:
            try:
                async for event in self.follow(thread, run_id, after_event=after_event):
                    await queue.put(event)
            except Exception as exc:  # noqa: BLE001 - handed to the reader
                await queue.put(exc)
            finally:
                queue.put_nowait(None)

        pumping = asyncio.ensure_future(pump())
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        get: asyncio.Future[RunEvent | BaseException | None] | None = None
        try:
            while True:
                get = get or asyncio.ensure_future(queue.get())
                waiting: set[asyncio.Future[Any]] = (
                    {get} if invocation.done() else {get, invocation}
                )
                timeout = None if deadline is None else max(0.0, deadline - loop.time())
                await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if get.done():
                    event, get = get.result(), None
                    if event is None:
                        return
                    if isinstance(event, BaseException):
                        raise event
                    yield event
                    if isinstance(event, Paused):
                        return  # the invocation's answer: it waits for a human now
                    continue
                if invocation.done() and deadline is None:
                    if invocation.exception() is not None or not await self._added_to(
                        thread, run_id, after_event
                    ):
                        return
                    deadline = loop.time() + STREAM_CATCH_UP_SECONDS
                elif deadline is not None and loop.time() >= deadline:
                    log.warning("history did not show the run's answer", thread_id=thread)
                    return
        finally:
            if get is not None:
                get.cancel()
            pumping.cancel()
            await asyncio.gather(pumping, return_exceptions=True)

    async def _added_to(self, thread: str, run_id: str, after_event: int) -> bool:
        """Whether the thread's history has grown past `after_event` of run `run_id`."""
        description = await self._describe(thread)
        return description.run_id != run_id or description.history_length > after_event

    async def _describe_run(self, thread_id: str, run_id: str) -> WorkflowExecutionDescription:
        """A given run of the thread, if it is a Tempograph run (else not found)."""
        try:
            description = await self.client.get_workflow_handle(thread_id, run_id=run_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise not_found(thread_id) from None
            raise
        if not is_run(description):
            raise not_found(thread_id)
        return description

    async def _run_ids(self, thread_id: str) -> list[str]:
        """Every run of the thread: the visibility list (GraphRun executions only), plus the
        latest run (always known, even before visibility has caught up)."""
        latest: WorkflowExecutionDescription | None = None
        with contextlib.suppress(ThreadNotFoundError):  # older runs may still be listed
            latest = await self._describe(thread_id)
        run_ids = [execution.run_id for execution in await thread_runs(self.client, thread_id)]
        if latest is not None:
            run_ids.append(latest.run_id)
        if not run_ids:
            raise not_found(thread_id)
        return list(dict.fromkeys(run_ids))

    @translates_rpc_errors
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

    @translates_rpc_errors
    async def pending(
        self,
        graph: str | None = None,
        limit: int | None = 100,
        progress: Callable[[int], None] | None = None,
    ) -> list[PendingRun]:
        """Runs waiting for a human, newest first (search attribute TempographStatus); at most
        `limit` (None: all). `progress(n)` is called every 500 runs read (long listings)."""
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
            if progress is not None and len(runs) % 500 == 0:
                progress(len(runs))
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

    @translates_rpc_errors
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
                raise not_found(thread_id) from None
            raise
        except WorkflowQueryFailedError as exc:
            if REPLY_TOO_LARGE_MARK in str(exc):
                # A query failure carries only its message: the run's reply guard names the
                # limit. The run is untouched; get_state_history reads its values.
                raise PayloadTooLargeError(str(exc)) from None
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
                no_worker_message(
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
                await self.client.get_workflow_handle(thread_id, run_id=description.run_id).result(
                    follow_runs=False
                )
            except WorkflowFailureError as failure:
                error = str(run_error(failure.cause))
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
        config: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        stream: bool = False,
        webhook: str | None = None,
    ) -> dict[str, Any]:
        resume = _resume_input(command)
        resume.interrupt_before, resume.interrupt_after = before, after
        resume.config, resume.context = config, context
        resume.stream, resume.webhook = stream, webhook
        if command is not None:
            _check_message(command.resume, "The resume value")
            _check_message(command.update, "The resume's state update")
        known = self._own_runs.get(thread_id)
        if known is not None:
            # A run this client started or has seen is a GraphRun: resume that very run with
            # no describe first (one round trip). If it has ended, look again below.
            run_id, task_queue = known
            pinned = self.client.get_workflow_handle(thread_id, run_id=run_id)
            try:
                return await self._send_resume(pinned, task_queue, thread_id, resume, command)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
                self._own_runs.pop(thread_id, None)
        description = await self._describe(thread_id)
        handle: WorkflowHandle[Any, Any] = self.client.get_workflow_handle(
            thread_id, run_id=description.run_id
        )
        if description.status != WorkflowExecutionStatus.RUNNING:
            return await self._resume_closed(handle, thread_id, description, strict)
        try:
            return await self._send_resume(
                handle, description.task_queue, thread_id, resume, command
            )
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # The run ended between the description and the update.
            return await self._resume_closed(
                handle, thread_id, await self._describe(thread_id), strict
            )

    async def _send_resume(
        self,
        handle: WorkflowHandle[Any, Any],
        task_queue: str,
        thread_id: str,
        resume: ResumeInput,
        command: Command | None,
    ) -> dict[str, Any]:
        """The resume update to one run, and what invoke returns for its reply. RPCError
        (e.g. NOT_FOUND: that run has ended) is left to the caller."""
        try:
            output = await self._needs_worker(
                handle,
                task_queue,
                execute_update(handle, RESUME_UPDATE, resume, dict),
                f"The resume of thread '{thread_id}' is not confirmed: the run may still take "
                "it when a worker starts (check with get_state).",
            )
        except WorkflowUpdateFailedError as exc:
            missing = failure_kind(exc) == ErrorKind.MISSING_RESUME_VALUE
            if missing and command is None:
                # LangGraph: invoke(None) at a dynamic interrupt shows the same interrupt again.
                return _invoke_output(_output_of(await self.get_state(thread_id)))
            return _invoke_output(await self._await_next_run(thread_id, exc))
        return _invoke_output(output)

    async def _await_next_run(
        self, thread_id: str, exc: WorkflowUpdateFailedError
    ) -> dict[str, Any]:
        """The update ended without a reply: if the run continued as new meanwhile (a long
        thread), wait for the new run's next pause or end instead; otherwise raise the error."""
        while True:
            # Temporal's own type: the run closed before it replied.
            if failure_kind(exc) != "AcceptedUpdateCompletedWorkflow":
                raise update_error(exc)  # the run answered with an error of its own
            handle = self.client.get_workflow_handle(thread_id)
            try:
                description = await self._describe(thread_id)
            except ThreadNotFoundError:
                raise update_error(exc) from None
            if description.status != WorkflowExecutionStatus.RUNNING:
                raise update_error(exc)
            try:
                output: dict[str, Any] = await self._needs_worker(
                    handle,
                    description.task_queue,
                    execute_update(handle, WAIT_UPDATE, WaitInput(), dict),
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
                raise run_error(failure.cause) from None
        raise GraphRunError(
            f"Thread '{thread_id}' cannot be resumed: its run is {_status_name(status)}"
        )


OnStart = Callable[[str], None]


async def _report(start: WithStartWorkflowOperation[Any, Any], on_start: OnStart) -> None:
    """Tell `on_start` the run id as soon as the update-with-start has started the run."""
    handle = await start.workflow_handle()
    run_id = handle.result_run_id or handle.first_execution_run_id
    if run_id:
        on_start(run_id)


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


# The keys of a RunnableConfig that travel with a run (JSON); the others are the run's own
# (thread_id, checkpoint_id, recursion_limit: set as today) or cannot leave the process.
_CONFIG_KEYS = ("configurable", "metadata", "tags", "run_name")
_LOCAL_CONFIG_KEYS = ("callbacks",)
_RUN_CONFIGURABLE = ("thread_id", "checkpoint_id")


def _invocation(
    config: dict[str, Any] | None, context: Any
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The config and context an invocation passes to its nodes, checked like its input."""
    run_config: dict[str, Any] | None = None
    if config:
        local = [k for k in _LOCAL_CONFIG_KEYS if config.get(k)]
        if local:
            raise TypeError(
                f"config[{local[0]!r}] cannot reach nodes: they run in a worker process. "
                "Attach callbacks in the node (or the worker) instead."
            )
        run_config = {k: config[k] for k in _CONFIG_KEYS if config.get(k) is not None}
        configurable = {
            k: v
            for k, v in (run_config.get("configurable") or {}).items()
            if k not in _RUN_CONFIGURABLE
        }
        if configurable:
            run_config["configurable"] = configurable
        else:
            run_config.pop("configurable", None)
        if "tags" in run_config:
            run_config["tags"] = list(run_config["tags"])
        run_config = run_config or None
        if run_config is not None:
            _check_message(run_config, "The run's config")
    if context is not None:
        # LangGraph takes the context_schema's instance too; it travels as its fields.
        if isinstance(context, pydantic.BaseModel):
            context = context.model_dump(mode="json")
        elif dataclasses.is_dataclass(context) and not isinstance(context, type):
            context = dataclasses.asdict(context)
        if not isinstance(context, dict):
            raise TypeError(
                f"context is a dict of JSON values, not a {type(context).__name__} (the node "
                "receives it as the graph's context_schema)"
            )
        _check_message(context, "The run's context")
    return run_config, context


def _resume_input(command: Command | None) -> ResumeInput:
    if command is None:
        return ResumeInput()
    goto = command.goto if isinstance(command.goto, list | tuple) else [command.goto]
    # LangGraph: goto holds node names and Sends (a task of the node with the Send's argument).
    targets: list[str | GotoSend] = [
        GotoSend(node=g.node, arg=g.arg) if isinstance(g, Send) else str(g) for g in goto
    ]
    return ResumeInput(resume=command.resume, update=command.update, goto=targets)


def _from_checkpoint(
    graph: str,
    thread: str,
    previous_run_id: str,
    checkpoint: Checkpoint,
    *,
    pause: bool,
    update: StateUpdate | None = None,
    config: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> RunInput:
    """A new run of the thread that starts from `checkpoint` (a fork, or an edit of a finished
    thread), waiting there when `pause`."""
    return RunInput(
        graph=graph,
        thread_id=thread,
        previous_run_id=previous_run_id,
        start_from=StartFrom(
            checkpoint_id=checkpoint.checkpoint_id,
            values=checkpoint.values,
            next=checkpoint.next,
            step=checkpoint.step,
            pause=pause,
            update=update,
        ),
        config=config,
        context=context,
    )


def _invoke_output(output: dict[str, Any]) -> dict[str, Any]:
    if "__interrupt__" in output:
        output["__interrupt__"] = [
            Interrupt(value=i["value"], id=i["id"], response_schema=i.get("response_schema"))
            for i in output["__interrupt__"]
        ]
    return output


def _in_process(
    parts: Iterable[Part], modes: set[str], single: bool, subgraphs: bool = False
) -> Iterable[Any]:
    """Parts as LangGraph's astream yields them: (mode, chunk), or the chunk of one mode;
    with subgraphs, (namespace, mode, chunk) or (namespace, chunk)."""
    for part in parts:
        mode, namespace = split_event(part.event)
        data = part.data
        if mode == "messages":
            data = tuple(data)
        elif mode in ("values", "updates") and isinstance(data, dict) and "__interrupt__" in data:
            if mode == "values" and "updates" in modes:
                continue  # LangGraph shows a pause once, in "updates" when asked
            data = {
                "__interrupt__": tuple(
                    Interrupt(
                        value=i["value"], id=i["id"], response_schema=i.get("response_schema")
                    )
                    for i in data["__interrupt__"]
                )
            }
        if subgraphs:
            yield (namespace, data) if single else (namespace, mode, data)
        else:
            yield data if single else (mode, data)


def _output_of(snapshot: StateSnapshot) -> dict[str, Any]:
    out: dict[str, Any] = dict(snapshot.values)
    if snapshot.paused_at == "interrupt":
        out["__interrupt__"] = [i.view() for i in snapshot.interrupts]
    return out
