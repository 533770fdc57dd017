"""The engine is pure: importing it loads no temporalio (it runs in and out of workflows)."""

from __future__ import annotations

import subprocess
import sys


def test_engine_imports_no_temporalio() -> None:
    code = (
        "import sys\n"
        "import tempograph._engine, tempograph._engine.channels, tempograph._engine.statedelta\n"
        "import tempograph.channels, tempograph.reducers, tempograph.statedelta\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'temporalio')\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_old_import_paths_still_work() -> None:
    from tempograph import channels, reducers, statedelta
    from tempograph._engine import channels as engine_channels
    from tempograph._engine import statedelta as engine_delta

    assert channels.apply_grouped is engine_channels.apply_grouped
    assert statedelta.diff is engine_delta.diff
    assert reducers.add_messages([], [{"id": 1}]) == [{"id": 1}]
