"""A worker process for tests/langgraph/test_agent_recovery.py: serves LangChain's create_agent
with HumanInTheLoopMiddleware (tests/langgraph/lg_graphs.py), unchanged, as `hitl_agent`.

    TEMPORAL_ADDRESS=... TEMPOGRAPH_TASK_QUEUE=... python -m tests.langgraph.agent_worker
"""

from __future__ import annotations

import asyncio
import os

from tempograph import connect, create_worker
from tests.langgraph.lg_graphs import build_hitl_agent


async def main() -> None:
    client = await connect(os.environ["TEMPORAL_ADDRESS"])
    task_queue = os.environ["TEMPOGRAPH_TASK_QUEUE"]
    async with create_worker(client, {"hitl_agent": build_hitl_agent()}, task_queue=task_queue):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
