"""Serve the example graphs in graphs/ on task queue `tempograph`.

python worker.py            # TEMPORAL_ADDRESS if set, else the embedded dev server (UI :8233)
"""

from __future__ import annotations

import asyncio
import os
import signal

import structlog

from graphs import GRAPHS
from tempograph import DEFAULT_TASK_QUEUE, create_worker
from tempograph.embedded import temporal_client
from tempograph.logs import configure_logging

log = structlog.get_logger("tempograph.worker")


async def main() -> None:
    configure_logging(os.environ.get("TEMPOGRAPH_LOG_LEVEL", "INFO"))
    task_queue = os.environ.get("TEMPOGRAPH_TASK_QUEUE", DEFAULT_TASK_QUEUE)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with temporal_client() as client:
        async with create_worker(client, GRAPHS, task_queue=task_queue):
            log.info("worker ready", task_queue=task_queue, graphs=sorted(GRAPHS))
            print("ready", flush=True)  # tests and scripts wait for this line
            await stop.wait()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
