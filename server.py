"""Serve the graphs in graphs/ over the LangGraph Agent Server HTTP API (port 2024, like
`langgraph dev`), so the `langgraph-sdk` client works against them unchanged.

python server.py                # needs `python worker.py` running (same task queue)
python server.py --with-worker  # also runs the worker in this process

Temporal: TEMPORAL_ADDRESS if set, else a dev server on localhost:7233, else the embedded one.
Environment: PORT (2024), HOST (127.0.0.1), TEMPOGRAPH_TASK_QUEUE (tempograph),
TEMPOGRAPH_API_TOKEN (when set, requests need `x-api-key: <token>` or
`Authorization: Bearer <token>`; the SDK sends x-api-key from LANGGRAPH_API_KEY).

    from langgraph_sdk import get_client
    client = get_client(url="http://127.0.0.1:2024")
    thread = await client.threads.create()
    out = await client.runs.wait(thread["thread_id"], "approval", input={"action": "deploy"})
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os

import structlog
import uvicorn

from graphs import GRAPHS
from tempograph import DEFAULT_TASK_QUEUE, GraphClient, create_worker
from tempograph.embedded import temporal_client
from tempograph.http import create_app
from tempograph.logs import configure_logging

log = structlog.get_logger("tempograph.server")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "2024")))
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="also run a worker for the graphs in this process",
    )
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging(os.environ.get("TEMPOGRAPH_LOG_LEVEL", "INFO"))
    task_queue = os.environ.get("TEMPOGRAPH_TASK_QUEUE", DEFAULT_TASK_QUEUE)
    token = os.environ.get("TEMPOGRAPH_API_TOKEN") or None
    async with temporal_client() as client:
        app = create_app(GraphClient(client, task_queue=task_queue), sorted(GRAPHS), token)
        server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port))
        async with contextlib.AsyncExitStack() as stack:
            if args.with_worker:
                await stack.enter_async_context(
                    create_worker(client, GRAPHS, task_queue=task_queue)
                )
            log.info(
                "serving the Agent Server API",
                url=f"http://{args.host}:{args.port}",
                graphs=sorted(GRAPHS),
                task_queue=task_queue,
                worker=args.with_worker,
                auth=token is not None,
            )
            await server.serve()


if __name__ == "__main__":
    asyncio.run(main())
