"""Tasks of a superstep, and the slot each one fills while the step runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tempograph.messages import NodeResult, SendSpec, stable_id


@dataclass
class Task:
    """A node to run in the next step: triggered by an edge or goto, or by a Send (`send`)."""

    node: str
    send: SendSpec | None = None


@dataclass
class TaskSlot:
    """One task of a running step: its stable id (interrupt ids derive from it), the answers
    it has been given so far (one per interrupt() call, in order), and its latest result (an
    InterruptRaised result while it waits for an answer)."""

    task: Task
    id: str
    answers: list[Any] = field(default_factory=list)
    result: NodeResult = field(default_factory=NodeResult)
    # While it waits: the ids of its pending interrupts (a subgraph's may be several, or none
    # when the child paused at a breakpoint).
    pending_ids: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, thread_id: str, step: int, index: int, task: Task) -> TaskSlot:
        """The slot of the `index`-th task of `step`; its id is stable across replays and
        continue-as-new (the same step of the same thread gives the same ids)."""
        return cls(task, stable_id(thread_id, step, index, task.node))

    @property
    def node(self) -> str:
        return self.task.node

    @property
    def waiting(self) -> bool:
        return self.result.interrupt is not None

    @property
    def is_child(self) -> bool:
        return self.result.child_pending is not None
