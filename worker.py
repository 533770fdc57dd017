"""Serve the example graphs in graphs/ on task queue `tempograph` (TEMPOGRAPH_TASK_QUEUE).

python worker.py    # TEMPORAL_ADDRESS if set, else the embedded dev server (UI :8233)

This is `tempograph worker` with the graphs registered here; for your own project, point
`tempograph worker --graph NAME=module_or_path:attr` (or a langgraph.json) at your graphs.
"""

from __future__ import annotations

import sys

from graphs import GRAPHS
from tempograph.cli import main

if __name__ == "__main__":
    main(["worker", *sys.argv[1:]], prog="python worker.py", graphs=GRAPHS)
