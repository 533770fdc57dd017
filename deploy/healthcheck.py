"""The container's health check (Dockerfile HEALTHCHECK; compose uses it). Exit 0 when healthy.

Every process of the image serves the Temporal SDK's Prometheus metrics on
TEMPOGRAPH_METRICS_ADDRESS (the runtime's endpoint is up once the process has connected to
Temporal); the HTTP API server (python server.py / tempograph serve, found in PID 1's command
line) must also answer GET /ok on PORT. Standard library only: the image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def urls(environ: dict[str, str], command: str) -> list[str]:
    found = []
    metrics = environ.get("TEMPOGRAPH_METRICS_ADDRESS", "")
    if metrics:
        port = metrics.rpartition(":")[2]
        found.append(f"http://127.0.0.1:{port}/metrics")
    if "server.py" in command or " serve" in command or " dev" in command:
        found.append(f"http://127.0.0.1:{environ.get('PORT', '2024')}/ok")
    return found


def main() -> int:
    try:
        command = Path("/proc/1/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        command = " ".join(sys.argv[1:])
    checked = urls(dict(os.environ), command)
    if not checked:
        print("nothing to check: set TEMPOGRAPH_METRICS_ADDRESS", file=sys.stderr)
        return 1
    for url in checked:
        try:
            with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 (local)
                if response.status != 200:
                    print(f"{url}: {response.status}", file=sys.stderr)
                    return 1
        except OSError as exc:
            print(f"{url}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
