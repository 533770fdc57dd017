"""The worker's copy of each run's latest node state, so node tasks can carry only a delta.

A node task names the state it reads as a version of its run's state: the whole state, or the
delta from an earlier version (tempograph.messages.StateRef). The worker that ran the previous
step usually holds that earlier version here and applies the delta; otherwise (another worker
ran it, or this one restarted) it asks the run itself with a query. Bounded: one entry per
recent run, least recently used out first.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tempograph import statedelta
from tempograph.messages import NODE_STATE_QUERY, NodeState, NodeTask

MAX_RUNS = 1000


class StateCache:
    def __init__(self, max_runs: int = MAX_RUNS) -> None:
        self.max_runs = max_runs
        self._runs: OrderedDict[tuple[str, str], NodeState] = OrderedDict()
        self.queries = 0  # how often a node's state had to be fetched from its run

    async def state_of(self, task: NodeTask) -> dict[str, Any]:
        """The state `task` reads, as a fresh copy the node may change at will."""
        if task.ref is None:  # a task from a run started before state refs
            return task.state or {}
        info = activity.info()
        key = (info.workflow_id or "", info.workflow_run_id or "")
        held = self._runs.get(key)
        known = {held.version: held.values} if held is not None else {}
        values = statedelta.resolve(task.ref, known)
        if values is None:
            values = await self._fetch(*key, task.ref.version)
        self._remember(key, NodeState(version=task.ref.version, values=values))
        return statedelta.snapshot(values)

    def _remember(self, key: tuple[str, str], state: NodeState) -> None:
        self._runs[key] = state
        self._runs.move_to_end(key)
        while len(self._runs) > self.max_runs:
            self._runs.popitem(last=False)

    async def _fetch(self, workflow_id: str, run_id: str, version: int) -> dict[str, Any]:
        self.queries += 1
        handle = activity.client().get_workflow_handle(workflow_id, run_id=run_id)
        state = await handle.query(NODE_STATE_QUERY, result_type=NodeState)
        if state is None or state.version != version:
            # The run has moved on (this task is stale): the retry gets a fresh task.
            raise ApplicationError(
                f"The run's state is at version {state.version if state else None}, not {version}"
            )
        return state.values
