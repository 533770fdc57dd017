"""Virtual environments for the peer drivers, one per peer, under bench/.venvs/<name>.

    python -m bench.peers.envs [NAME ...] [--force]

Each peer's dependencies (their own temporalio, langgraph, protobuf, ...) may clash with ours, so
each driver runs on its own interpreter. `ensure_env` builds a venv from
bench/peers/requirements-<name>.txt and stamps it with a hash of that file and the Python
version; later calls return at once while the stamp matches. Stdlib only: it is imported from
the main venv.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".venvs"
NAMES = ("temporalio-langgraph", "langgraph-temporal", "langgraph-sqlite")
STAMP = ".requirements.sha256"


def requirements_file(name: str) -> Path:
    if name not in NAMES:
        raise ValueError(f"unknown peer {name!r}; expected one of {NAMES}")
    return HERE / f"requirements-{name}.txt"


def driver_script(name: str) -> Path:
    requirements_file(name)  # validates the name
    return HERE / f"driver_{name.replace('-', '_')}.py"


def env_dir(name: str) -> Path:
    requirements_file(name)
    return VENVS / name


def env_python(name: str) -> Path:
    return env_dir(name) / "bin" / "python"


def log_file(name: str) -> Path:
    """Where pip output (from ensure_env via PeerProcess) and the driver's stderr go."""
    return VENVS / f"{name}.log"


def _digest(name: str) -> str:
    h = hashlib.sha256(requirements_file(name).read_bytes())
    h.update(f"python {sys.version_info.major}.{sys.version_info.minor}".encode())
    return h.hexdigest()


def is_current(name: str) -> bool:
    stamp = env_dir(name) / STAMP
    return (
        env_python(name).exists() and stamp.exists() and stamp.read_text().strip() == _digest(name)
    )


def ensure_env(name: str, *, force: bool = False, output: IO[bytes] | None = None) -> Path:
    """Create or refresh the venv for peer `name` and return its directory.

    A missing or stale stamp rebuilds the venv from scratch (`venv --clear`), so packages dropped
    from the requirements do not linger. `output` receives venv/pip output (default: inherited).
    A file lock serialises concurrent callers.
    """
    venv = env_dir(name)
    VENVS.mkdir(parents=True, exist_ok=True)
    with open(VENVS / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_current(name):
            return venv
        (venv / STAMP).unlink(missing_ok=True)
        run = [sys.executable, "-m", "venv", "--clear", str(venv)]
        subprocess.run(run, check=True, stdout=output, stderr=output)
        pip = [str(env_python(name)), "-m", "pip", "install", "--disable-pip-version-check"]
        pip += ["--quiet", "-r", str(requirements_file(name))]
        subprocess.run(pip, check=True, stdout=output, stderr=output)
        (venv / STAMP).write_text(_digest(name) + "\n")
    return venv


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the peer drivers' virtual environments.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {NAMES}")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    for name in set(args.names) - set(NAMES):
        parser.error(f"unknown peer {name!r}; expected one of {NAMES}")
    for name in args.names or NAMES:
        state = "rebuilding" if args.force or not is_current(name) else "up to date"
        print(f"{name}: {state}", flush=True)
        venv = ensure_env(name, force=args.force)
        print(f"{name}: {venv}", flush=True)


if __name__ == "__main__":
    main()
