"""Serve the graphs in graphs/ over the LangGraph Agent Server HTTP API (port 2024, like
`langgraph dev`), so the `langgraph-sdk` client works against them unchanged.

python server.py                # needs `python worker.py` running (same task queue)
python server.py --with-worker  # also runs the worker in this process

This is `tempograph serve` with the graphs registered here (`tempograph serve --help` lists the
options). Temporal: TEMPORAL_ADDRESS (or a TOML profile) if set, else a dev server on
localhost:7233, else the embedded one; TLS, mTLS and API keys from TEMPORAL_TLS_* and
TEMPORAL_API_KEY as for the `temporal` CLI (tempograph/connection.py). With
TEMPOGRAPH_ENCRYPTION_KEYS (tempograph/codec.py) payloads are encrypted and /codec serves
Temporal's codec server protocol for the UI (TEMPOGRAPH_CODEC_CORS_ORIGINS: its origins).
Environment: PORT (2024), HOST (127.0.0.1), TEMPOGRAPH_TASK_QUEUE (tempograph),
TEMPOGRAPH_API_TOKEN (when set, requests need `x-api-key: <token>` or
`Authorization: Bearer <token>`; the SDK sends x-api-key from LANGGRAPH_API_KEY; set but empty
refuses to start). Without a token on a non-loopback host, a warning is logged.
Limits (tempograph/http/serving.py): TEMPOGRAPH_MAX_BODY_BYTES (4 MiB), TEMPOGRAPH_HEADER_TIMEOUT
(10 s), TEMPOGRAPH_BODY_TIMEOUT (30 s), TEMPOGRAPH_KEEP_ALIVE_TIMEOUT (75 s),
TEMPOGRAPH_MAX_CONNECTIONS (1000), TEMPOGRAPH_CACHE_SIZE (10000); on a loopback host the Host
header must be localhost, 127.0.0.1 or ::1 (DNS rebinding), or one of TEMPOGRAPH_ALLOWED_HOSTS
(comma-separated; "*" allows any).

    from langgraph_sdk import get_client
    client = get_client(url="http://127.0.0.1:2024")
    thread = await client.threads.create()
    out = await client.runs.wait(thread["thread_id"], "approval", input={"action": "deploy"})
"""

from __future__ import annotations

import sys

from graphs import GRAPHS
from tempograph.cli import ConfigError, api_token, check_exposure, main

__all__ = ["ConfigError", "api_token", "check_exposure"]

if __name__ == "__main__":
    main(["serve", *sys.argv[1:]], prog="python server.py", graphs=GRAPHS)
