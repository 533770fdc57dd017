"""The floor: the cheapest way to run N sequential steps on Temporal by hand.

One workflow that awaits N trivial activities one after another. Tempograph's linear graph of
N no-op nodes does the same amount of Temporal work per node (one activity), so the gap
between the two is what the graph interpreter adds.

This module is loaded into the workflow sandbox, so it imports only temporalio and stdlib.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

FLOOR_WORKFLOW = "BenchFloor"


@activity.defn(name="bench.noop")
async def noop(i: int) -> int:
    # Same tiny "write" as the graph nodes: the counter plus one.
    return i + 1


@workflow.defn(name=FLOOR_WORKFLOW)
class FloorWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        i = 0
        for _ in range(n):
            i = await workflow.execute_activity(
                noop, i, start_to_close_timeout=timedelta(seconds=60)
            )
        return i
