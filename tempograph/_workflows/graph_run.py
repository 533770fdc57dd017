"""GraphRun: one run of a graph on one thread, as a Temporal workflow.

The workflow is a generic interpreter. It never imports the user's graph module: at start it asks
the worker for the graph's topology (a local activity), and that answer is recorded in this run's
history. From then on the run follows that recorded topology, so deploying new graph code never
breaks a run that has been paused for a week: its replay reads the same topology back. Node code,
routers and custom reducers run in activities; only their outputs (plain data) are recorded.

A run proceeds in supersteps (LangGraph's Pregel model): the tasks triggered together run
concurrently, their writes are applied in task order when all are done, then the next tasks are
planned from edges, router answers, Command.goto and Send. What to run next, whether a step hits
a breakpoint and whether a resume applies are pure functions of tempograph._engine; this module
is the loop around them (activities, waits, history). All its state is one RunState.

Pauses: a node that calls interrupt() finishes its activity with an InterruptRaised result; the
workflow records the pending interrupt and waits (workflow.wait_condition) for a resume. Static
breakpoints pause before or after a step. A paused run holds no worker resources: Temporal may
evict it from the worker cache and replay it from history when the resume arrives.

The life of a resume:
1. GraphClient.resume (or the HTTP API) sends the `resume_update` update (`resume` signal:
   fire and forget) with a ResumeInput: an answer, or {interrupt id: answer}, update, goto.
2. The update's validator (`_validate_resume`) decodes it (`_parse_resume`: size and depth
   limits) and asks the engine whether it applies (`_engine.check_resume`: paused? known keys,
   nodes and interrupt ids; one answer per pending interrupt; typed answers fit their schema).
   A refusal writes nothing to history; the sender gets an ErrorKind.
3. The handler (`resume_update` -> `_accept`) checks it again and stores it in
   `state.accepted`, then waits until the run pauses again or ends, and replies.
4. The loop is in `_pause` -> `_wait_for_resume`, waiting for `state.accepted` (or an interrupt's
   deadline, or a subgraph going on); it takes the message and the run is running again.
5. `_run_step` hands the answers to the waiting tasks (`_engine.give_answers`, in task slots) and
   runs those tasks again: each node activity gets all its answers so far (NodeTask.resume).
6. In the activity the node runs from its start; its n-th interrupt() returns the n-th answer.
   A further interrupt() pauses the run again (back to 4, with new pending interrupts); else the
   node's writes are applied with the step's others and the run goes on.
"""

from __future__ import annotations

import asyncio
import functools
import json
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError
from temporalio.workflow import HandlerUnfinishedPolicy

from tempograph._workflows.common import (
    COERCE_MESSAGES,
    JSONSCHEMA_ANSWERS,
    LOCAL_ACTIVITY_TIMEOUT,
    MESSAGE_IDS_PER_THREAD,
    NOTIFY,
    PATCHES_AT_START,
    START_PATCHES,
    BadArgumentsError,
    ChildWake,
    RunEndedError,
    RunFailedError,
    Updater,
    any_arity,
    decode_args,
    failure,
    no_args,
    refused,
    rejected,
    too_big,
)
from tempograph._workflows.run_state import RunState
from tempograph._workflows.state_edits import StateEdits
from tempograph._workflows.subgraphs import Subgraphs

with workflow.unsafe.imports_passed_through():
    from tempograph._engine import (
        RejectedError,
        Task,
        TaskSlot,
        add_targets,
        check_resume,
        check_state_update,
        copy_joins,
        expired_answers,
        give_answers,
        goto_tasks,
        hits,
        parse_resume,
        pending_interrupts,
        pick_breakpoints,
        plan,
        split_goto,
        start_tasks,
        statedelta,
        unknown_breakpoints,
    )
    from tempograph._engine.channels import apply_grouped, group_writes, initial_values
    from tempograph.errors import InvalidUpdateError
    from tempograph.limits import MAX_MESSAGE_BYTES, LimitError, check_depth
    from tempograph.messages import (
        CHECKPOINT_MEMO,
        CHILD_PAUSED_SIGNAL,
        END,
        GRAPH_ATTRIBUTE,
        NODE_STATE_QUERY,
        NOTIFY_ACTIVITY,
        RESUME_SIGNAL,
        RESUME_UPDATE,
        START,
        STATE_QUERY,
        STATE_UPDATE,
        STATUS_ATTRIBUTE,
        STREAM_SIGNAL,
        STREAM_WANTED_SIGNAL,
        WAIT_UPDATE,
        WORKFLOW_TYPE,
        CarriedTask,
        Checkpoint,
        ChildPaused,
        ErrorKind,
        GraphSpec,
        InvalidMessageError,
        LoadedThread,
        LoadThreadTask,
        NodeResult,
        NodeState,
        NodeTask,
        Notification,
        NotifyEvent,
        PendingInterrupt,
        ReduceResult,
        ReduceTask,
        ResumeInput,
        RouteResult,
        RouteTask,
        RunInput,
        StartFrom,
        StateRef,
        StateSnapshot,
        StateUpdate,
        WaitInput,
        checkpoint_id,
        parse_message,
    )
    from tempograph.notifications import (
        inbox_item_url,
        question_of,
        resume_commands,
        resume_example,
    )
    from tempograph.payloads import (
        INLINE_STATE_BYTES,
        MAX_PAYLOAD_BYTES,
        check_bytes,
        json_size,
        payload_size,
    )


# Temporal refuses a workflow more than 2,000 pending activities (or child workflows) by
# default, failing its workflow task again and again: a step with more tasks than this runs
# them in a window of this many at a time. Steps this small or smaller schedule exactly the
# commands they always did (their recorded histories replay unchanged).
STEP_WINDOW = 1900

# A paused run continues as new only after its history grew this much while it waited: the
# new run's own history (input, the paused node's task and result) may already be as large
# as Temporal's suggestion, and must not make it move on at once, and again, forever.
PAUSED_GROWTH_BYTES = 1024 * 1024

# Webhook deliveries: retried with backoff, bounded (about 17 minutes at most), never awaited
# by the run itself (GraphRun._deliver).
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
)
NOTIFY_TIMEOUT = timedelta(seconds=30)
# A run that ends waits at most this long for its deliveries still under way (the invocation's
# end webhook among them), then closes: a dead receiver must not keep the thread busy.
END_DELIVERY_GRACE = timedelta(seconds=10)


# sandboxed=False: Temporal's sandbox costs this workflow about a third of a resume's round
# trip (measured, bench hitl): the SDK runs code inside the sandbox for every payload of every
# activation and completion (its serialization context), three to four times per payload. The
# sandbox guards against non-deterministic calls and module state; GraphRun makes none and keeps
# none, never imports user code, and tests/replay replays every recorded history and live
# scenario under the full sandbox (SandboxedGraphRun), which still catches a forbidden call.
@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class GraphRun:
    # Every handler takes any number of raw arguments and decodes and validates them itself
    # (any_arity, decode_args, parse_message): a message the SDK could not hand over would fail
    # the workflow task again and again (a stuck run) instead of giving the sender a clear error.
    @workflow.init
    @any_arity
    def __init__(self, *args: Any) -> None:
        error: str | None = None
        kind: str = ErrorKind.INVALID_INPUT
        try:
            inp = self._parse_input(args)
        except (BadArgumentsError, InvalidMessageError, LimitError) as exc:
            error, kind = str(exc), str(getattr(exc, "kind", ErrorKind.INVALID_INPUT))
            inp = RunInput(graph="")
        self.state = RunState(
            inp=inp,
            thread_id=inp.thread_id or workflow.info().workflow_id,
            input_error=error,
            input_kind=kind,
        )
        self.subgraphs = Subgraphs(self.state)
        self.edits = StateEdits(self.state, self, self.subgraphs)

    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        st = self.state
        if st.input_error:
            raise ApplicationError(st.input_error, type=st.input_kind, non_retryable=True)
        inp = st.inp
        # Before any command, in the run's first workflow task: see _patched. A new run records
        # START_PATCHES only, which stands for the five others; a run recorded before it
        # (no such marker: patched() is False on replay) evaluates them as it recorded them.
        if workflow.patched(START_PATCHES):
            st.patches_at_start = st.coerce_messages = st.message_ids_per_thread = True
            st.notify = st.jsonschema_answers = True
        else:
            st.patches_at_start = workflow.patched(PATCHES_AT_START)
            st.coerce_messages = workflow.patched(COERCE_MESSAGES)
            st.message_ids_per_thread = workflow.patched(MESSAGE_IDS_PER_THREAD)
            st.notify = workflow.patched(NOTIFY)
            st.jsonschema_answers = workflow.patched(JSONSCHEMA_ANSWERS)
        workflow.upsert_search_attributes(
            [GRAPH_ATTRIBUTE.value_set(inp.graph), STATUS_ATTRIBUTE.value_set("running")]
        )
        try:
            await self._load_graph()
            self._check_start()
            if inp.start_from is not None:
                tasks = self._fork(inp.start_from)
                pause = inp.start_from.pause
                if inp.start_from.update is not None:
                    # update_state of a finished thread: edit, then wait before `next`, if any.
                    tasks = await self.edits.before(tasks)(inp.start_from.update)
                    self._checkpoint("update", tasks)
                    pause = bool(tasks)
                await self._run_steps(tasks, pause_first=pause)
            else:
                # patched(): runs recorded before threads carried state replay without it.
                if inp.previous_run_id != "" and self._patched("thread-state"):
                    await self._load_thread()
                if inp.input:
                    await self._apply(list(inp.input.items()))
                await self._run_steps(await self._start_tasks())
            st.status = "done"
            self._checkpoint("loop", [])
        except RunEndedError:
            # update_state(as_node=END): the thread is idle, values as they were.
            st.status = "done"
            self._checkpoint("update", [])
        except RunFailedError as exc:
            st.error = exc
            st.status = "error"
            workflow.logger.warning("graph run failed: %s", exc)
        except asyncio.CancelledError:
            # Cancelled (e.g. `temporal workflow cancel`): record it, then end as cancelled.
            st.finished, st.status = True, "cancelled"
            st.paused_at, st.pending, st.next = None, [], []
            workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set("cancelled")])
            raise
        st.finished = True
        st.paused_at, st.pending, st.next = None, [], []
        workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set(st.status)])
        # Let update handlers that wait for this outcome reply before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._notify_end()
        if st.deliveries:
            try:
                await workflow.wait_condition(
                    lambda: st.deliveries == 0,
                    timeout=END_DELIVERY_GRACE,
                    timeout_summary="webhook deliveries",
                )
            except TimeoutError:
                workflow.logger.warning("run ends with webhook deliveries still retrying")
        if st.error is not None:
            raise ApplicationError(str(st.error), type=st.error.kind, non_retryable=True)
        return st.values

    # -----------------------------------------------------------------------------------------
    # Handlers: resume, update_state, wait_for_pause, a subgraph's pause; queries.
    # -----------------------------------------------------------------------------------------

    @workflow.signal(name=RESUME_SIGNAL)
    @any_arity
    def resume(self, *args: Any) -> None:
        """Fire-and-forget resume. A signal cannot be refused, so a bad one is dropped, logged,
        and shown in the state and current details; the run stays paused."""
        try:
            self._accept(args)
        except ApplicationError as exc:
            self.state.last_rejected = str(exc)
            workflow.logger.warning("resume signal rejected: %s", exc)
            if self.state.status == "interrupted":
                workflow.set_current_details(self._details())

    # ABANDON: at continue-as-new, handlers waiting for a later pause are left to the client,
    # which re-attaches to the new run (a normal end waits for all handlers first).
    @workflow.update(name=RESUME_UPDATE, unfinished_policy=HandlerUnfinishedPolicy.ABANDON)
    @any_arity
    async def resume_update(self, *args: Any) -> dict[str, Any]:
        """Resume and reply, once the run pauses again or ends, with what invoke returns."""
        self._accept(args)  # checked again: another resume may have been accepted meanwhile
        await self._next_pause()
        return self._reply()

    @resume_update.validator
    @any_arity
    def _validate_resume(self, *args: Any) -> None:
        # A validator rejection writes nothing to history: the run is left exactly as it was.
        self._check_resume(self._parse_resume(args))

    @workflow.update(name=STATE_UPDATE, unfinished_policy=HandlerUnfinishedPolicy.ABANDON)
    @any_arity
    async def update_state(self, *args: Any) -> StateSnapshot:
        """Edit the state of a paused run (LangGraph's update_state); the run stays paused."""
        self.state.accepted = self._check_state_update(args)
        await self._next_pause()
        if self.state.error is not None:
            error = self.state.error
            raise ApplicationError(str(error), type=error.kind, non_retryable=True)
        return self._guard_snapshot(self._snapshot(), "The reply of update_state (applied)")

    @update_state.validator
    @any_arity
    def _validate_state_update(self, *args: Any) -> None:
        self._check_state_update(args)

    @workflow.update(name=WAIT_UPDATE, unfinished_policy=HandlerUnfinishedPolicy.ABANDON)
    @any_arity
    async def wait_for_pause(self, *args: Any) -> dict[str, Any]:
        """Reply once the run is paused or ended (used with update-with-start by invoke)."""
        st = self.state
        await workflow.wait_condition(
            lambda: st.finished or (st.status == "interrupted" and st.accepted is None)
        )
        return self._reply()

    @wait_for_pause.validator
    @any_arity
    def _validate_wait(self, *args: Any) -> None:
        try:
            raw, _ = decode_args(args, "wait_for_pause", optional=True)
            if raw is not None:
                parse_message(WaitInput, raw)
        except (BadArgumentsError, InvalidMessageError) as exc:
            raise rejected(str(exc), ErrorKind.INVALID_INPUT) from None

    @workflow.signal(name=CHILD_PAUSED_SIGNAL)
    @any_arity
    def child_paused(self, *args: Any) -> None:
        """A subgraph's run paused (or went on): see Subgraphs."""
        try:
            raw, _ = decode_args(args, CHILD_PAUSED_SIGNAL, limit=None)
            event = parse_message(ChildPaused, raw)
        except (BadArgumentsError, InvalidMessageError) as exc:
            # Only a subgraph's run sends this; anything else is dropped (a signal cannot be
            # refused, and an error here would fail the workflow task again and again).
            workflow.logger.warning("%s signal dropped: %s", CHILD_PAUSED_SIGNAL, exc)
            return
        self.subgraphs.record(event)

    @workflow.signal(name=STREAM_SIGNAL)
    def stream_batch(self, *args: RawValue) -> None:
        """A node activity's live output (tokens, custom events), for readers of this run's
        history. Nothing to do here: RawValue, so it is not even decoded."""

    @workflow.signal(name=STREAM_WANTED_SIGNAL)
    def stream_wanted(self, *args: RawValue) -> None:
        """A client joined the stream: later node calls publish their live output. Only node
        inputs change (no command), so this is replay-safe without a patch."""
        self.state.inp = self.state.inp.model_copy(update={"stream": True})

    @workflow.query(name=NODE_STATE_QUERY)
    @any_arity
    def node_state(self, *args: Any) -> NodeState | None:
        """The state at the version last sent to node tasks, for a worker whose cache cannot
        rebuild it from a delta (another worker ran the previous step, or it restarted)."""
        no_args(args, NODE_STATE_QUERY)
        return self.state.sent

    @workflow.query(name=STATE_QUERY)
    @any_arity
    def get_state(self, *args: Any) -> StateSnapshot:
        no_args(args, STATE_QUERY)
        return self._guard_snapshot(self._snapshot(), "The state snapshot (get_state)")

    # The handlers' checks (the engine decides; these decode and translate its refusals).

    def _parse_resume(self, args: tuple[Any, ...]) -> ResumeInput:
        """A resume message, decoded and within the limits (validator and signal)."""
        try:
            raw, size = decode_args(args, "The resume")
        except BadArgumentsError as exc:
            too_large = exc.kind == ErrorKind.PAYLOAD_TOO_LARGE
            kind = ErrorKind.PAYLOAD_TOO_LARGE if too_large else ErrorKind.INVALID_RESUME
            raise rejected(str(exc), kind) from None
        try:
            cmd = parse_resume(raw)
        except RejectedError as exc:
            raise refused(exc) from None
        try:
            check_depth(cmd.resume, "The resume value")
            check_depth(cmd.update, "The resume's update")
            check_depth(cmd.config, "The resume's config")
            check_depth(cmd.context, "The resume's context")
            for target in cmd.goto:
                if not isinstance(target, str):
                    check_depth(target.arg, f"The argument of the Send to '{target.node}'")
        except LimitError as exc:
            raise rejected(str(exc)) from None
        self._check_growth(size, "The resume")
        return cmd

    def _check_resume(self, cmd: ResumeInput) -> None:
        """Reject a resume that cannot apply, without touching the run (validator and signal)."""
        try:
            check_resume(cmd, self.state.view())
        except RejectedError as exc:
            raise refused(exc) from None

    def _accept(self, args: tuple[Any, ...]) -> None:
        cmd = self._parse_resume(args)
        self._check_resume(cmd)
        self.state.accepted = cmd

    def _check_state_update(self, args: tuple[Any, ...]) -> StateUpdate:
        try:
            raw, size = decode_args(args, "The state update")
            update = parse_message(StateUpdate, raw)
            check_depth(update.values, "The state update's values")
        except BadArgumentsError as exc:
            too_large = exc.kind == ErrorKind.PAYLOAD_TOO_LARGE
            kind = ErrorKind.PAYLOAD_TOO_LARGE if too_large else ErrorKind.INVALID_STATE_UPDATE
            raise rejected(str(exc), kind) from None
        except (InvalidMessageError, LimitError) as exc:
            raise rejected(str(exc), ErrorKind.INVALID_STATE_UPDATE) from None
        try:
            check_state_update(update, self.state.view())
        except RejectedError as exc:
            raise refused(exc) from None
        self._check_growth(size, "The state update")
        return update

    def _check_growth(self, size: int, what: str) -> None:
        """Refuse a message whose acceptance would push the state (which node inputs, pauses
        and replies carry whole) over the payload limit: the run would then fail."""
        if self.state.status == "interrupted" and self._state_size() + size > MAX_PAYLOAD_BYTES:
            raise rejected(
                f"{what} ({size} bytes) would make the state ({self._state_size()} bytes) "
                f"larger than Tempograph's limit of {MAX_PAYLOAD_BYTES} bytes per payload "
                "(payloads.MAX_PAYLOAD_BYTES): the run could not go on. Keep large data "
                "outside the state and send a reference.",
                ErrorKind.PAYLOAD_TOO_LARGE,
            )

    async def _next_pause(self) -> None:
        """Wait until the run pauses again (or ends): an update handler's reply is due."""
        st = self.state
        seq = st.pause_seq
        await workflow.wait_condition(lambda: st.pause_seq > seq or st.finished)

    # -----------------------------------------------------------------------------------------
    # Start: input, graph, thread, fork.
    # -----------------------------------------------------------------------------------------

    @staticmethod
    def _parse_input(args: tuple[Any, ...]) -> RunInput:
        """The start input: one JSON object (RunInput), within the limits."""
        raw, size = decode_args(args, "The GraphRun start input", limit=None)
        inp = parse_message(RunInput, raw)
        # A run continued as new (or a fork) carries the whole state: it only has to fit a
        # payload, which it did to get here. Anything a client sends is a message.
        if inp.start_from is None and size > MAX_MESSAGE_BYTES:
            raise BadArgumentsError(
                too_big("The GraphRun start input", size), ErrorKind.PAYLOAD_TOO_LARGE
            )
        check_depth(inp.input, "The start input")
        check_depth(inp.config, "The run's config")
        check_depth(inp.context, "The run's context")
        if inp.start_from is not None:
            check_depth(inp.start_from.values, "The start state (start_from.values)")
        workflow_id = workflow.info().workflow_id
        if inp.thread_id is not None and inp.thread_id != workflow_id:
            raise InvalidMessageError(
                f"thread_id must equal the workflow id ('{workflow_id}'), got "
                f"'{inp.thread_id}': a thread is found by its workflow id. Omit thread_id."
            )
        return inp

    def _check_start(self) -> None:
        """Names in the start input that the graph does not have: refused at once."""
        st = self.state
        valid = sorted(st.nodes)
        for name in ("interrupt_before", "interrupt_after"):
            unknown = unknown_breakpoints(getattr(st.inp, name), valid)
            if unknown:
                raise RunFailedError(
                    f"Unknown node(s) in {name}: {unknown}; the graph's nodes are {valid}",
                    ErrorKind.INVALID_INPUT,
                )
        edit = st.inp.start_from.update if st.inp.start_from is not None else None
        if edit is not None:
            if set(edit.values or {}) - set(st.channels):
                unknown = sorted(set(edit.values or {}) - set(st.channels))
                raise RunFailedError(f"Unknown state key(s): {unknown}", ErrorKind.INVALID_UPDATE)
            if edit.as_node is not None and edit.as_node not in {*st.nodes, END}:
                raise RunFailedError(
                    f"Node {edit.as_node} does not exist", ErrorKind.INVALID_UPDATE
                )
        unknown_keys = sorted(set(st.inp.input or {}) - set(st.channels))
        if unknown_keys and workflow.info().parent is None:  # a subgraph takes the keys it has
            raise RunFailedError(
                f"Unknown state key(s) in the input: {unknown_keys}; the graph's state keys "
                f"are {sorted(st.channels)}",
                ErrorKind.INVALID_INPUT,
            )

    def _patched(self, patch_id: str) -> bool:
        """workflow.patched(patch_id), safe after a local activity.

        A run's first patched() call for an id must not directly follow a local activity: when
        a query is answered while that activity's result waits to be handed to the workflow,
        Temporal's SDK ends the workflow task there (the activity's marker in it) and hands
        the result over in the next task, where the code goes on and records the patch marker.
        A full replay (after a cache eviction, a worker restart, a continue-as-new the server
        refused) hands the result over in the first task, before the workflow has learnt of
        the next task's patch markers: patched() returns False and the replay fails with
        "Non-deprecated patch marker encountered ... but there is no corresponding change
        command". So a run records one patch at its start (PATCHES_AT_START), in its first
        workflow task before any local activity, which turns on every patched branch here:
        those runs make no later patched() call. Runs recorded before it replay as they ran,
        with their own markers where they were recorded. A future patch cannot go through
        here (runs with the start patch did not take its branch): call workflow.patched() for
        it at the start too, next to START_PATCHES (or replace START_PATCHES by a new id that
        stands for it as it stands for the older ones), and keep the result."""
        return self.state.patches_at_start or workflow.patched(patch_id)

    async def _load_graph(self) -> None:
        """Pin the graph's topology in this run's history (the only time user code is asked)."""
        try:
            spec = await workflow.execute_local_activity(
                "tempograph.describe_graph",
                self.state.inp.graph,
                result_type=GraphSpec,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except FailureError as exc:
            raise failure("Cannot load the graph", exc) from exc
        self.state.pinned(spec)
        self.state.values = initial_values(spec.channels)

    async def _load_thread(self) -> None:
        """Threads: start from the state the previous run on this thread left."""
        st = self.state
        try:
            loaded = await workflow.execute_local_activity(
                "tempograph.load_thread",
                LoadThreadTask(
                    thread_id=st.thread_id,
                    run_id=workflow.info().run_id,
                    previous_run_id=st.inp.previous_run_id,
                ),
                result_type=LoadedThread,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except FailureError as exc:
            raise failure("Cannot load the thread's previous state", exc) from exc
        if loaded.found:
            st.values.update(loaded.values)
            st.sized = None
            st.step = loaded.step
            st.last_checkpoint_id = loaded.checkpoint_id

    def _fork(self, start: StartFrom) -> list[Task]:
        """Start from a checkpoint: a run continued as new, or time travel on a new branch
        (interrupts ahead fire again: answers given on the old branch are not reused)."""
        st = self.state
        st.values.update(start.values)
        st.sized = None
        st.step = start.step
        tasks = add_targets(st.topology, [], start.next, start.sends)
        st.first_step = st.step
        if start.continued:
            carried = st.take_over(start)
            if carried is not None:  # paused at interrupts: the same step, in order
                tasks = carried
        else:
            self._checkpoint("fork", tasks)
        return tasks

    async def _start_tasks(self) -> list[Task]:
        st = self.state
        assert st.spec is not None
        tasks = start_tasks(st.topology)
        if st.spec.start_has_router:
            routed = await self._route(START, st.values)
            tasks = add_targets(st.topology, tasks, routed.goto, routed.sends)
        return tasks

    # -----------------------------------------------------------------------------------------
    # The loop: supersteps, and the tasks of one step.
    # -----------------------------------------------------------------------------------------

    async def _run_steps(self, tasks: list[Task], pause_first: bool = False) -> None:
        st = self.state
        assert st.spec is not None
        st.first_step = st.step
        st.before = pick_breakpoints(st.inp.interrupt_before, st.spec.interrupt_before)
        st.after = pick_breakpoints(st.inp.interrupt_after, st.spec.interrupt_after)
        if pause_first and not tasks and not self._patched("pause-with-nothing-next"):
            pause_first = False  # (runs recorded before: a fork with nothing next just ended)
        # A run continued as new while paused at interrupts: its step is past its breakpoint.
        past_breakpoint = st.carried_step is not None
        while tasks or pause_first:
            if st.steps_since_resume >= st.inp.recursion_limit:
                raise RunFailedError(
                    f"Recursion limit of {st.inp.recursion_limit} reached without hitting a "
                    "stop condition. You can increase the limit by setting `recursion_limit` "
                    "on the run.",
                    ErrorKind.GRAPH_RECURSION,
                )
            if st.step > st.first_step:
                self._continue_as_new_if_due(tasks)
            if not past_breakpoint and (pause_first or hits(st.before, tasks)):
                pause_first = False
                st.carry = functools.partial(st.start_from, tasks, pause=True)
                resume = await self._pause("before", tasks, self.edits.before(tasks))
                tasks = await self._continue_from(resume, tasks)
                if not tasks:
                    break  # a fork of a finished thread, continued: nothing to run
            slots = await self._run_step(tasks)
            tasks = [s.task for s in slots]  # (goto at a resume may have added some)
            results = [s.result for s in slots]
            st.last_step = [t.node for t in tasks]
            joins_before = copy_joins(st.join_seen)
            planned = plan(st.topology, st.join_seen, tasks, results)
            await self._apply([w for r in results for w in r.writes])
            st.step += 1
            st.steps_since_resume += 1
            past_breakpoint = False
            if hits(st.after, tasks):
                updater = self.edits.after(tasks, results, planned, joins_before)
                # (the updater edits `planned` in place: the carry sees the latest)
                st.carry = functools.partial(st.start_from, planned, pause=True)
                resume = await self._pause("after", planned, updater)
                planned = await self._continue_from(resume, planned)
            tasks = planned

    async def _execute_windowed(
        self, to_run: list[TaskSlot], ref: StateRef, nodes: list[str], first: TaskSlot | None
    ) -> list[NodeResult]:
        """A step's tasks, at most STEP_WINDOW of them scheduled at a time (in their order: an
        asyncio.Semaphore wakes its waiters first in, first out, deterministically)."""
        window = asyncio.Semaphore(STEP_WINDOW)

        async def one(slot: TaskSlot) -> NodeResult:
            async with window:
                return await self._execute(slot, ref, nodes if slot is first else None)

        return list(await asyncio.gather(*(one(s) for s in to_run)))

    async def _run_step(self, tasks: list[Task]) -> list[TaskSlot]:
        """Run one superstep until every task has finished, pausing for each interrupt."""
        st = self.state
        slots = [TaskSlot.of(st.thread_id, st.step, i, t) for i, t in enumerate(tasks)]
        if st.updated_step != st.step:
            # The state before this step is its node activities' input: that is the checkpoint.
            st.last_checkpoint_id = checkpoint_id(st.thread_id, workflow.info().run_id, st.step)
        to_run = list(slots)
        if st.carried_step is not None:  # continued as new while paused in this step
            carried, st.carried_step = st.carried_step, None
            for slot, c in zip(slots, carried, strict=True):
                slot.answers = list(c.answers)
                if c.result is not None:
                    slot.result = c.result
            to_run = [slots[i] for i, c in enumerate(carried) if c.result is None]
        while True:
            ref = self._state_ref()
            # Local activities' inputs are not in history: the step's first local task echoes
            # its checkpoint (ref and nodes) in its result, which is.
            first_local = next((s for s in to_run if st.nodes[s.node].local_activity), None)
            nodes = [s.node for s in to_run]
            if len(to_run) <= STEP_WINDOW:
                outputs = await asyncio.gather(
                    *(self._execute(s, ref, nodes if s is first_local else None) for s in to_run)
                )
            else:
                outputs = await self._execute_windowed(to_run, ref, nodes, first_local)
            for slot, output in zip(to_run, outputs, strict=True):
                slot.result = output
            waiting = [s for s in slots if s.waiting]
            if not waiting:
                return slots
            now = workflow.now()
            pending = {s.id: pending_interrupts(s, st.deadlines, now) for s in waiting}
            st.pending = [p for s in waiting for p in pending[s.id]]
            for slot in waiting:
                raised = slot.result.interrupt
                assert raised is not None
                if raised.rejected:
                    # The node refused the answer for this slot: ask again, same id.
                    del slot.answers[raised.slot :]
                    st.last_rejected = raised.rejected
                slot.pending_ids = [p.id for p in pending[slot.id]]
            st.shown_values = self._values_with(
                [w for s in slots if not s.waiting for w in s.result.writes]
            )
            st.carry = functools.partial(self._carry_step, slots)
            resume = await self._pause(
                "interrupt", [s.task for s in waiting], self.edits.at_interrupt(slots, waiting)
            )
            if isinstance(resume, ChildWake):
                to_run = [s for s in waiting if self.subgraphs.moved(s.id)]
                continue
            waiting = [s for s in waiting if s.waiting]
            if resume.update:
                await self._apply(list(resume.update.items()))
            to_run = give_answers(waiting, resume)
            for task in goto_tasks(resume.goto):  # (names and Sends, in order)
                slot = TaskSlot.of(st.thread_id, st.step, len(slots), task)
                slots.append(slot)
                to_run.append(slot)

    async def _execute(
        self, slot: TaskSlot, ref: StateRef, step_nodes: list[str] | None = None
    ) -> NodeResult:
        """Run one task: a node activity (or local activity), or a subgraph's child run."""
        st = self.state
        task = slot.task
        spec = st.nodes[task.node]
        if spec.subgraph is not None:
            return await self.subgraphs.run(slot, spec.subgraph)
        node_task = NodeTask(
            graph=st.inp.graph,
            node=task.node,
            task_id=slot.id,
            step=st.step,
            ref=ref,
            step_nodes=step_nodes,
            send_arg=task.send.arg if task.send else None,
            is_send=task.send is not None,
            resume=slot.answers,
            config=st.inp.config,
            context=st.inp.context,
            stream=st.inp.stream,
        )
        try:
            check_bytes(self._state_size(), f"The input of node '{task.node}' (the state)")
            check_bytes(payload_size(node_task), f"The input of node '{task.node}'")
        except ValueError as exc:
            raise RunFailedError(str(exc), ErrorKind.PAYLOAD_TOO_LARGE) from exc
        retry_policy = spec.retry.to_policy()
        timeout = timedelta(seconds=spec.start_to_close_timeout_seconds)
        try:
            if spec.local_activity:
                # Runs in this worker right away: no activity task through the server. Its
                # result is recorded as a marker; retries and the timeout still apply.
                # No summary label: it costs a payload conversion per node on this fast path.
                return await workflow.execute_local_activity(
                    "tempograph.run_node",
                    node_task,
                    result_type=NodeResult,
                    start_to_close_timeout=timeout,
                    retry_policy=retry_policy,
                )
            return await workflow.execute_activity(
                "tempograph.run_node",
                node_task,
                result_type=NodeResult,
                start_to_close_timeout=timeout,
                heartbeat_timeout=(
                    timedelta(seconds=spec.heartbeat_timeout_seconds)
                    if spec.heartbeat_timeout_seconds
                    else None
                ),
                retry_policy=retry_policy,
                summary=task.node,
            )
        except FailureError as exc:
            raise failure(f"Node '{task.node}' failed", exc) from exc

    # -----------------------------------------------------------------------------------------
    # State: writes through reducers, routers, what node tasks carry.
    # -----------------------------------------------------------------------------------------

    async def _apply(self, writes: list[tuple[str, Any]]) -> None:
        """Apply writes through the channels' reducers (custom reducers run in an activity)."""
        st = self.state
        grouped = group_writes(writes)
        st.sized = None  # the state changes: measure it again before the next node
        try:
            custom = apply_grouped(
                st.values,
                grouped,
                st.channels,
                legacy_messages=not st.coerce_messages,
                message_salt=self._message_salt(),
            )
        except InvalidUpdateError as exc:
            raise RunFailedError(str(exc), ErrorKind.INVALID_UPDATE) from exc
        for key in custom:
            try:
                reduced = await workflow.execute_local_activity(
                    "tempograph.reduce",
                    ReduceTask(
                        graph=st.inp.graph,
                        channel=key,
                        has_current=key in st.values,
                        current=st.values.get(key),
                        writes=grouped[key],
                    ),
                    result_type=ReduceResult,
                    start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                    retry_policy=RetryPolicy(maximum_attempts=3),
                )
            except FailureError as exc:
                raise failure(f"The reducer of '{key}' failed", exc) from exc
            st.values[key] = reduced.value

    def _message_salt(self) -> str:
        return self.state.thread_id if self.state.message_ids_per_thread else ""

    def _values_with(self, writes: list[tuple[str, Any]]) -> dict[str, Any]:
        """The values plus some writes, for display (LangGraph shows finished siblings' writes)."""
        shown = dict(self.state.values)
        try:
            apply_grouped(
                shown,
                group_writes(writes),
                self.state.channels,
                legacy_messages=not self.state.coerce_messages,
                message_salt=self._message_salt(),
            )
        except InvalidUpdateError:
            return dict(self.state.values)
        return shown

    async def _route(self, source: str, state: dict[str, Any]) -> RouteResult:
        """Run `source`'s conditional edges on `state` (START's, or for update_state)."""
        try:
            return await workflow.execute_local_activity(
                "tempograph.route",
                RouteTask(
                    graph=self.state.inp.graph,
                    source=source,
                    state=state,
                    config=self.state.inp.config,
                    context=self.state.inp.context,
                ),
                result_type=RouteResult,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except FailureError as exc:
            raise failure(f"The router of {source} failed", exc) from exc

    def _state_size(self) -> int:
        """Bytes of the state as JSON, measured once per change. The whole state still travels
        at pauses (checkpoints), to subgraphs and in answers, so it must fit a payload."""
        st = self.state
        if st.sized is None:
            st.sized = json_size(st.values)
        return st.sized

    def _state_ref(self) -> StateRef:
        """What this step's node tasks carry of the state: the whole state while it is small
        (or on a run's first step), else the delta from the version sent last. Without it every
        node input would re-record the whole, growing state in history."""
        st = self.state
        if st.sent is not None and st.sent_ref is not None and st.sent.values == st.values:
            return st.sent_ref
        size = self._state_size()
        version = st.sent.version + 1 if st.sent is not None else 1
        ref = StateRef(version=version, state=st.values)
        if st.sent is not None and size > INLINE_STATE_BYTES:
            delta = statedelta.diff(st.sent.values, st.values)
            if delta is not None:
                ref = StateRef(version=version, base_version=st.sent.version, delta=delta)
        st.sent = NodeState(version=version, values=statedelta.snapshot(st.values))
        st.sent_ref = ref
        return ref

    # -----------------------------------------------------------------------------------------
    # Pausing and resuming.
    # -----------------------------------------------------------------------------------------

    async def _pause(self, kind: str, waiting: list[Task], updater: Updater) -> ResumeInput:
        """Pause until a resume arrives. State updates (update_state) are applied while paused
        by `updater`, which returns what the run now waits for; the run stays paused."""
        st = self.state
        st.paused_at = st.pause_kind = kind
        st.next = [t.node for t in waiting]
        if kind != "interrupt":
            st.pending, st.shown_values = [], None
        st.status = "interrupted"
        st.pause_seq += 1
        if kind != "interrupt":  # (a dynamic interrupt's state is its node's activity input)
            self._checkpoint("loop", waiting)
        parent = workflow.info().parent
        if parent is not None:  # a subgraph: its parent surfaces this pause
            await workflow.get_external_workflow_handle(parent.workflow_id).signal(
                CHILD_PAUSED_SIGNAL,
                ChildPaused(
                    child_id=workflow.info().workflow_id,
                    seq=st.pause_seq,
                    paused_at=kind,
                    pending=st.pending,
                ),
            )
        workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set("interrupted")])
        workflow.set_current_details(self._details())
        self._notify_pause()
        while True:
            message = await self._wait_for_resume()
            if isinstance(message, ChildWake | ResumeInput):
                resume = message
                break
            if message.as_node == END:
                await self._end_here(message)
            waiting = await updater(message)
            st.next = [t.node for t in waiting]
            if st.paused_at != "interrupt":
                self._checkpoint("update", waiting)
            st.pause_seq += 1  # the update_state handler replies on this
            workflow.set_current_details(self._details())
        if not isinstance(resume, ChildWake):
            self._notify_answered(resume)
        st.status = "running"
        st.carry = None
        st.paused_at, st.pending, st.next, st.shown_values = None, [], [], None
        st.steps_since_resume = 0
        if not isinstance(resume, ChildWake) and self._patched("breakpoints-per-invocation"):
            # LangGraph: run-time breakpoints belong to one invocation; a resume brings its
            # own (or falls back to the compiled ones).
            assert st.spec is not None
            st.before = pick_breakpoints(resume.interrupt_before, st.spec.interrupt_before)
            st.after = pick_breakpoints(resume.interrupt_after, st.spec.interrupt_after)
        if not isinstance(resume, ChildWake) and workflow.info().parent is None:
            # LangGraph: config and context belong to one invocation; the resuming one brings
            # its own (none: none). No command: only later node inputs change. A subgraph's
            # run keeps the one it was started with (its parent forwards answers only).
            st.inp = st.inp.model_copy(
                update={
                    "config": resume.config,
                    "context": resume.context,
                    "stream": resume.stream,
                    "webhook": resume.webhook,
                }
            )
        workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set("running")])
        workflow.set_current_details("Running")
        return resume

    async def _wait_for_resume(self) -> ResumeInput | StateUpdate:
        """Durable wait: Temporal wakes the run when a resume is accepted (or a subgraph goes on
        by itself). Only interrupts with a deadline add a timer; at the deadline they are
        answered with their default."""
        st = self.state

        def ready() -> bool:
            return st.accepted is not None or self.subgraphs.any_moved()

        # A long pause may continue as new (see _history_due) where it can carry the pause:
        # not with subgraph runs (children of this run) or after update_state resolved it.
        movable = (
            st.carry is not None
            and not st.children
            and st.paused_at == st.pause_kind
            and self._patched("continue-paused-as-new")
        )

        # Measured where this wait begins: only growth while paused (signals, rejected ones
        # too) may move the run. A fresh run whose history is already large (a big paused
        # state) would otherwise continue as new again and again, re-running its nodes.
        paused_size = workflow.info().get_current_history_size()

        def woken() -> bool:
            return ready() or (movable and self._history_due(paused_size))

        while not ready():
            if woken():
                self._continue_paused_as_new()
            deadlines = [p.deadline for p in st.pending if p.deadline is not None]
            if not deadlines:
                await workflow.wait_condition(woken)
                continue
            left = (min(deadlines) - workflow.now()).total_seconds()
            if left > 0:
                try:
                    await workflow.wait_condition(
                        woken, timeout=left, timeout_summary="interrupt deadline"
                    )
                    continue
                except TimeoutError:
                    pass
            now = workflow.now()
            passed = [p for p in st.pending if p.deadline is not None and p.deadline <= now]
            if passed:
                self._notify_pause_event("expired", {"expired": [p.id for p in passed]})
            expired = expired_answers(st.pending, now)
            if expired is not None:
                st.accepted = expired.model_copy(update={"webhook": st.inp.webhook})
                st.answered_by_deadline = True  # (no "answered" event: nobody answered)
        if st.accepted is None:
            return ChildWake()
        resume, st.accepted = st.accepted, None
        return resume

    async def _continue_from(self, resume: ResumeInput, tasks: list[Task]) -> list[Task]:
        """After a static breakpoint: apply the update and goto; the answer itself is ignored."""
        if resume.update:
            await self._apply(list(resume.update.items()))
        return add_targets(self.state.topology, tasks, *split_goto(resume.goto))

    async def _end_here(self, update: StateUpdate) -> None:
        """update_state(as_node=END) while paused (LangGraph; Agent Inbox's "mark as
        resolved"): nothing pending, nothing next; the run ends with its values."""
        st = self.state
        if update.values:
            await self._apply(list(update.values.items()))
        self.subgraphs.cancel_all()
        st.paused_at, st.pending, st.next, st.shown_values = None, [], [], None
        raise RunEndedError()

    # -----------------------------------------------------------------------------------------
    # History: checkpoints, continue-as-new.
    # -----------------------------------------------------------------------------------------

    def _checkpoint(self, source: str, next_tasks: list[Task]) -> None:
        """Record the state between steps where no node activity input already holds it: at
        breakpoints, after update_state, at the end of a run (see Checkpoint).
        patched(): runs recorded before checkpoints existed replay without these commands."""
        if not self._patched("checkpoints"):
            return
        st = self.state
        run_id = workflow.info().run_id
        if source == "update":
            st.updates += 1
            st.updated_step = st.step
        elif source == "loop" and st.step == st.first_step and st.inp.start_from is None:
            source = "input"  # the state before the run's first step holds its input
        cid = (
            checkpoint_id(st.thread_id, run_id, st.step, st.updates)
            if source == "update"
            else checkpoint_id(st.thread_id, run_id, st.step)
        )
        if cid == st.last_recorded:
            return  # e.g. a fork that pauses at once: its checkpoint is already written
        st.last_recorded = cid
        checkpoint = Checkpoint(
            checkpoint_id=cid,
            thread_id=st.thread_id,
            run_id=run_id,
            step=st.step,
            source=source,  # type: ignore[arg-type]
            values=st.values,
            next=[t.node for t in next_tasks],
            created_at=workflow.now(),
        )
        st.last_checkpoint_id = checkpoint.checkpoint_id
        workflow.upsert_memo({CHECKPOINT_MEMO: checkpoint})

    def _continue_as_new_if_due(self, tasks: list[Task]) -> None:
        """Between supersteps, hand the thread to a fresh run when the history grows long.
        Update handlers still waiting are abandoned; GraphClient re-attaches to the new run."""
        st = self.state
        due = st.inp.steps_per_run is not None and (st.step - st.first_step >= st.inp.steps_per_run)
        if not (due or workflow.info().is_continue_as_new_suggested()):
            return
        self._continue_as_new(st.start_from(tasks))

    def _continue_as_new(self, start: StartFrom, **more: Any) -> None:
        carried = self.state.inp.model_copy(
            update={"input": None, "previous_run_id": "", "start_from": start, **more}
        )
        workflow.continue_as_new(carried)

    def _history_due(self, paused_size: int) -> bool:
        """A paused run's history grows with every signal, rejected ones too, and Temporal
        terminates a run past 50 MB (or 51,200 events): move on to a fresh history first, but
        only once the pause itself has grown it (see PAUSED_GROWTH_BYTES)."""
        info = workflow.info()
        limit = self.state.inp.history_bytes_limit
        size = info.get_current_history_size()
        needed = PAUSED_GROWTH_BYTES if limit is None else max(limit // 4, 1024)
        return (
            workflow.all_handlers_finished()
            and size - paused_size >= needed
            and (info.is_continue_as_new_suggested() or (limit is not None and size > limit))
        )

    def _carry_step(self, slots: list[TaskSlot]) -> StartFrom:
        """A step paused at interrupts: its tasks in order with their answers so far, and the
        results of those that finished (they do not run again)."""
        carried = [
            CarriedTask(
                node=s.node,
                send=s.task.send,
                answers=s.answers,
                result=None if s.waiting else s.result,
            )
            for s in slots
        ]
        return self.state.start_from([s.task for s in slots], tasks=carried)

    def _continue_paused_as_new(self) -> None:
        """Continue as new, carrying the pause: the new run comes back paused at the same
        place, with the same interrupt ids (GraphClient follows the thread to it)."""
        st = self.state
        assert st.carry is not None
        workflow.logger.info(
            "paused run continues as new (history %s bytes)",
            workflow.info().get_current_history_size(),
        )
        start = st.carry()
        start.deadlines, start.last_rejected_resume = st.deadlines, st.last_rejected
        start.notified = [st.notified] if st.notified else []
        # The breakpoints in force for this invocation go on with it.
        self._continue_as_new(start, interrupt_before=st.before, interrupt_after=st.after)

    # -----------------------------------------------------------------------------------------
    # Replies and what the Temporal UI shows.
    # -----------------------------------------------------------------------------------------

    def _snapshot(self) -> StateSnapshot:
        st = self.state
        return StateSnapshot(
            thread_id=st.thread_id,
            graph=st.inp.graph,
            status=st.status,
            values=st.shown_values if st.shown_values is not None else st.values,
            next=st.next,
            interrupts=st.pending,
            step=st.step,
            paused_at=st.paused_at,  # type: ignore[arg-type]
            error=str(st.error) if st.error else None,
            last_rejected_resume=st.last_rejected,
            checkpoint_id=st.last_checkpoint_id,
        )

    def _guard_snapshot(self, snapshot: StateSnapshot, what: str) -> StateSnapshot:
        self._guard_reply(payload_size(snapshot), what)
        return snapshot

    def _guard_reply(self, size: int, what: str) -> None:
        """A reply over Temporal's payload limit would fail the workflow task on every attempt
        (a stuck run): refuse to send it, with an error naming the limit. The run is untouched;
        its values stay readable from history (GraphClient.get_state_history)."""
        if size > MAX_PAYLOAD_BYTES:
            raise rejected(
                f"{what} is {size} bytes (the state values and pending interrupts), over "
                f"Tempograph's limit of {MAX_PAYLOAD_BYTES} bytes per payload "
                "(payloads.MAX_PAYLOAD_BYTES), so it cannot be sent. The run is "
                f"{self.state.status} and unchanged: read its values with get_state_history, "
                "or keep large data outside the state.",
                ErrorKind.PAYLOAD_TOO_LARGE,
            )

    def _reply(self) -> dict[str, Any]:
        st = self.state
        if st.error is not None:
            raise ApplicationError(str(st.error), type=st.error.kind, non_retryable=True)
        snapshot = self._snapshot()
        out = dict(snapshot.values)
        if st.paused_at == "interrupt":
            out["__interrupt__"] = [p.view() for p in st.pending]
        self._guard_reply(json_size(out), "The reply")
        return out

    def _details(self) -> str:
        """Markdown for the Temporal UI's "current details": first the one line a human needs
        ("Waiting for a human: <question>"), then how to answer: a valid answer's template (from
        the response_schema), the commands, the inbox link, the UI's own "Send an Update"."""
        st = self.state
        wid = workflow.info().workflow_id
        if st.paused_at == "interrupt" and st.pending:
            first = st.pending[0]
            more = f" (+{len(st.pending) - 1} more)" if len(st.pending) > 1 else ""
            question = question_of(first.value) + more
        else:
            question = f"continue {st.paused_at} `{', '.join(st.next)}` (breakpoint)"
        example = resume_example(st.pending if st.paused_at == "interrupt" else [])
        answer = json.dumps(example, separators=(",", ":"), default=str)
        lines = [f"Waiting for a human: {question}", ""]
        if "resume" in example:
            resume = json.dumps(example["resume"], default=str)
            lines += [f"Answer template: `{resume}`", ""]
        lines += ["Answer with:"]
        lines += [f"`{line}`" for line in resume_commands(wid, example, update_name=RESUME_UPDATE)]
        inbox = inbox_item_url(st.spec.inbox_url if st.spec else None, st.thread_id)
        if inbox:
            lines += [f"Inbox: {inbox}"]
        lines += [
            f"or: More Actions → Send an Update → {RESUME_UPDATE} (input `{answer}`)",
            "or fire and forget:",
            f"`temporal workflow signal -w {wid} --name {RESUME_SIGNAL} --input '{answer}'`",
            "",
            f"**Paused** ({st.paused_at}) at step {st.step}, next: `{st.next}`",
        ]
        if st.paused_at == "interrupt":
            for p in st.pending:
                lines += [
                    f"Node `{p.node}` asks (interrupt id `{p.id}`"
                    + (f", deadline {p.deadline.isoformat()}" if p.deadline else "")
                    + "):",
                    "```json",
                    json.dumps(p.value, indent=2, default=str)[:2000],
                    "```",
                ]
                if p.response_schema:
                    schema = json.dumps(p.response_schema, separators=(",", ":"))
                    lines += [f"Answer schema: `{schema[:1000]}`"]
        if st.last_rejected:
            lines += ["", f"Last rejected resume: {st.last_rejected}"]
        if st.notify_failed:
            lines += ["", f"Notification failed: {st.notify_failed}"]
        return "\n".join(lines)

    # -----------------------------------------------------------------------------------------
    # Notifications (webhooks): sent by activities that the run never waits for.
    # -----------------------------------------------------------------------------------------

    def _pause_urls(self) -> list[str]:
        """Who hears of this pause: each interrupt's notify URL (else the graph's), and the
        invocation's webhook. A subgraph's run tells no one: its parent surfaces its pause."""
        st = self.state
        if not st.notify or workflow.info().parent is not None:
            return []
        graph_url = st.spec.notify if st.spec else None
        if st.paused_at == "interrupt":
            urls = [p.notify or graph_url for p in st.pending]
        else:
            urls = [graph_url]
        urls.append(st.inp.webhook)
        return list(dict.fromkeys(u for u in urls if u))

    def _pause_key(self) -> str:
        st = self.state
        if st.paused_at == "interrupt":
            return "interrupt:" + ",".join(sorted(p.id for p in st.pending))
        return f"{st.paused_at}@{st.step}"

    def _notify_pause(self) -> None:
        """A new pause: tell its URLs once (not again after continue-as-new carried it)."""
        st = self.state
        key = self._pause_key()
        if st.notified == key:
            return
        st.notified = key
        st.answered_by_deadline = False
        self._notify_pause_event("interrupted", {})

    def _notify_answered(self, resume: ResumeInput) -> None:
        if self.state.answered_by_deadline:
            self.state.answered_by_deadline = False
            return
        self._notify_pause_event("answered", {"answer": resume.resume})

    def _notify_pause_event(self, event: NotifyEvent, more: dict[str, Any]) -> None:
        st = self.state
        urls = self._pause_urls()
        if not urls:
            return
        wid = workflow.info().workflow_id
        example = resume_example(st.pending if st.paused_at == "interrupt" else [])
        body: dict[str, Any] = {
            **self._notify_base(event),
            "paused_at": st.paused_at,
            "step": st.step,
            "next": st.next,
            "interrupts": [self._interrupt_json(p) for p in st.pending],
            "resume_example": example,
            "resume_commands": resume_commands(wid, example, update_name=RESUME_UPDATE),
            **more,
        }
        for url in urls:
            sent = body
            if url == st.inp.webhook and event == "interrupted":
                # The Agent Server's webhook gets the run's state when the invocation ends.
                sent = {**body, "values": st.shown_values or st.values}
            self._notify(url, event, sent)

    def _notify_end(self) -> None:
        """The invocation's webhook (the Agent Server's semantics): the run's final state."""
        st = self.state
        if not st.notify or not st.inp.webhook or workflow.info().parent is not None:
            return
        body = {
            **self._notify_base("ended"),
            "values": st.values,
            "error": str(st.error) if st.error is not None else None,
        }
        self._notify(st.inp.webhook, "ended", body)

    def _notify_base(self, event: NotifyEvent) -> dict[str, Any]:
        st = self.state
        info = workflow.info()
        return {
            "event": event,
            "graph": st.inp.graph,
            "thread_id": st.thread_id,
            "workflow_id": info.workflow_id,
            "run_id": info.run_id,
            "status": st.status,
            "inbox_url": inbox_item_url(st.spec.inbox_url if st.spec else None, st.thread_id),
            "sent_at": workflow.now().isoformat(),
        }

    @staticmethod
    def _interrupt_json(p: PendingInterrupt) -> dict[str, Any]:
        return {
            "id": p.id,
            "node": p.node,
            "value": p.value,
            "question": question_of(p.value),
            "response_schema": p.response_schema,
            "deadline": p.deadline.isoformat() if p.deadline else None,
            "has_default": p.has_default,
        }

    def _notify(self, url: str, event: NotifyEvent, body: dict[str, Any]) -> None:
        st = self.state
        st.notify_seq += 1
        event_id = f"{workflow.info().run_id}-{st.notify_seq}"
        body = {**body, "event_id": event_id}
        note = Notification(url=url, event=event, event_id=event_id, body=body)
        st.deliveries += 1
        # A background task: the run goes on at once (workflow tasks run in a deterministic
        # order, so this is replay-safe); its activity retries on its own (NOTIFY_RETRY).
        asyncio.create_task(self._deliver(note))  # noqa: RUF006 - counted in st.deliveries

    async def _deliver(self, note: Notification) -> None:
        st = self.state
        try:
            await workflow.execute_activity(
                NOTIFY_ACTIVITY,
                note,
                result_type=int,
                start_to_close_timeout=NOTIFY_TIMEOUT,
                retry_policy=NOTIFY_RETRY,
                summary=f"webhook: {note.event}",
            )
        except ActivityError as exc:
            cause = exc.cause if exc.cause is not None else exc
            st.notify_failed = f"{note.event} webhook to {note.url}: {cause}"
            workflow.logger.warning("webhook not delivered: %s", st.notify_failed)
            if st.status == "interrupted":
                workflow.set_current_details(self._details())
        finally:
            st.deliveries -= 1
