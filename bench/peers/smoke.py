"""Smoke test: every peer driver, every op once, through PeerProcess.

    .venv/bin/python -m bench.peers.smoke --address 127.0.0.1:7233 [--peers NAME ...]

Needs a running Temporal server at --address for the Temporal peers. Prints each reply and exits
non-zero if any reply is an error other than an expected "unsupported" one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bench.peers.client import DISPLAY_NAMES, PEERS, TEMPORAL_PEERS, PeerProcess


def show(label: str, reply: dict[str, Any]) -> None:
    print(f"  {label:<18} {json.dumps(reply, default=str)}", flush=True)


async def smoke(name: str, address: str, namespace: str) -> list[str]:
    """Run every op once against one peer; return the failures."""
    failures: list[str] = []
    print(f"{DISPLAY_NAMES[name]}", flush=True)
    t0 = time.perf_counter()
    async with PeerProcess() as peer:
        ready = await peer.start(name, address, namespace)
        show(f"ready {time.perf_counter() - t0:.1f}s", ready)
        ids: dict[str, str] = {}
        commands: list[dict[str, Any]] = [
            {"op": "linear", "n": 1},
            {"op": "linear", "n": 10},
            {"op": "linear", "n": 50},
            {"op": "fanout", "width": 8},
            {"op": "hitl"},
            {"op": "throughput", "n": 5},
        ]
        for cmd in commands:
            label = " ".join(str(v) for v in cmd.values())
            reply = await peer.call(**cmd)
            show(label, reply)
            if "error" in reply:
                failures.append(f"{name} {label}: {reply['error']}")
            elif cmd["op"] == "throughput":
                if len(reply["start_ms"]) != cmd["n"] or len(reply["resume_ms"]) != cmd["n"]:
                    failures.append(f"{name} {label}: not {cmd['n']} runs timed: {reply}")
            else:
                ids[label] = reply["id"]
        for label in ("linear 10", "fanout 8", "hitl"):
            if label not in ids:
                continue
            reply = await peer.call(op="history", id=ids[label])
            show(f"history {label}", reply)
            expected_unsupported = name not in TEMPORAL_PEERS and str(
                reply.get("error", "")
            ).startswith("unsupported:")
            if "error" in reply and not expected_unsupported:
                failures.append(f"{name} history {label}: {reply['error']}")
        code = await peer.close()
        if code != 0:
            failures.append(f"{name}: driver exited with {code}")
    return failures


async def amain(args: argparse.Namespace) -> int:
    failures: list[str] = []
    for name in args.peers:
        try:
            failures += await smoke(name, args.address, args.namespace)
        except Exception as e:  # a broken driver must not hide the others' results
            failures.append(f"{name}: {type(e).__name__}: {e}")
            print(f"  FAILED: {type(e).__name__}: {e}", flush=True)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print("smoke: ok" if not failures else f"smoke: {len(failures)} failure(s)")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description="Run every peer driver op once.")
    parser.add_argument("--address", default="127.0.0.1:7233")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--peers", nargs="+", choices=PEERS, default=list(PEERS))
    sys.exit(asyncio.run(amain(parser.parse_args())))


if __name__ == "__main__":
    main()
