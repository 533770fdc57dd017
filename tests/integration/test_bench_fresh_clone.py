"""The benchmark's peers start from a fresh clone (issue 16: `make bench` on a fresh clone ran
none of them, because the driver's log was opened before bench/.venvs existed).

`git clone` of this repository (its committed HEAD) into a temporary folder, then the peers'
smoke check (`python -m bench.peers.smoke`, every driver op once) run from the clone against
the session's Temporal server: the peer's venv is built from its requirements file with pip
(PyPI, or pip's cache), the driver starts, every op answers. ~1 minute for one peer, so the
default suite runs one Temporal peer, temporalio-langgraph (the one in the issue's error);
TEMPOGRAPH_TEST_ALL_PEERS=1 runs every peer (~3 minutes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SessionServer

REPO = Path(__file__).resolve().parents[2]
ALL_PEERS = ("temporalio-langgraph", "langgraph-temporal", "langgraph-sqlite")
PEERS = ALL_PEERS if os.environ.get("TEMPOGRAPH_TEST_ALL_PEERS") == "1" else ALL_PEERS[:1]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def test_peers_smoke_from_a_fresh_clone(server: SessionServer, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    assert not (clone / "bench" / ".venvs").exists()  # ignored by git: as on a fresh machine

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        # -m from the clone's folder: its own bench package, not this checkout's.
        [sys.executable, "-m", "bench.peers.smoke", "--address", server.address]
        + ["--peers", *PEERS],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    assert done.stdout.strip().endswith("smoke: ok"), report
    for name in PEERS:
        venv = clone / "bench" / ".venvs" / name
        # Built in the clone, from the requirements file (the stamp is its hash), and logged.
        assert (venv / "bin" / "python").exists(), report
        assert (venv / ".requirements.sha256").read_text().strip(), report
        assert (clone / "bench" / ".venvs" / f"{name}.log").is_file(), report
    # Every op of each peer answered (smoke prints one line per reply).
    for op in ("linear 1", "linear 50", "fanout 8", "hitl", "throughput 5"):
        assert done.stdout.count(f"  {op} ") >= len(PEERS), report
