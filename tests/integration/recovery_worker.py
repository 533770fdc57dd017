"""A worker process for tests/integration/test_recovery.py: serves `sleepy`, whose only node
marks its start and its end in files (TEMPOGRAPH_TEST_MARKS) around a sleep,
with the default node options.

    TEMPORAL_ADDRESS=... TEMPOGRAPH_TASK_QUEUE=... TEMPOGRAPH_TEST_MARKS=dir
        python -m tests.integration.recovery_worker
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any, TypedDict

from tempograph import connect, create_worker
from tempograph.graph import END, START, CompiledGraph, StateGraph

SLEEP = 4.0


class SleepyState(TypedDict, total=False):
    n: int


def sleepy(state: SleepyState, config: dict[str, Any]) -> dict[str, Any]:
    marks = Path(os.environ["TEMPOGRAPH_TEST_MARKS"])
    thread = config["configurable"]["thread_id"]
    (marks / f"{thread}.start.{os.getpid()}").touch()
    time.sleep(SLEEP)
    (marks / f"{thread}.done.{os.getpid()}").touch()
    return {"n": state.get("n", 0) + 1}


def build_sleepy() -> CompiledGraph:
    g = StateGraph(SleepyState)
    g.add_node("sleepy", sleepy)  # default options: what the test checks
    g.add_edge(START, "sleepy")
    g.add_edge("sleepy", END)
    return g.compile()


async def main() -> None:
    client = await connect(os.environ["TEMPORAL_ADDRESS"])
    task_queue = os.environ["TEMPOGRAPH_TASK_QUEUE"]
    async with create_worker(client, {"sleepy": build_sleepy()}, task_queue=task_queue):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
