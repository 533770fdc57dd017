"""Static breakpoints (interrupt_before / interrupt_after): which list is in force, and whether
a step hits it."""

from __future__ import annotations

from collections.abc import Sequence

from tempograph._engine.tasks import Task
from tempograph.messages import Breakpoints


def pick_breakpoints(per_run: Breakpoints, compiled: Breakpoints) -> Breakpoints:
    """A per-run breakpoint list replaces the compiled one (LangGraph semantics)."""
    return per_run if per_run is not None else compiled


def hits(breakpoints: Breakpoints, tasks: Sequence[Task]) -> bool:
    """Whether a step of `tasks` stops at `breakpoints` ("*": every step)."""
    if not breakpoints:
        return False
    return breakpoints == "*" or any(t.node in breakpoints for t in tasks)


def unknown_breakpoints(breakpoints: Breakpoints, nodes: Sequence[str]) -> list[str]:
    """Names in a breakpoint list that are not nodes of the graph, sorted."""
    if not isinstance(breakpoints, list):
        return []
    return sorted(set(breakpoints) - set(nodes))
