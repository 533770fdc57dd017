"""Serve the example graphs in graphs/ on task queue `tempograph` (TEMPOGRAPH_TASK_QUEUE).

python worker.py    # TEMPORAL_ADDRESS if set, else the embedded dev server (UI :8233)

Temporal Cloud or any TLS server: the `temporal` CLI's variables (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY or TEMPORAL_TLS_CLIENT_CERT_PATH/_KEY_PATH,
TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME) or a TOML profile
(TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE): tempograph/connection.py. Encrypted payloads:
TEMPOGRAPH_ENCRYPTION_KEYS (the same keys in every worker, server and CLI): tempograph/codec.py.

This is `tempograph worker` with the graphs registered here; for your own project, point
`tempograph worker --graph NAME=module_or_path:attr` (or a langgraph.json) at your graphs.
"""

from __future__ import annotations

import sys

from graphs import GRAPHS
from tempograph.cli import main

if __name__ == "__main__":
    main(["worker", *sys.argv[1:]], prog="python worker.py", graphs=GRAPHS)
