"""RunState: everything a GraphRun holds, in one place.

The workflow object keeps one RunState; its collaborators (StateEdits, Subgraphs) are given
the same one. Continue-as-new carries the run's position in StartFrom (its shape is in
recorded histories: fields may be added, never removed or renamed); `start_from` and
`take_over` are the two directions, written once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.workflow import ChildWorkflowHandle

from tempograph._workflows.common import RunFailedError

with workflow.unsafe.imports_passed_through():
    from tempograph._engine import JoinSeen, PauseView, Task, Topology
    from tempograph.messages import (
        Breakpoints,
        CarriedTask,
        ChannelSpec,
        ChildPaused,
        ErrorKind,
        GraphSpec,
        NodeSpec,
        NodeState,
        PendingInterrupt,
        ResumeInput,
        RunInput,
        RunStatus,
        StartFrom,
        StateRef,
        StateUpdate,
        checkpoint_id,
    )


@dataclass
class RunState:
    inp: RunInput
    thread_id: str
    # A start input that could not be parsed: the run fails at once with this error.
    input_error: str | None = None
    input_kind: str = ErrorKind.INVALID_INPUT
    # Runs recorded with the start patch take every patched branch (GraphRun._patched).
    patches_at_start: bool = False
    # Runs recorded with it apply add_messages with LangGraph's coercion (see COERCE_MESSAGES).
    coerce_messages: bool = False
    # Runs recorded with it salt workflow-given message ids with the thread id.
    message_ids_per_thread: bool = False
    # Runs recorded with it send webhook notifications (see NOTIFY).
    notify: bool = False
    # Runs recorded with it check typed answers with jsonschema (see JSONSCHEMA_ANSWERS).
    jsonschema_answers: bool = False
    # The last pause notified (a pause carried by continue-as-new is not notified again),
    # notifications still being delivered, and the last one that failed for good.
    notified: str | None = None
    notify_seq: int = 0
    deliveries: int = 0
    notify_failed: str | None = None
    answered_by_deadline: bool = False

    # The graph, pinned in history at start.
    spec: GraphSpec | None = None
    nodes: dict[str, NodeSpec] = field(default_factory=dict)
    channels: dict[str, ChannelSpec] = field(default_factory=dict)
    topology: Topology = field(default_factory=lambda: Topology(frozenset()))
    join_seen: JoinSeen = field(default_factory=dict)

    # The state and where the run is.
    values: dict[str, Any] = field(default_factory=dict)
    sized: int | None = None  # bytes of `values` as JSON, while unchanged
    # The state last sent to node tasks (a copy) and its version: the next step's tasks carry
    # only the delta from it, which the worker applies to its cached copy.
    sent: NodeState | None = None
    sent_ref: StateRef | None = None
    step: int = 0
    first_step: int = 0
    steps_since_resume: int = 0
    last_step: list[str] = field(default_factory=list)
    updates: int = 0  # update_state edits so far (each one has its own checkpoint id)
    updated_step: int | None = None
    last_checkpoint_id: str | None = None
    last_recorded: str | None = None

    # Status, and the pause (what the run waits for, what it shows).
    status: RunStatus = "running"
    finished: bool = False
    error: RunFailedError | None = None
    paused_at: str | None = None
    pause_kind: str | None = None
    next: list[str] = field(default_factory=list)
    pending: list[PendingInterrupt] = field(default_factory=list)
    shown_values: dict[str, Any] | None = None
    pause_seq: int = 0  # update handlers wait for it to move
    accepted: ResumeInput | StateUpdate | None = None
    last_rejected: str | None = None
    deadlines: dict[str, datetime] = field(default_factory=dict)
    before: Breakpoints = None
    after: Breakpoints = None
    # While paused: how to carry the pause into a new run (continue-as-new), if it can be.
    carry: Callable[[], StartFrom] | None = None
    # A run continued as new while paused at interrupts: the paused step, to run on.
    carried_step: list[CarriedTask] | None = None

    # Subgraphs: live child runs by task id, and the latest pause each child reported.
    children: dict[str, ChildWorkflowHandle[Any, Any]] = field(default_factory=dict)
    child_events: dict[str, ChildPaused] = field(default_factory=dict)
    child_seen: dict[str, int] = field(default_factory=dict)
    child_forwarded: dict[str, int] = field(default_factory=dict)

    def pinned(self, spec: GraphSpec) -> None:
        """The graph's topology, as loaded at start."""
        self.spec = spec
        self.nodes = {n.name: n for n in spec.nodes}
        self.channels = {c.name: c for c in spec.channels}
        self.topology = Topology.of(spec)

    def view(self) -> PauseView:
        """What the engine's checks of a resume or a state update look at."""
        return PauseView(
            thread_id=self.thread_id,
            status=self.status,
            busy=self.accepted is not None,
            channels=self.channels,
            nodes=self.nodes,
            paused_at=self.paused_at,
            pending=self.pending,
            last_step=self.last_step,
            legacy_answers=not self.jsonschema_answers,
        )

    def start_from(self, next_tasks: list[Task], **more: Any) -> StartFrom:
        """The run's position before `next_tasks`, for a new run of the thread to start from
        (continue-as-new; `take_over` reads it back)."""
        return StartFrom(
            checkpoint_id=checkpoint_id(self.thread_id, workflow.info().run_id, self.step),
            values=self.values,
            next=[t.node for t in next_tasks if t.send is None],
            sends=[t.send for t in next_tasks if t.send is not None],
            step=self.step,
            continued=True,
            join_seen={k: sorted(v) for k, v in self.join_seen.items()},
            steps_since_resume=self.steps_since_resume,
            **more,
        )

    def take_over(self, start: StartFrom) -> list[Task] | None:
        """Go on from a run continued as new: its position (values and step are taken by the
        caller, as for any fork). The paused step's tasks, in order, when it was paused at
        interrupts."""
        self.join_seen = {int(k): set(v) for k, v in start.join_seen.items()}
        self.steps_since_resume = start.steps_since_resume
        self.last_checkpoint_id = start.checkpoint_id
        self.deadlines = dict(start.deadlines)
        self.last_rejected = start.last_rejected_resume
        self.notified = start.notified[-1] if start.notified else None
        if start.tasks is None:
            return None
        self.carried_step = start.tasks
        return [Task(c.node, c.send) for c in start.tasks]
