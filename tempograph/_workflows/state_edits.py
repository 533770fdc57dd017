"""update_state while a run is paused, with LangGraph's routing effect of `as_node`.

Each pause site gets an updater: it applies the edit and returns what the run now waits for.
A mixin of GraphRun.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow
from temporalio.workflow import ChildWorkflowHandle

from tempograph._workflows.common import Task, Updater

with workflow.unsafe.imports_passed_through():
    from tempograph.messages import (
        END,
        NodeResult,
        NodeSpec,
        PendingInterrupt,
        RouteResult,
        StateUpdate,
    )


class StateEdits:
    nodes: dict[str, NodeSpec]
    successors: dict[str, list[str]]
    join_seen: dict[int, set[str]]
    pending: list[PendingInterrupt]
    shown_values: dict[str, Any] | None
    paused_at: str | None
    children: dict[str, ChildWorkflowHandle[Any, Any]]
    _apply: Callable[[list[tuple[str, Any]]], Awaitable[None]]
    _plan: Callable[[list[Task], list[NodeResult]], list[Task]]
    _route: Callable[[str, dict[str, Any]], Awaitable[RouteResult]]
    _values_with: Callable[[list[tuple[str, Any]]], dict[str, Any]]
    _patched: Callable[[str], bool]

    def _updater_before(self, tasks: list[Task]) -> Updater:
        async def update(u: StateUpdate) -> list[Task]:
            writes = list((u.values or {}).items())
            if u.as_node is None or u.as_node == END:
                await self._apply(writes)
                if u.as_node == END:
                    tasks[:] = []  # nothing next (at a run's start; a pause ends the run)
                return tasks
            # The node counts as done with these writes: drop its task, plan its successors.
            planned = self._plan([Task(u.as_node)], [await self._as_node_result(u, writes)])
            await self._apply(writes)
            remaining = [t for t in tasks if t.node != u.as_node]
            tasks[:] = self._merge(remaining, planned)
            return tasks

        return update

    def _updater_after(
        self,
        step: list[Task],
        results: list[NodeResult],
        planned: list[Task],
        joins_before: dict[int, set[str]],
    ) -> Updater:
        async def update(u: StateUpdate) -> list[Task]:
            writes = list((u.values or {}).items())
            as_node = u.as_node or (step[0].node if len(step) == 1 else None)
            if as_node is None:
                await self._apply(writes)
                return planned
            result = await self._as_node_result(u.model_copy(update={"as_node": as_node}), writes)
            if as_node not in [t.node for t in step] and self._patched("as-node-successors"):
                # Another node counts as the writer (LangGraph): its task, if next, is done,
                # and its edges decide what comes next (runs recorded before re-planned the
                # step with it, running it and its successors).
                await self._apply(writes)
                more = self._plan([Task(as_node)], [result])
                planned[:] = self._merge([t for t in planned if t.node != as_node], more)
                return planned
            await self._apply(writes)
            # Plan the step again with as_node's new answer (its router saw the new state).
            tasks, outputs = list(step), list(results)
            if as_node in [t.node for t in tasks]:
                outputs[[t.node for t in tasks].index(as_node)] = result
            else:
                tasks.append(Task(as_node))
                outputs.append(result)
            self.join_seen = {k: set(v) for k, v in joins_before.items()}
            planned[:] = self._plan(tasks, outputs)
            return planned

        return update

    def _updater_interrupt(
        self, tasks: list[Task], task_ids: list[str], results: list[NodeResult], waiting: list[int]
    ) -> Updater:
        async def update(u: StateUpdate) -> list[Task]:
            writes = list((u.values or {}).items())
            resolved = [i for i in waiting if tasks[i].node == u.as_node]
            if resolved:
                # The interrupted node is marked done with these writes: its interrupt skipped.
                i = resolved[0]
                child = self.children.pop(task_ids[i], None)
                if child is not None:
                    child.cancel()  # a subgraph marked done by update_state is not needed
                results[i] = await self._as_node_result(u, writes)
                self.pending = [p for p in self.pending if p.task_id != task_ids[i]]
            else:
                await self._apply(writes)  # the waiting node re-runs on the new state
            done = [i for i in range(len(tasks)) if results[i].interrupt is None]
            self.shown_values = self._values_with([w for i in done for w in results[i].writes])
            still = [tasks[i] for i in waiting if results[i].interrupt is not None]
            if still:
                return still
            self.paused_at = "after"  # nothing left to answer: a resume just continues
            return self._preview(tasks, results)

        return update

    async def _as_node_result(self, u: StateUpdate, writes: list[tuple[str, Any]]) -> NodeResult:
        """What node `u.as_node` would have returned: the writes, and its router's answer."""
        assert u.as_node is not None
        result = NodeResult(writes=writes)
        if self.nodes[u.as_node].has_router:
            routed = await self._route(u.as_node, self._values_with(writes))
            result.goto, result.sends = routed.goto, routed.sends
        return result

    def _preview(self, tasks: list[Task], results: list[NodeResult]) -> list[Task]:
        """The next step's tasks, for display only (joins are left to the real planning)."""
        names: list[str] = []
        for task, result in zip(tasks, results, strict=True):
            names += self.successors.get(task.node, []) + result.goto
            names += [send.node for send in result.sends]
        return [Task(n) for n in dict.fromkeys(names) if n != END]

    def _merge(self, tasks: list[Task], more: list[Task]) -> list[Task]:
        merged = list(tasks)
        for task in more:
            if task.send is not None or not any(t.node == task.node for t in merged):
                merged.append(task)
        return merged
