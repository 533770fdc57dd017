"""Runs: submitting them (validation, multitask strategy), executing them on their thread
through GraphClient, awaiting (wait, join), cancelling, and reading them back.

A run is a GraphRun execution; `run_id` is its Temporal run id. A HITL resume continues the
same execution, so the runs that answer a thread's interrupts share the run id of the run that
asked. A RunRecord adds what only this process knows: the request details (kwargs, metadata)
and the state of a run still queued here behind its thread's lock. Statuses of runs that are no
longer in flight here are derived from Temporal (status.TABLE), the same in every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from temporalio.api.common.v1 import WorkflowExecution as ExecutionRef
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import (
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from tempograph._client.failures import translates_rpc_errors
from tempograph._run_config import (
    ASSISTANT_KEY,
    BothConfigurableAndContextError,
    invocation,
)
from tempograph._run_config import (  # the Agent Server's text, re-exported for callers
    BOTH_CONFIGURABLE_AND_CONTEXT as BOTH_CONFIGURABLE_AND_CONTEXT,
)
from tempograph.client import RESUME_ERROR_KINDS
from tempograph.errors import GraphRunError, TempographError
from tempograph.http.bounded import BoundedDict, BoundedSet
from tempograph.http.errors import (
    BUSY,
    NOT_FOUND,
    UNAVAILABLE,
    HttpError,
    check_message,
    check_new_thread_id,
)
from tempograph.http.executions import (
    CLOSED_CANCELLABLE,
    CLOSED_RESUMABLE,
    UNKNOWN,
    Unknown,
    graph_name,
    is_paused,
)
from tempograph.http.parts import ThreadParts
from tempograph.http.rendering import (
    assistant_id_of,
    error_body,
    exception_body,
    now,
    output_of,
    run_json,
    wait_body,
)
from tempograph.http.schemas import CommandBody, RunBody, unsupported_run_fields
from tempograph.http.status import TABLE, CancelCause, Outcome, RunStatus
from tempograph.http.thread_store import ThreadEntry, delayed
from tempograph.messages import (
    STATUS_ATTRIBUTE_NAME,
    WORKFLOW_TYPE,
    ErrorKind,
    RunInput,
    StartFrom,
)
from tempograph.ownership import own_runs, quote
from tempograph.types import Command, Send

log = logging.getLogger("tempograph.http")


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
    status: RunStatus = "pending"
    task: asyncio.Task[dict[str, Any]] | None = None
    body: dict[str, Any] | None = None
    known: asyncio.Event = field(default_factory=asyncio.Event)
    temporal_run_id: str | None = None
    # The execution's history events from before this run (a resume continues a paused
    # execution): a stream of the run shows what comes after them.
    history_from: int = 0
    # Queued behind the thread's run at submission (multitask_strategy "enqueue"): runs.create
    # answers at once, "pending".
    queued: bool = False
    # The run id was answered to a client: it stays the run's id (the Temporal run id, once
    # known, is an alias) instead of being replaced by the Temporal run id.
    announced: bool = False

    def to_json(self) -> dict[str, Any]:
        return run_json(
            run_id=self.run_id,
            thread_id=self.thread_id,
            assistant_id=self.assistant_id,
            created_at=self.created_at,
            updated_at=self.updated_at,
            status=self.status,
            metadata=self.metadata,
            kwargs=self.kwargs,
            multitask_strategy=self.multitask_strategy,
        )

    def in_flight(self) -> bool:
        return self.task is not None and not self.task.done()


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
    # What reaches the run's nodes (run_invocation): config without thread_id / checkpoint_id
    # (the run's own) nor callbacks (JSON cannot carry them), and the runtime context.
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    # A stream asks for live output (tokens, custom events): node calls publish it.
    stream: bool = False
    # POSTed when this run pauses or ends (the Agent Server's `webhook`; tempograph.notifications).
    webhook: str | None = None
    # Start the run's execution this much later (a new thread's first run only: start_delay).
    after_seconds: float = 0.0


# How soon, then how often at most, a started execution's run id is looked for (_watch).
WATCH_FIRST_POLL = 0.25
WATCH_MAX_POLL = 1.0

RUN_IN_FLIGHT = (
    "Run {} is in flight: cancel it first (runs.cancel; action=rollback also deletes it)"
)
DELETED_RUN_REASON = "Run deleted through the Tempograph HTTP API (runs.delete or rollback)"


def run_invocation(body: RunBody) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The config and context a run passes to its nodes (tempograph._run_config.invocation):
    both `configurable` and `context` is a 400, as on the Agent Server."""
    config = body.config.model_dump(exclude_none=True) if body.config is not None else None
    try:
        return invocation(config, body.context, body.metadata)
    except BothConfigurableAndContextError as exc:
        raise HttpError(400, str(exc)) from None


SEND_KEYS = frozenset({"node", "input"})
# Each goto target is a task of the paused step, all scheduled at once: Temporal refuses a
# workflow more pending activities than its limit (2,000 by default), which fails the run's
# workflow task over and over. A resume names at most this many.
MAX_GOTO = 1000


def to_command(body: CommandBody) -> Command:
    """A run's `command` as a Command. `goto`: node names and Sends, the Agent Server's
    `{"node": ..., "input": ...}` (LangGraph's Send(node, arg)), alone or in a list; a Send of
    any other shape is refused (422 naming it), never run without its argument."""
    update = dict(body.update) if isinstance(body.update, list) else body.update
    goto: list[str | Send] = []
    # An empty name or object is refused, not read as "no goto" (it was dropped silently).
    targets = (
        body.goto if isinstance(body.goto, list) else [body.goto] if body.goto is not None else []
    )
    if len(targets) > MAX_GOTO:
        raise HttpError(
            422, f"command.goto: at most {MAX_GOTO} node names and Sends, got {len(targets)}"
        )
    for i, target in enumerate(targets):
        where = f"command.goto[{i}]" if isinstance(body.goto, list) else "command.goto"
        if isinstance(target, str):
            if not target:
                raise HttpError(422, f"{where}: an empty node name")
            goto.append(target)
            continue
        node = target.get("node")
        unknown = sorted(set(target) - SEND_KEYS)
        if not isinstance(node, str) or not node or unknown:
            raise HttpError(
                422,
                f'{where}: a node name or a Send {{"node": <node name>, "input": <its input>}}, '
                f"got {sorted(target)}",
            )
        goto.append(Send(node, target.get("input")))
    return Command(resume=body.resume, update=update, goto=goto)


def run_kwargs(body: RunBody) -> dict[str, Any]:
    return {
        "input": body.input,
        "command": body.command.model_dump(exclude_none=True) if body.command else None,
        "config": body.config.model_dump(exclude_none=True) if body.config else {},
        "context": body.context or {},
        "stream_mode": body.stream_mode or ["values"],
        "stream_subgraphs": body.stream_subgraphs,
        "interrupt_before": body.interrupt_before,
        "interrupt_after": body.interrupt_after,
        "checkpoint_id": body.checkpoint_id,
    }


@dataclass(eq=False)
class RunExecutor(ThreadParts):
    cache_size: InitVar[int]
    # Provisional and Temporal ids; a run still going stays until it ends.
    runs: BoundedDict[str, RunRecord] = field(init=False)
    tasks: set[asyncio.Task[Any]] = field(init=False, default_factory=set)
    # The assistant each execution's run named (read once from its start input: immutable).
    assistants: BoundedDict[str, str] = field(init=False)

    def __post_init__(self, cache_size: int) -> None:
        self.runs = BoundedDict(cache_size, pinned=lambda r: r.in_flight())
        self.assistants = BoundedDict(cache_size)

    @property
    def deleted_runs(self) -> BoundedSet[str]:
        return self.store.deleted_runs

    def spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run `work` in the background, kept referenced until it ends."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    # -----------------------------------------------------------------------------------------
    # Submitting.
    # -----------------------------------------------------------------------------------------

    def run_request(self, thread_id: str, body: RunBody, *, stream: bool = False) -> RunRequest:
        graph = self.catalog.graph_of(body.assistant_id)
        if graph is None:
            raise HttpError(404, NOT_FOUND)
        config = body.config
        configurable = (config.configurable if config else None) or {}
        run_config, context = run_invocation(body)
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
            config=run_config,
            context=context,
            stream=stream,
            webhook=body.webhook,
            after_seconds=body.after_seconds or 0.0,
        )

    def validate(
        self, body: RunBody, *, stateless: bool, thread_id: str = "", stream: bool = False
    ) -> RunRequest:
        """Check a run body (fields honoured, sizes, assistant) before anything starts."""
        unsupported_run_fields(body)
        if body.webhook is not None and not body.webhook.startswith(("http://", "https://")):
            raise HttpError(422, f"webhook: an http(s) URL, got {body.webhook!r}")
        if stateless and body.command is not None and body.command.resume is not None:
            raise HttpError(400, "You must provide a thread_id when resuming.")
        check_message("input", body.input)
        if body.command is not None:
            check_message("command", body.command.model_dump(exclude_none=True))
        check_message("metadata", body.metadata)
        check_message("context", body.context)
        check_message("config", body.config.model_dump(exclude_none=True) if body.config else None)
        return self.run_request(thread_id, body, stream=stream)

    async def submit(
        self, thread_id: str, body: RunBody, *, stateless: bool, stream: bool = False
    ) -> RunRecord:
        """Validate, apply the multitask strategy, and start the run in the background.
        `stream`: its node calls publish their live output (a stream asks for it)."""
        # A created assistant's config and context, under the run's own (read from Temporal).
        body = await self.catalog.apply(body)
        request = self.validate(body, stateless=stateless, thread_id=thread_id, stream=stream)
        if self.catalog.system_graph(body.assistant_id) is None:
            # A created assistant: named in the run's config metadata (as the Agent Server
            # does), where a later read of the execution finds it (`assistant_of`).
            request.config = dict(request.config or {})
            request.config["metadata"] = {
                **(request.config.get("metadata") or {}),
                ASSISTANT_KEY: self.catalog.assistant_id(body.assistant_id),
            }
        # The ownership check reads the executions the look-up has just described (one
        # describe each per request; the block ends before anything acts on them).
        with self.executions.reusing():
            record, desc = await self.store.lookup(thread_id)
            # A deleted thread's latest execution is hidden from `desc` (and shown again once
            # the thread is made anew below): not a description to pass on.
            tombstoned = thread_id in self.executions.deleted
            if record is None and desc is None:
                if body.if_not_exists != "create" and not stateless:
                    raise HttpError(404, NOT_FOUND)
                check_new_thread_id(thread_id)
                if not stateless and await self.store.foreign(thread_id):
                    raise HttpError(409, UNAVAILABLE.format(thread_id))
                metadata = {
                    "graph_id": request.graph,
                    "assistant_id": self.catalog.assistant_id(body.assistant_id),
                }
                record = self.store.entry(thread_id, metadata)
            elif desc is None and not stateless and await self.store.foreign(thread_id):
                # Another workflow holds the thread's workflow id: a run could not start (or
                # would read that workflow as the thread's previous run).
                raise HttpError(409, UNAVAILABLE.format(thread_id))
        if request.after_seconds and (desc is not None or body.input is None or body.command):
            raise HttpError(
                422,
                "after_seconds: only a run with input on a thread without runs (a new thread, "
                "or a stateless run) can be delayed: Temporal delays the start of the thread's "
                "first execution; later runs continue the thread's executions",
            )
        record = record or self.store.entry(thread_id)
        busy = record.lock.locked() or await self.executions.busy(thread_id, desc)
        # What this request knows of the thread's latest execution, still current if nothing
        # acts on the thread before the run takes its lock (see _job).
        latest: WorkflowExecutionDescription | None | Unknown = (
            UNKNOWN if busy or tombstoned else desc
        )
        if busy and body.multitask_strategy == "reject":
            raise HttpError(409, BUSY)
        if busy and body.multitask_strategy in ("interrupt", "rollback"):
            working = await self.executions.describe(thread_id)
            working_now = await self.executions.busy(thread_id, working)
            await self.executions.cancel_running(thread_id, CancelCause.USER)
            if body.multitask_strategy == "rollback" and working is not None and working_now:
                # The cancelled execution is deleted and the thread returns to before it.
                closed = await self.executions.describe(thread_id, working.run_id)
                if closed is not None:
                    await self._delete_execution(thread_id, closed)
        stamp = now()
        run = RunRecord(
            run_id=str(uuid.uuid4()),
            thread_id=thread_id,
            assistant_id=self.catalog.assistant_id(body.assistant_id),
            graph=request.graph,
            created_at=stamp,
            updated_at=stamp,
            metadata=dict(body.metadata or {}),
            kwargs=run_kwargs(body),
            multitask_strategy=body.multitask_strategy,
        )
        run.queued = busy and body.multitask_strategy == "enqueue"
        self.runs[run.run_id] = run
        run.task = self.spawn(self._job(run, record, request, latest))
        return run

    async def _job(
        self,
        run: RunRecord,
        thread: ThreadEntry,
        request: RunRequest,
        latest: WorkflowExecutionDescription | None | Unknown = UNKNOWN,
    ) -> dict[str, Any]:
        """`latest`: the thread's latest execution, described by the submitting request and
        found idle (not executing a step) there."""
        try:
            if thread.lock.locked():
                latest = UNKNOWN  # another run goes first: what was described will change
            async with thread.lock:
                if isinstance(latest, Unknown):
                    # Still "pending" while a run started by another process finishes.
                    await self.executions.settle(request.thread_id)
                run.status = "running"
                run.updated_at = now()
                await self.store.forget_refused(thread)
                if request.after_seconds:
                    body = await self._delayed(run, request)
                else:
                    body = await self._execute(
                        request, lambda rid, at: self._known(run, rid, at), latest
                    )
                if "__error__" in body and body["__error__"].get("error") in RESUME_ERROR_KINDS:
                    snap = await self.executions.snapshot(request.thread_id)
                    if snap is not None and snap.status == "interrupted":
                        await self.store.remember_refused(
                            thread, body["__error__"], snap.checkpoint_id
                        )
                thread.updated_at = now()
        except asyncio.CancelledError:
            run.status = "interrupted"
            run.known.set()
            raise
        except Exception as exc:
            log.exception("run %s failed", run.run_id)
            body = error_body(type(exc).__name__, str(exc))
        # A run whose execution replied with a pause was not cancelled part-way (a cancelled
        # run may still reply with its values: only a pause tells, without a describe).
        paused = "__interrupt__" in body and not request.after_seconds
        cancelled = False if paused else await self._cancelled(run)
        if cancelled:
            snap = await self.executions.snapshot(request.thread_id, run.temporal_run_id)
            body = dict(snap.values) if snap is not None else {}
        run.body = body
        run.status = "interrupted" if cancelled else "error" if "__error__" in body else "success"
        run.updated_at = now()
        run.known.set()
        return body

    async def _cancelled(self, run: RunRecord) -> bool:
        """Whether the run's execution was cancelled part-way (by any process, as Temporal
        recorded it), rather than failed."""
        if run.temporal_run_id is None:
            return False
        desc = await self.executions.describe(run.thread_id, run.temporal_run_id)
        if desc is None or desc.status not in CLOSED_CANCELLABLE:
            return False
        reading = await self.executions.read(run.thread_id, desc, paused=False, refused=False)
        return reading.outcome == Outcome.CANCELLED

    def _known(self, run: RunRecord, temporal_run_id: str, history_from: int) -> None:
        """The run's Temporal run id is known: it becomes the run id (the first id stays an
        alias for look-ups). `history_from`: the execution's events from before this run."""
        if run.temporal_run_id == temporal_run_id:
            return
        run.temporal_run_id = temporal_run_id
        run.history_from = history_from
        self.runs[temporal_run_id] = run
        if not run.known.is_set() and not run.announced and run.status in ("pending", "running"):
            run.run_id = temporal_run_id
        run.known.set()

    # -----------------------------------------------------------------------------------------
    # Executing (holding the thread's lock).
    # -----------------------------------------------------------------------------------------

    async def _execute(
        self,
        request: RunRequest,
        on_run_id: Callable[[str, int], None],
        latest: WorkflowExecutionDescription | None | Unknown = UNKNOWN,
    ) -> dict[str, Any]:
        """Run the request on its thread; the wait body. `latest`: the thread's latest
        execution as this request has just described it (else it is described here)."""
        thread_id = request.thread_id
        try:
            desc = (
                await self.executions.describe(thread_id) if isinstance(latest, Unknown) else latest
            )
            if request.command is None and request.input is not None:
                await self.executions.close_paused(thread_id, desc)
                # A paused execution was just closed: its run id is still the latest's.
                return wait_body(
                    await self._watch(
                        thread_id, on_run_id, lambda started: self._start(request, started), desc
                    )
                )
            if desc is None:
                if request.command is not None:
                    return error_body(
                        ErrorKind.INVALID_RESUME.value,
                        f"Thread {thread_id} has no run to resume: start one with input first",
                    )
                return error_body("EmptyInputError", "Received no input for __start__")
            graph = graph_name(desc) or request.graph
            fork = request.checkpoint_id
            if fork is not None and desc.status == WorkflowExecutionStatus.RUNNING:
                snap = await self.executions.snapshot(thread_id)
                if snap is not None and snap.checkpoint_id == fork:
                    fork = None  # the head checkpoint: a plain continuation
            if fork is None and desc.status in CLOSED_RESUMABLE:
                # Failed or cancelled: continue from the latest checkpoint (its step runs again).
                history = await self.executions.history(thread_id)
                if not history or not history[0].next:
                    snap = await self.executions.snapshot(thread_id)
                    return dict(snap.values) if snap is not None else {}
                fork = history[0].checkpoint_id
            if fork is not None:
                await self.executions.close_paused(thread_id, desc)
                output = await self._watch(
                    thread_id,
                    on_run_id,
                    lambda started: self._invoke(
                        request,
                        graph,
                        None,
                        checkpoint_id=fork,
                        breakpoints=False,
                        on_start=started,
                    ),
                    desc,
                )
                if request.command is None or "__interrupt__" not in output:
                    return wait_body(output)
            else:
                on_run_id(desc.run_id, desc.history_length)  # a resume of this execution
            # Run-time breakpoints belong to this run only, as on the Agent Server.
            return wait_body(await self._invoke(request, graph, request.command))
        except GraphRunError as exc:
            return error_body(**await self.executions.failure(thread_id, fallback=str(exc)))
        except TempographError as exc:
            return exception_body(exc)

    async def _delayed(self, run: RunRecord, request: RunRequest) -> dict[str, Any]:
        """A new thread's first run started `after_seconds` later by Temporal (start_delay:
        durable, whether or not this process is still up then); "pending" until then."""
        thread_id = request.thread_id
        run_input = RunInput(
            graph=request.graph,
            input=request.input,
            thread_id=thread_id,
            interrupt_before=request.interrupt_before,  # type: ignore[arg-type]
            interrupt_after=request.interrupt_after,  # type: ignore[arg-type]
            previous_run_id="",
            config=request.config,
            context=request.context,
            stream=request.stream,
            webhook=request.webhook,
        )
        if request.recursion_limit:
            run_input.recursion_limit = request.recursion_limit
        options = self.gc._start_options(thread_id, True, request.graph)
        try:
            handle = await self.gc.client.start_workflow(
                WORKFLOW_TYPE,
                run_input,
                start_delay=timedelta(seconds=request.after_seconds),
                **options,
            )
        except WorkflowAlreadyStartedError:
            return error_body("HTTPException", BUSY)
        run.status = "pending"
        self._known(run, handle.first_execution_run_id or handle.result_run_id or "", 0)
        await asyncio.sleep(request.after_seconds)
        run.status = "running"
        run.updated_at = now()
        desc = await self._execution(thread_id, run.run_id, handle.first_execution_run_id)
        return await self._execution_body(thread_id, desc)

    def _start(
        self, request: RunRequest, on_start: Callable[[str], None] | None = None
    ) -> Awaitable[dict[str, Any]]:
        return self._invoke(
            request,
            request.graph,
            request.input,
            recursion_limit=request.recursion_limit,
            on_start=on_start,
        )

    def _invoke(
        self,
        request: RunRequest,
        graph: str,
        input: dict[str, Any] | Command | None,
        *,
        checkpoint_id: str | None = None,
        recursion_limit: int | None = None,
        breakpoints: bool = True,
        on_start: Callable[[str], None] | None = None,
    ) -> Awaitable[dict[str, Any]]:
        """GraphClient.invoke of the request, with its node calls publishing live output when
        a stream asks for it (`stream`, which the public invoke does not take)."""
        invoke = translates_rpc_errors(type(self.gc)._invoke)
        return invoke(
            self.gc,
            graph,
            input,
            thread=request.thread_id,
            config=request.config,
            context=request.context,
            interrupt_before=request.interrupt_before if breakpoints else None,  # type: ignore[arg-type]
            interrupt_after=request.interrupt_after if breakpoints else None,  # type: ignore[arg-type]
            recursion_limit=recursion_limit,
            checkpoint_id=checkpoint_id,
            steps_per_run=None,
            stream=request.stream,
            webhook=request.webhook,
            on_start=on_start,
        )

    async def _watch(
        self,
        thread_id: str,
        on_run_id: Callable[[str, int], None],
        work: Callable[[Callable[[str], None]], Awaitable[dict[str, Any]]],
        before: WorkflowExecutionDescription | None | Unknown = UNKNOWN,
    ) -> dict[str, Any]:
        """Run `work` (which starts a new execution, and tells the callback it is given the
        new run id once its start returns) and report the new execution's run id as soon as
        Temporal has it (runs.create answers with it before the run pauses). `before`: the
        thread's latest execution before `work`, if this request described it."""
        if isinstance(before, Unknown):
            before = await self.executions.describe(thread_id)
        previous = before.run_id if before is not None else None
        started: list[str] = []
        task = asyncio.ensure_future(work(started.append))
        reported = False
        # Polled after WATCH_FIRST_POLL, then less and less often: under load a start waits
        # seconds for its first pause, and a describe every 20 ms multiplied the server's work
        # (a start that returns first tells the run id itself, `started`).
        pause = WATCH_FIRST_POLL
        while not task.done() and not reported:
            await asyncio.wait({task}, timeout=pause)
            if task.done() or started:
                break
            desc = await self.executions.describe(thread_id)
            if desc is not None and desc.run_id != previous:
                on_run_id(desc.run_id, 0)
                reported = True
            pause = min(pause * 2, WATCH_MAX_POLL)
        if not reported and started:
            on_run_id(started[0], 0)  # the start returned (no describe needed)
            reported = True
        result = await task
        if not reported and started:
            on_run_id(started[0], 0)
            reported = True
        if not reported:
            desc = await self.executions.describe(thread_id)
            if desc is not None and desc.run_id != previous:
                on_run_id(desc.run_id, 0)
        return result

    # -----------------------------------------------------------------------------------------
    # Awaiting.
    # -----------------------------------------------------------------------------------------

    @staticmethod
    async def created(run: RunRecord) -> RunRecord:
        """Wait until the run's Temporal run id is known (at most 5 s: a run queued behind
        another keeps its provisional id, which stays valid)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(run.known.wait()), timeout=5)
        if not run.known.is_set():
            run.announced = True  # the provisional id stays the run's id
        return run

    async def accepted(self, run: RunRecord) -> RunRecord:
        """runs.create's answer: a run queued behind the thread's run (enqueue) at once, as
        "pending" with its provisional id (which stays its id); any other once its Temporal
        run id is known (`created`)."""
        if run.queued and not run.known.is_set():
            run.announced = True
            return run
        return await self.created(run)

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
            await self.executions.delete_all(run.thread_id)
        self.store.forget(run.thread_id)

    async def join(self, thread_id: str, run_id: str) -> dict[str, Any]:
        """The wait body of a run: blocks while it executes."""
        self._not_deleted(run_id)
        run = self.find_run(thread_id, run_id)
        if run is not None and run.in_flight():
            return await self.wait_for(run)
        if run is not None and run.temporal_run_id is None and run.body is not None:
            return run.body
        temporal_run_id = run.temporal_run_id if run is not None else run_id
        return await self._execution_body(
            thread_id, await self._execution(thread_id, run_id, temporal_run_id)
        )

    async def _execution_body(
        self, thread_id: str, desc: WorkflowExecutionDescription
    ) -> dict[str, Any]:
        if desc.status == WorkflowExecutionStatus.RUNNING:
            snap = await self.executions.snapshot(thread_id, desc.run_id)
            if snap is not None and snap.status == "interrupted":
                return wait_body(output_of(snap))
            try:
                return wait_body(await self.executions.wait_until_paused(thread_id, desc.run_id))
            except WorkflowUpdateFailedError:
                desc = await self.executions.describe(thread_id, desc.run_id) or desc
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            handle = self.executions.client.get_workflow_handle(thread_id, run_id=desc.run_id)
            result: dict[str, Any] = await handle.result(follow_runs=False)
            return result
        if desc.status == WorkflowExecutionStatus.FAILED:
            return error_body(**await self.executions.failure(thread_id, desc.run_id))
        if desc.status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
            latest = await self.executions.describe(thread_id)
            if latest is not None and latest.run_id != desc.run_id:
                return await self._execution_body(thread_id, latest)
        snap = await self.executions.snapshot(thread_id, desc.run_id)
        return dict(snap.values) if snap is not None else {}

    # -----------------------------------------------------------------------------------------
    # Cancelling.
    # -----------------------------------------------------------------------------------------

    async def cancel_run(
        self,
        thread_id: str,
        run_id: str,
        *,
        wait: bool,
        action: Literal["interrupt", "rollback"] = "interrupt",
    ) -> None:
        """Cancel a pending or running run. "interrupt": the thread keeps its checkpoints; a
        run without input continues from the latest. "rollback": once cancelled, the run is
        deleted as runs.delete does (the thread returns to before its execution)."""
        self._not_deleted(run_id)
        run = self.find_run(thread_id, run_id)
        running_here = run is not None and run.in_flight()
        if (
            run is not None
            and run.task is not None
            and running_here
            and run.status == "pending"
            and run.temporal_run_id is None
        ):
            run.task.cancel()  # still queued in this process: it never started
            if action == "rollback":
                self._forget_run(run)
            return
        if action == "rollback":
            wait = True  # deleted once it has closed
        temporal_run_id = run.temporal_run_id if run is not None else run_id
        desc = (
            await self.executions.describe(thread_id, temporal_run_id) if temporal_run_id else None
        )
        if desc is None and not running_here:
            if run is None:
                raise HttpError(404, f"Run {run_id} not found")
            raise HttpError(409, f"Run {run_id} is not pending or running")
        if not running_here and (
            desc is None
            or await self.execution_status(thread_id, desc) not in ("running", "pending")
        ):
            raise HttpError(409, f"Run {run_id} is not pending or running")
        if wait:
            await self.executions.cancel_running(thread_id, CancelCause.USER)
            if run is not None and run.task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(run.task), timeout=60)
            if action == "rollback" and desc is not None:
                closed = await self.executions.describe(thread_id, desc.run_id)
                if closed is not None:
                    await self._delete_execution(thread_id, closed)
            return
        latest = await self.executions.describe(thread_id)
        if latest is not None and latest.status == WorkflowExecutionStatus.RUNNING:
            await self.executions.cancel(thread_id, latest.run_id, CancelCause.USER)

    async def cancel_many(
        self,
        *,
        thread_id: str | None,
        run_ids: list[str] | None,
        status: Literal["pending", "running", "all"] | None,
        action: Literal["interrupt", "rollback"],
    ) -> None:
        """POST /runs/cancel: the runs named (thread_id and run_ids), or every run with a
        status ("pending": queued in this process; "running": executing a step, on any
        process, from Temporal visibility; "all": both). 404 when none could be cancelled."""
        targets: list[tuple[str, str]] = []
        if status is not None:
            if thread_id is not None or run_ids is not None:
                raise HttpError(
                    422,
                    "When providing a 'status', 'thread_id' and 'run_ids' must be omitted. The "
                    "'status' parameter cancels all runs with the given status, regardless of "
                    "thread or run ID.",
                )
            wanted = {"pending", "running"} if status == "all" else {status}
            seen: set[str] = set()
            for run in list(self.runs.values()):
                if run.in_flight() and run.status in wanted and run.run_id not in seen:
                    seen.add(run.run_id)
                    seen.add(run.temporal_run_id or run.run_id)
                    targets.append((run.thread_id, run.run_id))
            if "running" in wanted:
                for execution in await self._working_executions():
                    if execution.run_id not in seen:
                        targets.append((execution.id, execution.run_id))
        else:
            if thread_id is None or run_ids is None:
                raise HttpError(
                    422, "Must provide either a status or both 'thread_id' and 'run_ids'"
                )
            targets = [(thread_id, run_id) for run_id in dict.fromkeys(run_ids)]
        cancelled = 0
        for target_thread, run_id in targets:
            try:
                await self.cancel_run(target_thread, run_id, wait=False, action=action)
            except HttpError as exc:
                if exc.status not in (404, 409):
                    raise
                continue
            cancelled += 1
        if not cancelled:
            raise HttpError(404, "No runs found to cancel.")

    async def _working_executions(self) -> list[WorkflowExecution]:
        """GraphRun executions of this task queue executing a step (not paused), as
        visibility lists them."""
        query = own_runs(
            f"ExecutionStatus = 'Running' AND {STATUS_ATTRIBUTE_NAME} = 'running' "
            f"AND TaskQueue = {quote(self.gc.task_queue)}"
        )
        found: list[WorkflowExecution] = []
        async for execution in self.executions.client.list_workflows(query, limit=1000):
            if execution.parent_id is None:  # a subgraph's run is its parent's
                found.append(execution)
        return found

    # -----------------------------------------------------------------------------------------
    # Deleting runs (runs.delete, rollback).
    # -----------------------------------------------------------------------------------------

    async def delete_run(self, thread_id: str, run_id: str) -> None:
        """Delete a run: one queued here is dropped; a run executing a step is 409 (cancel
        it first, or with action "rollback"); otherwise its GraphRun execution is deleted, and
        when it is the thread's latest, the thread returns to the state before it."""
        self._not_deleted(run_id)
        run = self.find_run(thread_id, run_id)
        if run is not None and run.task is not None and run.in_flight():
            if run.status == "pending" and run.temporal_run_id is None:
                run.task.cancel()  # still queued in this process: it never started
                self._forget_run(run)
                return
            raise HttpError(409, RUN_IN_FLIGHT.format(run_id))
        if run is not None and run.temporal_run_id is None:
            self._forget_run(run)  # refused or cancelled before it started
            return
        temporal_run_id = run.temporal_run_id if run is not None else run_id
        desc = await self._execution(thread_id, run_id, temporal_run_id)
        record = self.store.entry(thread_id)
        if record.lock.locked() or await self.execution_status(thread_id, desc) == "running":
            raise HttpError(409, RUN_IN_FLIGHT.format(run_id))
        async with record.lock:
            await self._delete_execution(thread_id, desc)

    def _not_deleted(self, run_id: str) -> None:
        if run_id in self.deleted_runs:
            raise HttpError(404, f"Run {run_id} not found")

    def _forget_run(self, run: RunRecord) -> None:
        for key in {run.run_id, run.temporal_run_id}:
            if key is not None:
                self.deleted_runs.add(key)
                if key in self.runs and self.runs[key] is run:
                    del self.runs[key]

    async def _delete_execution(self, thread_id: str, desc: WorkflowExecutionDescription) -> None:
        """Delete one GraphRun execution (every run it served: a resume shares its run's
        execution). The thread's latest is first replaced by a restoring execution, so the
        thread's state is what it was before it."""
        latest = await self.executions.describe(thread_id)
        if latest is not None and latest.run_id == desc.run_id:
            if desc.status == WorkflowExecutionStatus.RUNNING:  # paused, or not yet started
                handle = self.executions.client.get_workflow_handle(thread_id, run_id=desc.run_id)
                with contextlib.suppress(RPCError):
                    await handle.terminate(reason=DELETED_RUN_REASON)
            await self._restore_before(thread_id, desc)
        for run in list(self.runs.values()):
            if run.thread_id == thread_id and run.temporal_run_id == desc.run_id:
                self._forget_run(run)
        self.deleted_runs.add(desc.run_id)
        request = DeleteWorkflowExecutionRequest(
            namespace=self.executions.client.namespace,
            workflow_execution=ExecutionRef(workflow_id=thread_id, run_id=desc.run_id),
        )
        try:
            await self.executions.client.workflow_service.delete_workflow_execution(request)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise

    async def _restore_before(self, thread_id: str, desc: WorkflowExecutionDescription) -> None:
        """Start the thread's next execution from the checkpoint it had before `desc` (the
        latest of its other executions; none: empty values). A finished checkpoint ends at
        once; one with nodes next waits before them (a run without input continues)."""
        history = await self.executions.history(thread_id)
        before = next(
            (c for c in history if c.run_id != desc.run_id and c.run_id not in self.deleted_runs),
            None,
        )
        if before is None:
            start = StartFrom(checkpoint_id="", values={}, next=[], step=-1, pause=False)
        else:
            start = StartFrom(
                checkpoint_id=before.checkpoint_id,
                values=before.values,
                next=before.next,
                step=before.step,
                pause=bool(before.next),
            )
        run_input = RunInput(
            graph=graph_name(desc), thread_id=thread_id, previous_run_id=desc.run_id
        )
        run_input.start_from = start
        start_run = translates_rpc_errors(type(self.gc)._start)
        await start_run(self.gc, run_input, thread_id)

    # -----------------------------------------------------------------------------------------
    # Reading runs.
    # -----------------------------------------------------------------------------------------

    def find_run(self, thread_id: str, run_id: str) -> RunRecord | None:
        run = self.runs.get(run_id)
        return run if run is not None and run.thread_id == thread_id else None

    async def execution_status(
        self, thread_id: str, desc: WorkflowExecutionDescription
    ) -> RunStatus:
        """The run status of an execution (status.TABLE), from Temporal alone."""
        if delayed(desc):
            return "pending"
        paused = refused = False
        if desc.status == WorkflowExecutionStatus.RUNNING:
            snap = await self.executions.snapshot(thread_id, desc.run_id)
            paused = is_paused(snap)
            if paused and snap is not None:
                record = await self.store.load_record(thread_id)
                refused = record is not None and record.refused_at(snap.checkpoint_id) is not None
        reading = await self.executions.read(thread_id, desc, paused=paused, refused=refused)
        return TABLE[reading.outcome].run

    async def execution_json(
        self, thread_id: str, desc: WorkflowExecutionDescription
    ) -> dict[str, Any]:
        run = self.runs.get(desc.run_id)
        return run_json(
            run_id=desc.run_id,
            thread_id=thread_id,
            assistant_id=run.assistant_id if run else await self.assistant_of(thread_id, desc),
            created_at=desc.start_time,
            updated_at=desc.close_time or desc.start_time,
            status=await self.execution_status(thread_id, desc),
            metadata=run.metadata if run else {},
            kwargs=run.kwargs if run else {},
            multitask_strategy=run.multitask_strategy if run else "enqueue",
        )

    async def assistant_of(self, thread_id: str, desc: WorkflowExecutionDescription) -> str:
        """The assistant an execution's run named: the one in its start input's config
        metadata (a created assistant), else its graph's system assistant."""
        found = self.assistants.get(desc.run_id)
        if found is not None:
            return found
        found = assistant_id_of(graph_name(desc))
        handle = self.executions.client.get_workflow_handle(thread_id, run_id=desc.run_id)
        try:
            async for event in handle.fetch_history_events(page_size=1):
                payloads = event.workflow_execution_started_event_attributes.input.payloads
                if payloads:
                    [start] = await self.executions.client.data_converter.decode(
                        [payloads[0]], [dict]
                    )
                    named = ((start.get("config") or {}).get("metadata") or {}).get(ASSISTANT_KEY)
                    if isinstance(named, str) and named:
                        found = named
                break
        except Exception as exc:  # noqa: BLE001 - unreadable: the graph's system assistant
            log.warning("cannot read the start input of %s: %s", thread_id, exc)
            return found
        self.assistants[desc.run_id] = found
        return found

    async def get_run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        self._not_deleted(run_id)
        run = self.find_run(thread_id, run_id)
        if run is not None and (
            run.task is None
            or run.in_flight()
            or run.body is not None
            or run.temporal_run_id is None  # cancelled while queued: it never ran
        ):
            return run.to_json()
        return await self.execution_json(
            thread_id, await self._execution(thread_id, run_id, run_id)
        )

    async def _execution(
        self, thread_id: str, run_id: str, temporal_run_id: str | None
    ) -> WorkflowExecutionDescription:
        """The GraphRun execution of run `run_id` (`temporal_run_id`; None: the thread's
        latest), or 404."""
        desc = await self.executions.describe(thread_id, temporal_run_id)
        if desc is None:
            raise HttpError(404, f"Run {run_id} not found")
        return desc

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: str | None
    ) -> list[dict[str, Any]]:
        _, desc = await self.store.existing(thread_id)
        runs: dict[str, dict[str, Any]] = {}
        for run in self.runs.values():
            if run.thread_id == thread_id and run.temporal_run_id is None:
                runs[run.run_id] = run.to_json()  # queued, or refused before it started
        executions = await self.executions.run_ids(thread_id) if desc is not None else []
        for run_id in executions:
            if run_id in self.deleted_runs:
                continue
            run_desc = await self.executions.describe(thread_id, run_id)
            if run_desc is not None:
                known = self.runs.get(run_id)
                if known is not None and known.in_flight():
                    runs[run_id] = known.to_json()
                else:
                    runs[run_id] = await self.execution_json(thread_id, run_desc)
        found = [r for r in runs.values() if status is None or r["status"] == status]
        found.sort(key=lambda r: str(r["created_at"]), reverse=True)
        return found[offset : offset + limit]
