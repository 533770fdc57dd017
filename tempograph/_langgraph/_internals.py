"""Every LangGraph internal the adapter relies on, in one module, with the switches between the
LangGraph versions of the supported range (SUPPORTED_LANGGRAPH: 1.0.0 to 1.2.x, both ends tested;
see tests/langgraph/test_lowest_langgraph.py).

LangGraph runs a node as `PregelNode.bound` followed by its writers, with config keys that
Pregel's `prepare_single_task` sets: where writes go (`__pregel_send`), how routers read the
state (`__pregel_read`), the interrupt scratchpad (`__pregel_scratchpad`), the Runtime
(`__pregel_runtime`), the task's checkpoint namespace and id. None of these are public API;
when a LangGraph release moves them, this module is the one to change (the extra pins the
range: `tempograph-hitl[langgraph]`). ../shared/research/agents.md §5 records the mechanics.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
from collections.abc import Callable
from typing import Any

from langgraph._internal._constants import (
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_READ,
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
from langgraph.runtime import Runtime

try:  # 1.2.x: the state for a Send task's node (ToolNode reads it under create_agent)
    from langgraph._internal._constants import CONFIG_KEY_READ_STATE
except ImportError:  # before: no such key (ToolNode took the state from the Send's argument)
    CONFIG_KEY_READ_STATE = None  # type: ignore[assignment]

try:  # 1.1+: Overwrite(value) bypasses the reducer
    from langgraph.types import Overwrite

    OVERWRITE_TYPES: tuple[type, ...] = (Overwrite,)
except ImportError:  # 1.0: no Overwrite
    OVERWRITE_TYPES = ()

try:  # 1.2.x: Runtime.execution_info (thread/run/task ids, attempt)
    from langgraph.runtime import ExecutionInfo
except ImportError:
    ExecutionInfo = None  # type: ignore[assignment,misc]

_RUNTIME_FIELDS = frozenset(f.name for f in dataclasses.fields(Runtime))
_SEQ_TAKES_TRACE_POLICY = "trace_policy" in inspect.signature(RunnableSeq.__init__).parameters

__all__ = [
    "BRANCH_PREFIX",
    "JOIN_PREFIX",
    "OVERWRITE_TYPES",
    "PULL",
    "PUSH",
    "RESUME",
    "TASKS",
    "interrupt_calls",
    "is_branch_writer",
    "make_runtime",
    "node_runnable",
    "pregel_configurable",
    "state_reader",
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
    if _SEQ_TAKES_TRACE_POLICY:  # 1.2.x
        return RunnableSeq(proc.bound, *writers, trace_policy=getattr(proc, "trace_policy", None))
    return RunnableSeq(proc.bound, *writers)


def make_runtime(
    *,
    context: Any,
    store: Any,
    stream_writer: Any,
    heartbeat: Callable[[], None],
    checkpoint_ns: str,
    task_id: str,
    thread_id: Any,
    run_id: str | None,
    node_attempt: int,
) -> Runtime[Any]:
    """The node's Runtime with what this LangGraph version has (heartbeat and execution_info
    arrived in 1.2)."""
    fields: dict[str, Any] = {"context": context, "store": store, "stream_writer": stream_writer}
    if "heartbeat" in _RUNTIME_FIELDS:
        fields["heartbeat"] = heartbeat
    if "execution_info" in _RUNTIME_FIELDS and ExecutionInfo is not None:
        fields["execution_info"] = ExecutionInfo(
            checkpoint_id="",
            checkpoint_ns=checkpoint_ns,
            task_id=task_id,
            thread_id=thread_id,
            run_id=run_id,
            node_attempt=node_attempt,
        )
    return Runtime(**fields)


def _read(
    values: dict[str, Any], channels: list[str], select: str | list[str], fresh: bool = False
) -> Any:
    if isinstance(select, str):
        return values.get(select)
    return {key: values[key] for key in select if key in values}


def state_reader(values: dict[str, Any]) -> Callable[..., Any]:
    """`__pregel_read`: the state as channels (a key without a value is left out). Shaped as
    Pregel installs it, `partial(local_read, scratchpad, channels, ...)`: langgraph-prebuilt
    1.0.x's ToolNode reads `read.args[1]` (the channel names) for a Send of tool calls."""
    return functools.partial(_read, values, list(values))


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
    read: Callable[..., Any],
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
    out = {
        CONFIG_KEY_SEND: send,
        CONFIG_KEY_READ: read,
        CONFIG_KEY_SCRATCHPAD: scratchpad,
        CONFIG_KEY_CHECKPOINT_NS: checkpoint_ns,
        CONFIG_KEY_TASK_ID: task_id,
        CONFIG_KEY_RUNTIME: runtime,
    }
    if CONFIG_KEY_READ_STATE is not None:
        # Set on Send tasks: the state as the node would get it from an edge (ToolNode reads
        # it when create_agent sends it the approved tool calls).
        out[CONFIG_KEY_READ_STATE] = read_state
    return out
