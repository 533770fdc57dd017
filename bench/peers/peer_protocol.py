"""The drivers' side of the JSON-lines protocol (bench/peers/README.md). Stdlib only: every
peer venv imports it (drivers run as scripts, so this folder is on their sys.path)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

Op = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def protocol_stdout() -> TextIO:
    """Keep the real stdout for replies and point fd 1 at stderr, so no stray print (ours, a
    library's, or native code's) can corrupt the protocol."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def reply(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


async def serve(out: TextIO, ops: dict[str, Op], log: logging.Logger) -> None:
    """Answer JSON-lines commands from stdin, one reply line each, until quit or EOF."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            op = cmd.get("op")
            if op == "quit":
                return
            handler = ops.get(op)
            answer = await handler(cmd) if handler else {"error": f"unsupported: unknown op {op!r}"}
        except Exception as e:
            log.exception("command failed: %s", line.strip())
            answer = {"error": f"{type(e).__name__}: {e}"}
        reply(out, answer)


async def concurrent_runs(
    n: int, prefix: str, one: Callable[[str], Awaitable[tuple[float, float]]]
) -> dict[str, Any]:
    """The `throughput` op's reply: launch `n` runs at once (`one(run_id)` starts a run, waits
    for its pause, resumes it and waits for its end, returning the ms of the start and of the
    resume) and time the whole batch."""
    ids = [f"{prefix}-{uuid.uuid4().hex[:12]}" for _ in range(n)]
    t0 = time.perf_counter()
    timed = await asyncio.gather(*(one(run_id) for run_id in ids))
    wall_s = time.perf_counter() - t0
    return {
        "wall_s": wall_s,
        "start_ms": [s for s, _ in timed],
        "resume_ms": [r for _, r in timed],
    }
