"""GraphRun under Temporal's full workflow sandbox, for the replay tests.

GraphRun runs unsandboxed on workers (the sandbox costs it about a third of a resume's round
trip: see its definition). These replay it with the sandbox's restrictions on, so a
non-deterministic call (the clock, random, I/O) added to its code is still caught on every
recorded history and live scenario. In a module of its own: the sandbox re-imports the module
that defines a workflow.
"""

from __future__ import annotations

import time
from typing import Any

from temporalio import workflow

from tempograph._workflows.common import any_arity
from tempograph._workflows.graph_run import GraphRun


@workflow.defn(name="GraphRun", sandboxed=True)
class SandboxedGraphRun(GraphRun):
    # The SDK wants the run method defined on the class itself.
    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        return await super().run(*args)


@workflow.defn(name="GraphRun", sandboxed=True)
class ClockReadingGraphRun(GraphRun):
    """GraphRun with a forbidden call: the sandboxed replay must refuse it."""

    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        time.time()
        return await super().run(*args)
