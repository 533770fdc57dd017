"""A worker in its own process for the paused-scale scenario, so its memory can be measured.

    python -m bench.scale_worker --address HOST:PORT --task-queue Q --system tempograph|floor

Serves one workflow that parks at an interrupt: for `tempograph` the graph `asks_1`
(START -> ask0 (interrupt) -> END), for `floor` FloorHitlWorkflow. Prints `ready` on stdout once
polling, and shuts down when stdin closes. `--options JSON`: more keyword arguments for the
worker (create_worker / temporalio.worker.Worker), e.g. '{"max_concurrent_workflow_tasks": 200}';
the throughput scenario (bench/throughput.py) uses the same worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from temporalio.worker import PollerBehaviorAutoscaling, PollerBehaviorSimpleMaximum, Worker

from bench import graphs
from bench.common import quiet_logs
from bench.floor import ACTIVITIES, FloorHitlWorkflow
from tempograph import connect, create_worker

SCALE_GRAPH = "asks_1"


def poller_behaviors(options: dict[str, Any]) -> dict[str, Any]:
    """JSON for the poller behaviours: {"workflow_task_poller_behavior": {"autoscaling": {...}}}
    or {"simple_maximum": N} (temporalio.worker.PollerBehaviorAutoscaling / SimpleMaximum)."""
    out = dict(options)
    for key in ("workflow_task_poller_behavior", "activity_task_poller_behavior"):
        spec = out.get(key)
        if isinstance(spec, dict) and "autoscaling" in spec:
            out[key] = PollerBehaviorAutoscaling(**spec["autoscaling"])
        elif isinstance(spec, dict) and "simple_maximum" in spec:
            out[key] = PollerBehaviorSimpleMaximum(spec["simple_maximum"])
    return out


async def serve(
    address: str, task_queue: str, system: str, max_cached: int, options: dict[str, Any]
) -> None:
    quiet_logs()
    client = await connect(address)
    options = {"max_cached_workflows": max_cached, **poller_behaviors(options)}
    if system == "tempograph":
        worker = create_worker(
            client, {SCALE_GRAPH: graphs.asks(1, local=False)}, task_queue=task_queue, **options
        )
    else:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[FloorHitlWorkflow],
            activities=ACTIVITIES,
            **options,
        )
    async with worker:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--system", choices=("tempograph", "floor"), required=True)
    parser.add_argument("--max-cached", type=int, default=1000)
    parser.add_argument("--options", type=json.loads, default={}, help="worker kwargs as JSON")
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue, args.system, args.max_cached, args.options))


if __name__ == "__main__":
    main()
