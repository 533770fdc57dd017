"""Every LangGraph internal the adapter relies on, in one module (checked on langgraph 1.2.24).

LangGraph runs a node as `PregelNode.bound` followed by its writers, with config keys that
Pregel's `prepare_single_task` sets: where writes go (`__pregel_send`), how routers read the
state (`__pregel_read`), the interrupt scratchpad (`__pregel_scratchpad`), the Runtime
(`__pregel_runtime`), the task's checkpoint namespace and id. None of these are public API;
when a LangGraph release moves them, this module is the one to change (the extra pins the
range: `tempograph-hitl[langgraph]`). ../shared/research/agents.md §5 records the mechanics.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from langgraph._internal._constants import (
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_READ,
    CONFIG_KEY_READ_STATE,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    CONFIG_KEY_TASK_ID,
    PULL,
    PUSH,
    RESUME,
    TASKS,
)
from langgraph._internal._runnable import RunnableSeq
from langgraph._internal._scratchpad import PregelScratchpad
from langgraph.graph._branch import BranchSpec

__all__ = [
    "BRANCH_PREFIX",
    "JOIN_PREFIX",
    "PULL",
    "PUSH",
    "RESUME",
    "TASKS",
    "interrupt_calls",
    "is_branch_writer",
    "node_runnable",
    "pregel_configurable",
]

# Channel names the compiled graph writes to for routing (graph/state.py attach_edge/branch).
BRANCH_PREFIX = "branch:to:"
JOIN_PREFIX = "join:"


def is_branch_writer(writer: Any) -> bool:
    """True for the writer a conditional edge adds to its source node (BranchSpec.run): it
    reads the state, so Tempograph runs it after the node, where the state is at hand."""
    func = getattr(writer, "func", None)
    return isinstance(getattr(func, "__self__", None), BranchSpec)


def node_runnable(proc: Any) -> Any:
    """A PregelNode's runnable as Pregel builds it (`proc.node`: the bound function then its
    writers, in one traced sequence that sets the config context for the function), without
    the conditional-edge writers."""
    writers = [w for w in proc.flat_writers if not is_branch_writer(w)]
    if not writers:
        return proc.bound
    return RunnableSeq(proc.bound, *writers, trace_policy=getattr(proc, "trace_policy", None))


def _no_null_resume(consume: bool = False) -> Any:
    return None


def _counter() -> Callable[[], int]:
    return itertools.count().__next__


class _CallCounter:
    """The scratchpad's interrupt counter (interrupt() calls it once per call), counting."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls - 1


def interrupt_calls(configurable: dict[str, Any]) -> int:
    """How many times the node itself called interrupt() with this config (an interrupt raised
    by a graph the node invokes counts in that graph's own scratchpad, not here)."""
    pad = configurable.get(CONFIG_KEY_SCRATCHPAD)
    counter = getattr(pad, "interrupt_counter", None)
    return counter.calls if isinstance(counter, _CallCounter) else 0


def pregel_configurable(
    *,
    send: Callable[[Any], None],
    read: Callable[[str | list[str], bool], Any],
    read_state: Callable[[], Any] | None,
    resume: list[Any],
    step: int,
    stop: int,
    checkpoint_ns: str,
    task_id: str,
    runtime: Any,
) -> dict[str, Any]:
    """The `configurable` keys a LangGraph node call needs besides the user's."""
    scratchpad = PregelScratchpad(
        step=step,
        stop=stop,
        call_counter=_counter(),
        interrupt_counter=_CallCounter(),
        # A scalar Command(resume=...) reaches the task as its answer list (the workflow maps it
        # to the one waiting interrupt), so there is never a run-level "null" resume here.
        get_null_resume=_no_null_resume,
        resume=resume,
        subgraph_counter=_counter(),
    )
    return {
        CONFIG_KEY_SEND: send,
        CONFIG_KEY_READ: read,
        # Set on Send tasks: the state as the node would get it from an edge (ToolNode reads
        # it when create_agent sends it the approved tool calls).
        CONFIG_KEY_READ_STATE: read_state,
        CONFIG_KEY_SCRATCHPAD: scratchpad,
        CONFIG_KEY_CHECKPOINT_NS: checkpoint_ns,
        CONFIG_KEY_TASK_ID: task_id,
        CONFIG_KEY_RUNTIME: runtime,
    }
