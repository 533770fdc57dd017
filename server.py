"""Serve the graphs in graphs/ over the LangGraph Agent Server HTTP API (port 2024, like
`langgraph dev`), so the `langgraph-sdk` client works against them unchanged.

python server.py                # needs `python worker.py` running (same task queue)
python server.py --with-worker  # also runs the worker in this process

Temporal: TEMPORAL_ADDRESS if set, else a dev server on localhost:7233, else the embedded one.
Environment: PORT (2024), HOST (127.0.0.1), TEMPOGRAPH_TASK_QUEUE (tempograph),
TEMPOGRAPH_API_TOKEN (when set, requests need `x-api-key: <token>` or
`Authorization: Bearer <token>`; the SDK sends x-api-key from LANGGRAPH_API_KEY; set but empty
refuses to start). Without a token on a non-loopback host, a warning is logged.
Limits (tempograph/http/serving.py): TEMPOGRAPH_MAX_BODY_BYTES (4 MiB), TEMPOGRAPH_HEADER_TIMEOUT
(10 s), TEMPOGRAPH_BODY_TIMEOUT (30 s), TEMPOGRAPH_KEEP_ALIVE_TIMEOUT (5 s),
TEMPOGRAPH_MAX_CONNECTIONS (1000), TEMPOGRAPH_CACHE_SIZE (10000); on a loopback host the Host
header must be localhost, 127.0.0.1 or ::1 (DNS rebinding), or one of TEMPOGRAPH_ALLOWED_HOSTS
(comma-separated; "*" allows any).

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
import sys

import structlog
import uvicorn

from graphs import GRAPHS
from tempograph import DEFAULT_TASK_QUEUE, GraphClient, create_worker
from tempograph.embedded import temporal_client
from tempograph.http import create_app
from tempograph.http.serving import HttpSettings, is_loopback, server_config
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


class ConfigError(SystemExit):
    """The server refuses to start: the message says what to fix."""


def api_token(environ: dict[str, str] | os._Environ[str]) -> str | None:
    """TEMPOGRAPH_API_TOKEN: unset means no authentication; set but empty is a mistake (a
    secret that failed to load), not a request to turn authentication off."""
    token = environ.get("TEMPOGRAPH_API_TOKEN")
    if token is None:
        return None
    if not token.strip():
        raise ConfigError(
            "TEMPOGRAPH_API_TOKEN is set but empty: refusing to start without authentication. "
            "Set a non-empty token, or unset the variable to serve without one."
        )
    return token


def check_exposure(host: str, token: str | None) -> None:
    """Log loudly when the API is reachable from other machines with no token."""
    if token is None and not is_loopback(host):
        log.warning(
            "NO AUTHENTICATION on a non-loopback address: anyone who can reach "
            f"{host} can run, read and delete threads. Set TEMPOGRAPH_API_TOKEN.",
            host=host,
        )


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging(os.environ.get("TEMPOGRAPH_LOG_LEVEL", "INFO"))
    task_queue = os.environ.get("TEMPOGRAPH_TASK_QUEUE", DEFAULT_TASK_QUEUE)
    try:
        token = api_token(os.environ)
        settings = HttpSettings.from_env(bind_host=args.host)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    check_exposure(args.host, token)
    async with temporal_client() as client:
        app = create_app(
            GraphClient(client, task_queue=task_queue), sorted(GRAPHS), token, settings=settings
        )
        server = uvicorn.Server(
            server_config(app, host=args.host, port=args.port, settings=settings)
        )
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
                allowed_hosts=settings.allowed_hosts,
                max_body_bytes=settings.max_body_bytes,
            )
            await server.serve()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except ConfigError as exc:
        print(f"server.py: {exc}", file=sys.stderr)
        sys.exit(2)
