"""A GraphRun with a nondeterministic change, for the replay test.

In a module of its own: the workflow sandbox re-imports the module that defines a workflow, so
it must import nothing but the workflow code (not the whole tempograph package).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from tempograph._workflows.common import any_arity
from tempograph._workflows.graph_run import GraphRun


@workflow.defn(name="GraphRun")
class ChangedGraphRun(GraphRun):
    """GraphRun with a change that breaks determinism: a timer recorded histories never had."""

    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        await workflow.sleep(1)
        return await super().run(*args)
