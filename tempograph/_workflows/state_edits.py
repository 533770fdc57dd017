"""update_state while a run is paused, with LangGraph's routing effect of `as_node`.

Each pause site gets an updater: it applies the edit and returns what the run now waits for.
A collaborator of GraphRun, given its RunState, the run's effects (applying writes, routers)
and its Subgraphs.
"""

from __future__ import annotations

from typing import Any, Protocol

from temporalio import workflow

from tempograph._workflows.common import Updater
from tempograph._workflows.run_state import RunState
from tempograph._workflows.subgraphs import Subgraphs

with workflow.unsafe.imports_passed_through():
    from tempograph._engine import JoinSeen, Task, TaskSlot, copy_joins, merge, plan, preview
    from tempograph.messages import END, NodeResult, RouteResult, StateUpdate


class Effects(Protocol):
    """What an edit needs the run to do (local activities for custom reducers and routers)."""

    async def _apply(self, writes: list[tuple[str, Any]]) -> None: ...

    async def _route(self, source: str, state: dict[str, Any]) -> RouteResult: ...

    def _values_with(self, writes: list[tuple[str, Any]]) -> dict[str, Any]: ...

    def _patched(self, patch_id: str) -> bool: ...


class StateEdits:
    def __init__(self, state: RunState, run: Effects, subgraphs: Subgraphs) -> None:
        self.state = state
        self.run = run
        self.subgraphs = subgraphs

    def before(self, tasks: list[Task]) -> Updater:
        """Paused before a step (a breakpoint, or a fork edited with update_state)."""

        async def update(u: StateUpdate) -> list[Task]:
            writes = list((u.values or {}).items())
            if u.as_node is None or u.as_node == END:
                await self.run._apply(writes)
                if u.as_node == END:
                    tasks[:] = []  # nothing next (at a run's start; a pause ends the run)
                return tasks
            # The node counts as done with these writes: drop its task, plan its successors.
            st = self.state
            result = await self.as_node_result(u, writes)
            planned = plan(st.topology, st.join_seen, [Task(u.as_node)], [result])
            await self.run._apply(writes)
            remaining = [t for t in tasks if t.node != u.as_node]
            tasks[:] = merge(remaining, planned)
            return tasks

        return update

    def after(
        self,
        step: list[Task],
        results: list[NodeResult],
        planned: list[Task],
        joins_before: JoinSeen,
    ) -> Updater:
        """Paused after a step (interrupt_after): `planned` is what comes next."""

        async def update(u: StateUpdate) -> list[Task]:
            st = self.state
            writes = list((u.values or {}).items())
            as_node = u.as_node or (step[0].node if len(step) == 1 else None)
            if as_node is None:
                await self.run._apply(writes)
                return planned
            result = await self.as_node_result(u.model_copy(update={"as_node": as_node}), writes)
            if as_node not in [t.node for t in step] and self.run._patched("as-node-successors"):
                # Another node counts as the writer (LangGraph): its task, if next, is done,
                # and its edges decide what comes next (runs recorded before re-planned the
                # step with it, running it and its successors).
                await self.run._apply(writes)
                more = plan(st.topology, st.join_seen, [Task(as_node)], [result])
                planned[:] = merge([t for t in planned if t.node != as_node], more)
                return planned
            await self.run._apply(writes)
            # Plan the step again with as_node's new answer (its router saw the new state).
            tasks, outputs = list(step), list(results)
            if as_node in [t.node for t in tasks]:
                outputs[[t.node for t in tasks].index(as_node)] = result
            else:
                tasks.append(Task(as_node))
                outputs.append(result)
            st.join_seen = copy_joins(joins_before)
            planned[:] = plan(st.topology, st.join_seen, tasks, outputs)
            return planned

        return update

    def at_interrupt(self, slots: list[TaskSlot], waiting: list[TaskSlot]) -> Updater:
        """Paused at interrupts in a step: `waiting` are the tasks that asked."""

        async def update(u: StateUpdate) -> list[Task]:
            st = self.state
            writes = list((u.values or {}).items())
            resolved = [s for s in waiting if s.node == u.as_node]
            if resolved:
                # The interrupted node is marked done with these writes: its interrupt skipped.
                slot = resolved[0]
                self.subgraphs.cancel(slot.id)
                slot.result = await self.as_node_result(u, writes)
                st.pending = [p for p in st.pending if p.task_id != slot.id]
            else:
                await self.run._apply(writes)  # the waiting node re-runs on the new state
            done = [s for s in slots if not s.waiting]
            st.shown_values = self.run._values_with([w for s in done for w in s.result.writes])
            still = [s.task for s in waiting if s.waiting]
            if still:
                return still
            st.paused_at = "after"  # nothing left to answer: a resume just continues
            return preview(st.topology, [s.task for s in slots], [s.result for s in slots])

        return update

    async def as_node_result(self, u: StateUpdate, writes: list[tuple[str, Any]]) -> NodeResult:
        """What node `u.as_node` would have returned: the writes, and its router's answer."""
        assert u.as_node is not None
        result = NodeResult(writes=writes)
        if self.state.nodes[u.as_node].has_router:
            routed = await self.run._route(u.as_node, self.run._values_with(writes))
            result.goto, result.sends = routed.goto, routed.sends
        return result
