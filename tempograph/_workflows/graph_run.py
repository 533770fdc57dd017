"""GraphRun: one run of a graph on one thread, as a Temporal workflow.

The workflow is a generic interpreter. It never imports the user's graph module: at start it asks
the worker for the graph's topology (a local activity), and that answer is recorded in this run's
history. From then on the run follows that recorded topology, so deploying new graph code never
breaks a run that has been paused for a week: its replay reads the same topology back. Node code,
routers and custom reducers run in activities; only their outputs (plain data) are recorded.

A run proceeds in supersteps (LangGraph's Pregel model): the tasks triggered together run
concurrently, their writes are applied in task order when all are done, then the next tasks are
planned from edges, router answers, Command.goto and Send.

Pauses: a node that calls interrupt() finishes its activity with an InterruptRaised result; the
workflow records the pending interrupt and waits (workflow.wait_condition) for a resume. Static
breakpoints pause before or after a step. A paused run holds no worker resources: Temporal may
evict it from the worker cache and replay it from history when the resume arrives.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ApplicationError,
    FailureError,
)
from temporalio.workflow import ChildWorkflowHandle, HandlerUnfinishedPolicy

from tempograph._workflows.common import (
    LOCAL_ACTIVITY_TIMEOUT,
    PATCHES_AT_START,
    BadArgumentsError,
    ChildWake,
    RunEndedError,
    RunFailedError,
    Task,
    Updater,
    any_arity,
    decode_args,
    failure,
    hits,
    is_resume_map,
    no_args,
    parse_resume,
    pick_breakpoints,
    rejected,
    too_big,
)
from tempograph._workflows.state_edits import StateEdits
from tempograph._workflows.subgraphs import SubgraphRuns

with workflow.unsafe.imports_passed_through():
    from tempograph import schema_check, statedelta
    from tempograph.channels import apply_grouped, group_writes, initial_values
    from tempograph.errors import InvalidUpdateError
    from tempograph.limits import MAX_MESSAGE_BYTES, LimitError, check_depth
    from tempograph.messages import (
        CHECKPOINT_MEMO,
        CHILD_PAUSED_SIGNAL,
        END,
        GRAPH_ATTRIBUTE,
        NODE_STATE_QUERY,
        RESUME_SIGNAL,
        RESUME_UPDATE,
        START,
        STATE_QUERY,
        STATE_UPDATE,
        STATUS_ATTRIBUTE,
        WAIT_UPDATE,
        WORKFLOW_TYPE,
        Breakpoints,
        CarriedTask,
        ChannelSpec,
        Checkpoint,
        ChildPaused,
        ErrorKind,
        GraphSpec,
        InvalidMessageError,
        LoadedThread,
        LoadThreadTask,
        NodeResult,
        NodeSpec,
        NodeState,
        NodeTask,
        PendingInterrupt,
        ReduceResult,
        ReduceTask,
        ResumeInput,
        RouteResult,
        RouteTask,
        RunInput,
        RunStatus,
        SendSpec,
        StartFrom,
        StateRef,
        StateSnapshot,
        StateUpdate,
        WaitInput,
        checkpoint_id,
        parse_message,
        stable_id,
    )
    from tempograph.payloads import (
        INLINE_STATE_BYTES,
        MAX_PAYLOAD_BYTES,
        check_bytes,
        json_size,
        payload_size,
    )


@workflow.defn(name=WORKFLOW_TYPE)
class GraphRun(StateEdits, SubgraphRuns):
    # Every handler takes any number of raw arguments and decodes and validates them itself
    # (any_arity, decode_args, parse_message): a message the SDK could not hand over would fail
    # the workflow task again and again (a stuck run) instead of giving the sender a clear error.
    @workflow.init
    @any_arity
    def __init__(self, *args: Any) -> None:
        self.input_error: str | None = None
        self.input_kind: str = ErrorKind.INVALID_INPUT
        try:
            self.inp = self._parse_input(args)
        except (BadArgumentsError, InvalidMessageError, LimitError) as exc:
            self.input_error = str(exc)
            self.input_kind = str(getattr(exc, "kind", ErrorKind.INVALID_INPUT))
            self.inp = RunInput(graph="")
        self.thread_id = self.inp.thread_id or workflow.info().workflow_id
        self.spec: GraphSpec | None = None
        self.nodes: dict[str, NodeSpec] = {}
        self.values: dict[str, Any] = {}
        self.status: RunStatus = "running"
        self.step = 0
        self.steps_since_resume = 0
        self.channels: dict[str, ChannelSpec] = {}
        self.successors: dict[str, list[str]] = {}
        self.joins: list[tuple[set[str], str]] = []
        self.join_seen: dict[int, set[str]] = {}
        # Pause state.
        self.paused_at: str | None = None
        self.next: list[str] = []
        self.pending: list[PendingInterrupt] = []
        self.shown_values: dict[str, Any] | None = None
        self.pause_seq = 0
        self.accepted: ResumeInput | StateUpdate | None = None
        self.last_rejected: str | None = None
        self.error: RunFailedError | None = None
        self.deadlines: dict[str, datetime] = {}
        self.last_step: list[str] = []
        self.updates = 0
        self.sized: int | None = None
        # The state last sent to node tasks (a copy) and its version: the next step's tasks
        # carry only the delta from it, which the worker applies to its cached copy.
        self.sent: NodeState | None = None
        self.sent_ref: StateRef | None = None
        self.before: Breakpoints = None
        self.after: Breakpoints = None  # bytes of self.values as JSON, while unchanged
        # Subgraphs: live child runs by task id, and the latest pause each child reported.
        self.children: dict[str, ChildWorkflowHandle[Any, Any]] = {}
        self.child_events: dict[str, ChildPaused] = {}
        self.child_seen: dict[str, int] = {}
        self.child_forwarded: dict[str, int] = {}
        self.last_recorded: str | None = None
        self.first_step = 0
        self.updated_step: int | None = None
        self.last_checkpoint_id: str | None = None
        self.finished = False
        # While paused: how to carry the pause into a new run (continue-as-new), if it can be.
        self.carry: Callable[[], StartFrom] | None = None
        self.pause_kind: str | None = None
        self.carried_step: list[CarriedTask] | None = None
        # Runs recorded with the start patch (see _patched) take every patched branch.
        self.patches_at_start = False

    # -----------------------------------------------------------------------------------------
    # The run.
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
        valid = sorted(self.nodes)
        for name in ("interrupt_before", "interrupt_after"):
            breakpoints = getattr(self.inp, name)
            if isinstance(breakpoints, list):
                unknown = sorted(set(breakpoints) - set(self.nodes))
                if unknown:
                    raise RunFailedError(
                        f"Unknown node(s) in {name}: {unknown}; the graph's nodes are {valid}",
                        ErrorKind.INVALID_INPUT,
                    )
        edit = self.inp.start_from.update if self.inp.start_from is not None else None
        if edit is not None:
            if set(edit.values or {}) - set(self.channels):
                unknown = sorted(set(edit.values or {}) - set(self.channels))
                raise RunFailedError(f"Unknown state key(s): {unknown}", ErrorKind.INVALID_UPDATE)
            if edit.as_node is not None and edit.as_node not in {*self.nodes, END}:
                raise RunFailedError(
                    f"Node {edit.as_node} does not exist", ErrorKind.INVALID_UPDATE
                )
        unknown_keys = sorted(set(self.inp.input or {}) - set(self.channels))
        if unknown_keys and workflow.info().parent is None:  # a subgraph takes the keys it has
            raise RunFailedError(
                f"Unknown state key(s) in the input: {unknown_keys}; the graph's state keys "
                f"are {sorted(self.channels)}",
                ErrorKind.INVALID_INPUT,
            )

    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        if self.input_error:
            raise ApplicationError(self.input_error, type=self.input_kind, non_retryable=True)
        inp = self.inp
        # Before any command, in the run's first workflow task: see _patched.
        self.patches_at_start = workflow.patched(PATCHES_AT_START)
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
                    tasks = await self._updater_before(tasks)(inp.start_from.update)
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
            self.status = "done"
            self._checkpoint("loop", [])
        except RunEndedError:
            # update_state(as_node=END): the thread is idle, values as they were.
            self.status = "done"
            self._checkpoint("update", [])
        except RunFailedError as exc:
            self.error = exc
            self.status = "error"
            workflow.logger.warning("graph run failed: %s", exc)
        except asyncio.CancelledError:
            # Cancelled (e.g. `temporal workflow cancel`): record it, then end as cancelled.
            self.finished, self.status = True, "cancelled"
            self.paused_at, self.pending, self.next = None, [], []
            workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set("cancelled")])
            raise
        self.finished = True
        self.paused_at, self.pending, self.next = None, [], []
        workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set(self.status)])
        # Let update handlers that wait for this outcome reply before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.error is not None:
            raise ApplicationError(str(self.error), type=self.error.kind, non_retryable=True)
        return self.values

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
        it at the start too, next to PATCHES_AT_START, and keep the result."""
        return self.patches_at_start or workflow.patched(patch_id)

    async def _load_graph(self) -> None:
        """Pin the graph's topology in this run's history (the only time user code is asked)."""
        try:
            self.spec = await workflow.execute_local_activity(
                "tempograph.describe_graph",
                self.inp.graph,
                result_type=GraphSpec,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except FailureError as exc:
            raise failure("Cannot load the graph", exc) from exc
        self.nodes = {n.name: n for n in self.spec.nodes}
        self.channels = {c.name: c for c in self.spec.channels}
        # Adjacency, computed once: single-source edges by source, and joins (several sources).
        for edge in self.spec.edges:
            if len(edge.sources) == 1:
                self.successors.setdefault(edge.sources[0], []).append(edge.target)
            else:
                self.joins.append((set(edge.sources) - {START}, edge.target))
        self.values = initial_values(self.spec.channels)

    def _checkpoint(self, source: str, next_tasks: list[Task]) -> None:
        """Record the state between steps where no node activity input already holds it: at
        breakpoints, after update_state, at the end of a run (see Checkpoint).
        patched(): runs recorded before checkpoints existed replay without these commands."""
        if not self._patched("checkpoints"):
            return
        run_id = workflow.info().run_id
        if source == "update":
            self.updates += 1
            self.updated_step = self.step
        elif source == "loop" and self.step == self.first_step and self.inp.start_from is None:
            source = "input"  # the state before the run's first step holds its input
        cid = (
            checkpoint_id(self.thread_id, run_id, self.step, self.updates)
            if source == "update"
            else checkpoint_id(self.thread_id, run_id, self.step)
        )
        if cid == self.last_recorded:
            return  # e.g. a fork that pauses at once: its checkpoint is already written
        self.last_recorded = cid
        checkpoint = Checkpoint(
            checkpoint_id=cid,
            thread_id=self.thread_id,
            run_id=run_id,
            step=self.step,
            source=source,  # type: ignore[arg-type]
            values=self.values,
            next=[t.node for t in next_tasks],
            created_at=workflow.now(),
        )
        self.last_checkpoint_id = checkpoint.checkpoint_id
        workflow.upsert_memo({CHECKPOINT_MEMO: checkpoint})

    async def _load_thread(self) -> None:
        """Threads: start from the state the previous run on this thread left."""
        try:
            loaded = await workflow.execute_local_activity(
                "tempograph.load_thread",
                LoadThreadTask(
                    thread_id=self.thread_id,
                    run_id=workflow.info().run_id,
                    previous_run_id=self.inp.previous_run_id,
                ),
                result_type=LoadedThread,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except FailureError as exc:
            raise failure("Cannot load the thread's previous state", exc) from exc
        if loaded.found:
            self.values.update(loaded.values)
            self.sized = None
            self.step = loaded.step
            self.last_checkpoint_id = loaded.checkpoint_id

    def _fork(self, start: StartFrom) -> list[Task]:
        """Start from a checkpoint: a run continued as new, or time travel on a new branch
        (interrupts ahead fire again: answers given on the old branch are not reused)."""
        self.values.update(start.values)
        self.sized = None
        self.step = start.step
        tasks = self._add_targets([], start.next, start.sends)
        self.first_step = self.step
        if start.continued:
            self.join_seen = {int(k): set(v) for k, v in start.join_seen.items()}
            self.steps_since_resume = start.steps_since_resume
            self.last_checkpoint_id = start.checkpoint_id
            self.deadlines = dict(start.deadlines)
            self.last_rejected = start.last_rejected_resume
            if start.tasks is not None:  # paused at interrupts: the same step, in order
                tasks = [Task(c.node, c.send) for c in start.tasks]
                self.carried_step = start.tasks
        else:
            self._checkpoint("fork", tasks)
        return tasks

    def _continue_as_new_if_due(self, tasks: list[Task]) -> None:
        """Between supersteps, hand the thread to a fresh run when the history grows long.
        Update handlers still waiting are abandoned; GraphClient re-attaches to the new run."""
        due = self.inp.steps_per_run is not None and (
            self.step - self.first_step >= self.inp.steps_per_run
        )
        if not (due or workflow.info().is_continue_as_new_suggested()):
            return
        self._continue_as_new(self._start_from(tasks))

    def _start_from(self, next_tasks: list[Task], **more: Any) -> StartFrom:
        """The run's position before `next_tasks`, for a new run of the thread to start
        from."""
        tasks = next_tasks
        return StartFrom(
            checkpoint_id=checkpoint_id(self.thread_id, workflow.info().run_id, self.step),
            values=self.values,
            next=[t.node for t in tasks if t.send is None],
            sends=[t.send for t in tasks if t.send is not None],
            step=self.step,
            continued=True,
            join_seen={k: sorted(v) for k, v in self.join_seen.items()},
            steps_since_resume=self.steps_since_resume,
            **more,
        )

    def _continue_as_new(self, start: StartFrom, **more: Any) -> None:
        carried = self.inp.model_copy(
            update={"input": None, "previous_run_id": "", "start_from": start, **more}
        )
        workflow.continue_as_new(carried)

    def _history_due(self) -> bool:
        """A paused run's history grows with every signal, rejected ones too, and Temporal
        terminates a run past 50 MB (or 51,200 events): move on to a fresh history first."""
        info = workflow.info()
        limit = self.inp.history_bytes_limit
        return workflow.all_handlers_finished() and (
            info.is_continue_as_new_suggested()
            or (limit is not None and info.get_current_history_size() > limit)
        )

    def _carry_step(
        self, tasks: list[Task], answers: list[list[Any]], results: list[NodeResult]
    ) -> StartFrom:
        """A step paused at interrupts: its tasks in order with their answers so far, and the
        results of those that finished (they do not run again)."""
        carried = [
            CarriedTask(
                node=t.node,
                send=t.send,
                answers=answers[i],
                result=results[i] if results[i].interrupt is None else None,
            )
            for i, t in enumerate(tasks)
        ]
        return self._start_from(tasks, tasks=carried)

    def _continue_paused_as_new(self) -> None:
        """Continue as new, carrying the pause: the new run comes back paused at the same
        place, with the same interrupt ids (GraphClient follows the thread to it)."""
        assert self.carry is not None
        workflow.logger.info(
            "paused run continues as new (history %s bytes)",
            workflow.info().get_current_history_size(),
        )
        start = self.carry()
        start.deadlines, start.last_rejected_resume = self.deadlines, self.last_rejected
        # The breakpoints in force for this invocation go on with it.
        self._continue_as_new(start, interrupt_before=self.before, interrupt_after=self.after)

    async def _run_steps(self, tasks: list[Task], pause_first: bool = False) -> None:
        assert self.spec is not None
        self.first_step = self.step
        self.before = pick_breakpoints(self.inp.interrupt_before, self.spec.interrupt_before)
        self.after = pick_breakpoints(self.inp.interrupt_after, self.spec.interrupt_after)
        if pause_first and not tasks and not self._patched("pause-with-nothing-next"):
            pause_first = False  # (runs recorded before: a fork with nothing next just ended)
        # A run continued as new while paused at interrupts: its step is past its breakpoint.
        past_breakpoint = self.carried_step is not None
        while tasks or pause_first:
            if self.steps_since_resume >= self.inp.recursion_limit:
                raise RunFailedError(
                    f"Recursion limit of {self.inp.recursion_limit} reached without hitting a "
                    "stop condition. You can increase the limit by setting `recursion_limit` "
                    "on the run.",
                    ErrorKind.GRAPH_RECURSION,
                )
            if self.step > self.first_step:
                self._continue_as_new_if_due(tasks)
            if not past_breakpoint and (pause_first or hits(self.before, tasks)):
                pause_first = False
                self.carry = functools.partial(self._start_from, tasks, pause=True)
                resume = await self._pause("before", tasks, self._updater_before(tasks))
                tasks = await self._continue_from(resume, tasks)
                if not tasks:
                    break  # a fork of a finished thread, continued: nothing to run
            results = await self._run_step(tasks)
            self.last_step = [t.node for t in tasks]
            joins_before = {k: set(v) for k, v in self.join_seen.items()}
            planned = self._plan(tasks, results)
            await self._apply([w for r in results for w in r.writes])
            self.step += 1
            self.steps_since_resume += 1
            past_breakpoint = False
            if hits(self.after, tasks):
                updater = self._updater_after(tasks, results, planned, joins_before)
                # (the updater edits `planned` in place: the carry sees the latest)
                self.carry = functools.partial(self._start_from, planned, pause=True)
                resume = await self._pause("after", planned, updater)
                planned = await self._continue_from(resume, planned)
            tasks = planned

    async def _run_step(self, tasks: list[Task]) -> list[NodeResult]:
        """Run one superstep until every task has finished, pausing for each interrupt."""
        task_ids = [stable_id(self.thread_id, self.step, i, t.node) for i, t in enumerate(tasks)]
        if self.updated_step != self.step:
            # The state before this step is its node activities' input: that is the checkpoint.
            self.last_checkpoint_id = checkpoint_id(
                self.thread_id, workflow.info().run_id, self.step
            )
        answers: list[list[Any]] = [[] for _ in tasks]
        results: list[NodeResult] = [NodeResult() for _ in tasks]
        to_run = list(range(len(tasks)))
        if self.carried_step is not None:  # continued as new while paused in this step
            carried, self.carried_step = self.carried_step, None
            for i, c in enumerate(carried):
                answers[i] = list(c.answers)
                if c.result is not None:
                    results[i] = c.result
            to_run = [i for i, c in enumerate(carried) if c.result is None]
        while True:
            ref = self._state_ref()
            # Local activities' inputs are not in history: the step's first local task echoes
            # its checkpoint (ref and nodes) in its result, which is.
            first_local = next((i for i in to_run if self.nodes[tasks[i].node].local_activity), -1)
            nodes = [tasks[i].node for i in to_run]
            outputs = await asyncio.gather(
                *(
                    self._execute(
                        tasks[i], task_ids[i], answers[i], ref, nodes if i == first_local else None
                    )
                    for i in to_run
                )
            )
            for i, output in zip(to_run, outputs, strict=True):
                results[i] = output
            waiting = [i for i, r in enumerate(results) if r.interrupt is not None]
            if not waiting:
                return results
            pendings = {i: self._pendings(tasks[i], task_ids[i], results[i]) for i in waiting}
            self.pending = [p for i in waiting for p in pendings[i]]
            for i in waiting:
                raised = results[i].interrupt
                assert raised is not None
                if raised.rejected:
                    # The node refused the answer for this slot: ask again, same id.
                    del answers[i][raised.slot :]
                    self.last_rejected = raised.rejected
            self.shown_values = self._values_with(
                [w for i, r in enumerate(results) if i not in waiting for w in r.writes]
            )
            ids = {i: [p.id for p in pendings[i]] for i in waiting}
            self.carry = functools.partial(self._carry_step, tasks, answers, results)
            resume = await self._pause(
                "interrupt",
                [tasks[i] for i in waiting],
                self._updater_interrupt(tasks, task_ids, results, waiting),
            )
            if isinstance(resume, ChildWake):
                to_run = [i for i in waiting if self._moved(task_ids[i])]
                continue
            waiting = [i for i in waiting if results[i].interrupt is not None]
            if resume.update:
                await self._apply(list(resume.update.items()))
            flat = [pid for i in waiting for pid in ids[i]]
            answered = self._answers(resume, flat) if flat else {}
            # Answered tasks re-run from their start with one more answer (a subgraph gets its
            # answers forwarded). With an update but no answer, the waiting nodes re-run and
            # interrupt again on the updated state.
            to_run = []
            for i in waiting:
                if results[i].child_pending is not None:
                    forward = {pid: answered[pid] for pid in ids[i] if pid in answered}
                    if forward or not ids[i]:  # a child at a breakpoint goes on with any resume
                        answers[i].append(forward or None)
                        to_run.append(i)
                elif ids[i][0] in answered:
                    answers[i].append(answered[ids[i][0]])
                    to_run.append(i)
            if not to_run and resume.resume is None:
                to_run = [i for i in waiting if results[i].child_pending is None]
            for node in resume.goto:
                tasks.append(Task(node))
                task_ids.append(stable_id(self.thread_id, self.step, len(tasks) - 1, node))
                answers.append([])
                results.append(NodeResult())
                to_run.append(len(tasks) - 1)

    def _state_size(self) -> int:
        """Bytes of the state as JSON, measured once per change. The whole state still travels
        at pauses (checkpoints), to subgraphs and in answers, so it must fit a payload."""
        if self.sized is None:
            self.sized = json_size(self.values)
        return self.sized

    def _state_ref(self) -> StateRef:
        """What this step's node tasks carry of the state: the whole state while it is small
        (or on a run's first step), else the delta from the version sent last. Without it every
        node input would re-record the whole, growing state in history."""
        if self.sent is not None and self.sent_ref is not None and self.sent.values == self.values:
            return self.sent_ref
        size = self._state_size()
        version = self.sent.version + 1 if self.sent is not None else 1
        ref = StateRef(version=version, state=self.values)
        if self.sent is not None and size > INLINE_STATE_BYTES:
            delta = statedelta.diff(self.sent.values, self.values)
            if delta is not None:
                ref = StateRef(version=version, base_version=self.sent.version, delta=delta)
        self.sent = NodeState(version=version, values=statedelta.snapshot(self.values))
        self.sent_ref = ref
        return ref

    def _pendings(self, task: Task, task_id: str, result: NodeResult) -> list[PendingInterrupt]:
        if result.child_pending is not None:
            # A subgraph's own deadlines are its own: the child resumes itself.
            return [p.model_copy(update={"deadline": None}) for p in result.child_pending]
        return [self._pending(task, task_id, result)]

    def _pending(self, task: Task, task_id: str, result: NodeResult) -> PendingInterrupt:
        raised = result.interrupt
        assert raised is not None
        interrupt_id = stable_id(task_id, raised.slot)
        if raised.timeout_seconds is not None and interrupt_id not in self.deadlines:
            # The deadline is fixed when the question is first asked, not on each re-run.
            self.deadlines[interrupt_id] = workflow.now() + timedelta(
                seconds=raised.timeout_seconds
            )
        return PendingInterrupt(
            id=interrupt_id,
            value=raised.value,
            node=task.node,
            task_id=task_id,
            response_schema=raised.response_schema,
            validate_answer=raised.validate_answer,
            deadline=self.deadlines.get(interrupt_id),
            has_default=raised.has_default,
            default=raised.default,
        )

    async def _execute(
        self,
        task: Task,
        task_id: str,
        answers: list[Any],
        ref: StateRef,
        step_nodes: list[str] | None = None,
    ) -> NodeResult:
        spec = self.nodes[task.node]
        if spec.subgraph is not None:
            return await self._run_child(task, task_id, answers, spec.subgraph)
        node_task = NodeTask(
            graph=self.inp.graph,
            node=task.node,
            task_id=task_id,
            step=self.step,
            ref=ref,
            step_nodes=step_nodes,
            send_arg=task.send.arg if task.send else None,
            is_send=task.send is not None,
            resume=answers,
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
    # State and routing.
    # -----------------------------------------------------------------------------------------

    async def _apply(self, writes: list[tuple[str, Any]]) -> None:
        """Apply writes through the channels' reducers (custom reducers run in an activity)."""
        grouped = group_writes(writes)
        self.sized = None  # the state changes: measure it again before the next node
        try:
            custom = apply_grouped(self.values, grouped, self.channels)
        except InvalidUpdateError as exc:
            raise RunFailedError(str(exc), ErrorKind.INVALID_UPDATE) from exc
        for key in custom:
            try:
                reduced = await workflow.execute_local_activity(
                    "tempograph.reduce",
                    ReduceTask(
                        graph=self.inp.graph,
                        channel=key,
                        has_current=key in self.values,
                        current=self.values.get(key),
                        writes=grouped[key],
                    ),
                    result_type=ReduceResult,
                    start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                    retry_policy=RetryPolicy(maximum_attempts=3),
                )
            except FailureError as exc:
                raise failure(f"The reducer of '{key}' failed", exc) from exc
            self.values[key] = reduced.value

    def _values_with(self, writes: list[tuple[str, Any]]) -> dict[str, Any]:
        """The values plus some writes, for display (LangGraph shows finished siblings' writes)."""
        shown = dict(self.values)
        try:
            apply_grouped(shown, group_writes(writes), self.channels)
        except InvalidUpdateError:
            return dict(self.values)
        return shown

    async def _start_tasks(self) -> list[Task]:
        assert self.spec is not None
        tasks = self._add_targets([], self.successors.get(START, []), [])
        if self.spec.start_has_router:
            routed = await self._route(START, self.values)
            tasks = self._add_targets(tasks, routed.goto, routed.sends)
        return tasks

    async def _route(self, source: str, state: dict[str, Any]) -> RouteResult:
        """Run `source`'s conditional edges on `state` (START's, or for update_state)."""
        try:
            return await workflow.execute_local_activity(
                "tempograph.route",
                RouteTask(graph=self.inp.graph, source=source, state=state),
                result_type=RouteResult,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except FailureError as exc:
            raise failure(f"The router of {source} failed", exc) from exc

    def _plan(self, tasks: list[Task], results: list[NodeResult]) -> list[Task]:
        """The next step's tasks: static edges, joins, router answers, goto and Send."""
        planned: list[Task] = []
        for task, result in zip(tasks, results, strict=True):
            static = self.successors.get(task.node, [])
            planned = self._add_targets(planned, static + result.goto, result.sends)
        finished = {t.node for t in tasks}
        for index, (sources, target) in enumerate(self.joins):
            seen = self.join_seen.setdefault(index, set())
            seen |= finished & sources
            if seen >= sources:
                seen.clear()
                planned = self._add_targets(planned, [target], [])
        return planned

    def _add_targets(
        self, tasks: list[Task], names: list[str], sends: list[SendSpec]
    ) -> list[Task]:
        for name in names:
            if name == END:
                continue
            if name not in self.nodes:
                raise RunFailedError(
                    f"Edge or goto target '{name}' is not a node of this graph",
                    ErrorKind.INVALID_UPDATE,
                )
            if not any(t.node == name and t.send is None for t in tasks):
                tasks.append(Task(name))
        for send in sends:
            if send.node not in self.nodes:
                raise RunFailedError(
                    f"Send to unknown node '{send.node}'", ErrorKind.INVALID_UPDATE
                )
            tasks.append(Task(send.node, send))
        return tasks

    # -----------------------------------------------------------------------------------------
    # Pausing and resuming.
    # -----------------------------------------------------------------------------------------

    async def _pause(self, kind: str, waiting: list[Task], updater: Updater) -> ResumeInput:
        """Pause until a resume arrives. State updates (update_state) are applied while paused
        by `updater`, which returns what the run now waits for; the run stays paused."""
        self.paused_at = self.pause_kind = kind
        self.next = [t.node for t in waiting]
        if kind != "interrupt":
            self.pending, self.shown_values = [], None
        self.status = "interrupted"
        self.pause_seq += 1
        if kind != "interrupt":  # (a dynamic interrupt's state is its node's activity input)
            self._checkpoint("loop", waiting)
        parent = workflow.info().parent
        if parent is not None:  # a subgraph: its parent surfaces this pause
            await workflow.get_external_workflow_handle(parent.workflow_id).signal(
                CHILD_PAUSED_SIGNAL,
                ChildPaused(
                    child_id=workflow.info().workflow_id,
                    seq=self.pause_seq,
                    paused_at=kind,
                    pending=self.pending,
                ),
            )
        workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set("interrupted")])
        workflow.set_current_details(self._details())
        while True:
            message = await self._wait_for_resume()
            if isinstance(message, ChildWake | ResumeInput):
                resume = message
                break
            if message.as_node == END:
                await self._end_here(message)
            waiting = await updater(message)
            self.next = [t.node for t in waiting]
            if self.paused_at != "interrupt":
                self._checkpoint("update", waiting)
            self.pause_seq += 1  # the update_state handler replies on this
            workflow.set_current_details(self._details())
        self.status = "running"
        self.carry = None
        self.paused_at, self.pending, self.next, self.shown_values = None, [], [], None
        self.steps_since_resume = 0
        if not isinstance(resume, ChildWake) and self._patched("breakpoints-per-invocation"):
            # LangGraph: run-time breakpoints belong to one invocation; a resume brings its
            # own (or falls back to the compiled ones).
            assert self.spec is not None
            self.before = pick_breakpoints(resume.interrupt_before, self.spec.interrupt_before)
            self.after = pick_breakpoints(resume.interrupt_after, self.spec.interrupt_after)
        workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set("running")])
        workflow.set_current_details("Running")
        return resume

    async def _end_here(self, update: StateUpdate) -> None:
        """update_state(as_node=END) while paused (LangGraph; Agent Inbox's "mark as
        resolved"): nothing pending, nothing next; the run ends with its values."""
        if update.values:
            await self._apply(list(update.values.items()))
        for child in self.children.values():
            child.cancel()
        self.children.clear()
        self.paused_at, self.pending, self.next, self.shown_values = None, [], [], None
        raise RunEndedError()

    # update_state while paused: LangGraph's routing effect of `as_node`.

    async def _wait_for_resume(self) -> ResumeInput | StateUpdate:
        """Durable wait: Temporal wakes the run when a resume is accepted (or a subgraph goes on
        by itself). Only interrupts with a deadline add a timer; at the deadline they are
        answered with their default."""

        def ready() -> bool:
            return self.accepted is not None or self._children_moved()

        # A long pause may continue as new (see _history_due) where it can carry the pause:
        # not with subgraph runs (children of this run) or after update_state resolved it.
        movable = (
            self.carry is not None
            and not self.children
            and self.paused_at == self.pause_kind
            and self._patched("continue-paused-as-new")
        )

        def woken() -> bool:
            return ready() or (movable and self._history_due())

        while not ready():
            if woken():
                self._continue_paused_as_new()
            deadlines = [p.deadline for p in self.pending if p.deadline is not None]
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
            self._expire(workflow.now())
        if self.accepted is None:
            return ChildWake()
        resume, self.accepted = self.accepted, None
        return resume

    def _expire(self, now: datetime) -> None:
        expired = [p for p in self.pending if p.deadline is not None and p.deadline <= now]
        for p in expired:
            if not p.has_default:
                raise RunFailedError(
                    f"Interrupt {p.id} at node '{p.node}' got no answer before its deadline "
                    f"({p.deadline.isoformat() if p.deadline else ''}) and has no default",
                    ErrorKind.INTERRUPT_TIMEOUT,
                )
        if expired:
            self.accepted = ResumeInput(resume={p.id: p.default for p in expired})

    async def _continue_from(self, resume: ResumeInput, tasks: list[Task]) -> list[Task]:
        """After a static breakpoint: apply the update and goto; the answer itself is ignored."""
        if resume.update:
            await self._apply(list(resume.update.items()))
        return self._add_targets(tasks, resume.goto, [])

    def _answers(self, resume: ResumeInput, pending_ids: list[str]) -> dict[str, Any]:
        if resume.resume is None:
            return {}
        if is_resume_map(resume.resume):
            return dict(resume.resume)
        return {pending_ids[0]: resume.resume}

    def _check_resume(self, cmd: ResumeInput) -> None:
        """Reject a resume that cannot apply, without touching the run (validator and signal)."""
        if self.status != "interrupted" or self.accepted is not None:
            state = "already resumed" if self.accepted is not None else self.status
            raise rejected(
                f"Thread '{self.thread_id}' is not paused ({state}): there is nothing to resume",
                ErrorKind.NOT_PAUSED,
            )
        unknown_keys = sorted(set(cmd.update or {}) - set(self.channels))
        if unknown_keys:
            raise rejected(f"Unknown state key(s) in update: {unknown_keys}")
        unknown_nodes = sorted(set(cmd.goto) - set(self.nodes))
        if unknown_nodes:
            raise rejected(f"Unknown node(s) in goto: {unknown_nodes}")
        for name in ("interrupt_before", "interrupt_after"):
            breakpoints = getattr(cmd, name)
            if isinstance(breakpoints, list) and set(breakpoints) - set(self.nodes):
                raise rejected(
                    f"Unknown node(s) in {name}: {sorted(set(breakpoints) - set(self.nodes))}; "
                    f"the graph's nodes are {sorted(self.nodes)}"
                )
        if self.paused_at != "interrupt" or not self.pending:
            return  # at a static breakpoint any resume (even none) continues the run
        pending = [p.id for p in self.pending]
        if is_resume_map(cmd.resume):
            unknown = sorted(set(cmd.resume) - set(pending))
            if unknown:
                raise rejected(
                    f"Unknown interrupt id(s) {unknown}: pending interrupt ids are {pending}",
                    ErrorKind.UNKNOWN_INTERRUPT,
                )
            self._check_answers(cmd.resume)
        elif cmd.resume is None:
            if not cmd.update and not cmd.goto:
                raise rejected(
                    "The run is waiting at a dynamic interrupt: the resume needs a value, "
                    'e.g. {"resume": "yes"} (null is not an answer)',
                    ErrorKind.MISSING_RESUME_VALUE,
                )
        elif cmd.resume == {}:
            raise rejected("An empty resume map answers nothing", ErrorKind.MISSING_RESUME_VALUE)
        elif len(pending) > 1:
            raise rejected(
                "When there are multiple pending interrupts, you must specify the interrupt id "
                f"when resuming: send a map {{interrupt id: value}}. Pending ids: {pending}",
                ErrorKind.AMBIGUOUS_RESUME,
            )
        else:
            self._check_answers({pending[0]: cmd.resume})

    def _check_answers(self, answers: dict[str, Any]) -> None:
        """Typed answers: refuse one that does not fit its interrupt's response_schema."""
        for p in self.pending:
            if p.id in answers and p.validate_answer and p.response_schema:
                problems = schema_check.check(answers[p.id], p.response_schema)
                if problems:
                    raise rejected(
                        f"The answer to interrupt {p.id} (node '{p.node}') does not fit its "
                        f"response_schema: {'; '.join(problems)}",
                        ErrorKind.INVALID_ANSWER,
                    )

    def _parse_resume(self, args: tuple[Any, ...]) -> ResumeInput:
        """A resume message, decoded and within the limits (validator and signal)."""
        try:
            raw, size = decode_args(args, "The resume")
        except BadArgumentsError as exc:
            raise rejected(
                str(exc),
                ErrorKind.PAYLOAD_TOO_LARGE
                if exc.kind == ErrorKind.PAYLOAD_TOO_LARGE
                else ErrorKind.INVALID_RESUME,
            ) from None
        cmd = parse_resume(raw)
        try:
            check_depth(cmd.resume, "The resume value")
            check_depth(cmd.update, "The resume's update")
        except LimitError as exc:
            raise rejected(str(exc)) from None
        self._check_growth(size, "The resume")
        return cmd

    def _check_growth(self, size: int, what: str) -> None:
        """Refuse a message whose acceptance would push the state (which node inputs, pauses
        and replies carry whole) over the payload limit: the run would then fail."""
        if self.status == "interrupted" and self._state_size() + size > MAX_PAYLOAD_BYTES:
            raise rejected(
                f"{what} ({size} bytes) would make the state ({self._state_size()} bytes) "
                f"larger than Tempograph's limit of {MAX_PAYLOAD_BYTES} bytes per payload "
                "(payloads.MAX_PAYLOAD_BYTES): the run could not go on. Keep large data "
                "outside the state and send a reference.",
                ErrorKind.PAYLOAD_TOO_LARGE,
            )

    def _accept(self, args: tuple[Any, ...]) -> None:
        cmd = self._parse_resume(args)
        self._check_resume(cmd)
        self.accepted = cmd

    @workflow.signal(name=RESUME_SIGNAL)
    @any_arity
    def resume(self, *args: Any) -> None:
        """Fire-and-forget resume. A signal cannot be refused, so a bad one is dropped, logged,
        and shown in the state and current details; the run stays paused."""
        try:
            self._accept(args)
        except ApplicationError as exc:
            self.last_rejected = str(exc)
            workflow.logger.warning("resume signal rejected: %s", exc)
            if self.status == "interrupted":
                workflow.set_current_details(self._details())

    # ABANDON: at continue-as-new, handlers waiting for a later pause are left to the client,
    # which re-attaches to the new run (a normal end waits for all handlers first).
    @workflow.update(name=RESUME_UPDATE, unfinished_policy=HandlerUnfinishedPolicy.ABANDON)
    @any_arity
    async def resume_update(self, *args: Any) -> dict[str, Any]:
        """Resume and reply, once the run pauses again or ends, with what invoke returns."""
        self._accept(args)  # checked again: another resume may have been accepted meanwhile
        seq = self.pause_seq
        await workflow.wait_condition(lambda: self.pause_seq > seq or self.finished)
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
        update = self._check_state_update(args)
        self.accepted = update
        seq = self.pause_seq
        await workflow.wait_condition(lambda: self.pause_seq > seq or self.finished)
        if self.error is not None:
            raise ApplicationError(str(self.error), type=self.error.kind, non_retryable=True)
        return self._guard_snapshot(self._snapshot(), "The reply of update_state (applied)")

    @update_state.validator
    @any_arity
    def _validate_state_update(self, *args: Any) -> None:
        self._check_state_update(args)

    def _check_state_update(self, args: tuple[Any, ...]) -> StateUpdate:
        try:
            raw, size = decode_args(args, "The state update")
            update = parse_message(StateUpdate, raw)
            check_depth(update.values, "The state update's values")
        except BadArgumentsError as exc:
            kind = (
                ErrorKind.PAYLOAD_TOO_LARGE
                if exc.kind == ErrorKind.PAYLOAD_TOO_LARGE
                else ErrorKind.INVALID_STATE_UPDATE
            )
            raise rejected(str(exc), kind) from None
        except (InvalidMessageError, LimitError) as exc:
            raise rejected(str(exc), ErrorKind.INVALID_STATE_UPDATE) from None
        if self.status != "interrupted" or self.accepted is not None:
            raise rejected(
                f"Thread '{self.thread_id}' is not paused ({self.status}): update_state needs "
                "a paused run",
                ErrorKind.NOT_PAUSED,
            )
        unknown_keys = sorted(set(update.values or {}) - set(self.channels))
        if unknown_keys:
            raise rejected(f"Unknown state key(s): {unknown_keys}", ErrorKind.INVALID_STATE_UPDATE)
        if (
            update.as_node is not None
            and update.as_node not in self.nodes
            and update.as_node != END
        ):
            raise rejected(f"Node {update.as_node} does not exist", ErrorKind.INVALID_STATE_UPDATE)
        if update.as_node is None and self.paused_at == "after" and len(self.last_step) > 1:
            raise rejected("Ambiguous update, specify as_node", ErrorKind.INVALID_STATE_UPDATE)
        self._check_growth(size, "The state update")
        return update

    @workflow.update(name=WAIT_UPDATE, unfinished_policy=HandlerUnfinishedPolicy.ABANDON)
    @any_arity
    async def wait_for_pause(self, *args: Any) -> dict[str, Any]:
        """Reply once the run is paused or ended (used with update-with-start by invoke)."""
        await workflow.wait_condition(
            lambda: self.finished or (self.status == "interrupted" and self.accepted is None)
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

    @workflow.query(name=NODE_STATE_QUERY)
    @any_arity
    def node_state(self, *args: Any) -> NodeState | None:
        """The state at the version last sent to node tasks, for a worker whose cache cannot
        rebuild it from a delta (another worker ran the previous step, or it restarted)."""
        no_args(args, NODE_STATE_QUERY)
        return self.sent

    @workflow.query(name=STATE_QUERY)
    @any_arity
    def get_state(self, *args: Any) -> StateSnapshot:
        no_args(args, STATE_QUERY)
        return self._guard_snapshot(self._snapshot(), "The state snapshot (get_state)")

    def _snapshot(self) -> StateSnapshot:
        return StateSnapshot(
            thread_id=self.thread_id,
            graph=self.inp.graph,
            status=self.status,
            values=self.shown_values if self.shown_values is not None else self.values,
            next=self.next,
            interrupts=self.pending,
            step=self.step,
            paused_at=self.paused_at,  # type: ignore[arg-type]
            error=str(self.error) if self.error else None,
            last_rejected_resume=self.last_rejected,
            checkpoint_id=self.last_checkpoint_id,
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
                f"{self.status} and unchanged: read its values with get_state_history, or "
                "keep large data outside the state.",
                ErrorKind.PAYLOAD_TOO_LARGE,
            )

    def _reply(self) -> dict[str, Any]:
        if self.error is not None:
            raise ApplicationError(str(self.error), type=self.error.kind, non_retryable=True)
        snapshot = self._snapshot()
        out = dict(snapshot.values)
        if self.paused_at == "interrupt":
            out["__interrupt__"] = [
                {"value": p.value, "id": p.id, "response_schema": p.response_schema}
                for p in self.pending
            ]
        self._guard_reply(json_size(out), "The reply")
        return out

    def _details(self) -> str:
        """Markdown for the Temporal UI's "current details": what waits, and how to resume."""
        wid = workflow.info().workflow_id
        lines = [f"**Paused** ({self.paused_at}) at step {self.step}, next: `{self.next}`", ""]
        if self.paused_at == "interrupt":
            for p in self.pending:
                lines += [
                    f"Node `{p.node}` asks (interrupt id `{p.id}`):",
                    "```json",
                    json.dumps(p.value, indent=2, default=str)[:2000],
                    "```",
                ]
            example = (
                '{"resume": "<answer>"}'
                if len(self.pending) == 1
                else ('{"resume": {"<interrupt id>": "<answer>", ...}}')
            )
        else:
            example = "{}"
        lines += [
            "Resume and wait for the next pause:",
            f"`temporal workflow update execute -w {wid} --name {RESUME_UPDATE} "
            f"--input '{example}'`",
            "or fire and forget:",
            f"`temporal workflow signal -w {wid} --name {RESUME_SIGNAL} --input '{example}'`",
        ]
        if self.last_rejected:
            lines += ["", f"Last rejected resume: {self.last_rejected}"]
        return "\n".join(lines)
