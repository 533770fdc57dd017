"""Peer driver: plain in-process LangGraph with its SQLite checkpointer, no Temporal.

    <venv>/bin/python bench/peers/driver_langgraph_sqlite.py [--durability sync|async|exit]

Runs in its own venv (bench/peers/requirements-langgraph-sqlite.txt) and imports nothing from
the repo. Every graph is compiled with one `AsyncSqliteSaver` on a file in a temporary directory
and run with `ainvoke` on a fresh thread id: the non-durable-service reference (state survives in
SQLite, but nothing re-drives a run whose process died). `--address`/`--namespace` are accepted
and ignored so every driver takes the same command line. After a `{"ready": true, ...}` line it
serves JSON-lines commands on stdin, one reply line per command (see bench/peers/README.md). All
logging goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command
from peer_graphs import Graph, fanout_graph, hitl_graph, linear_graph
from peer_protocol import concurrent_runs, ms_since, protocol_stdout, reply, serve

PACKAGES = (
    "langgraph",
    "langgraph-checkpoint",
    "langgraph-checkpoint-sqlite",
    "aiosqlite",
    "langchain-core",
)

log = logging.getLogger("peer.langgraph-sqlite")

Durability = Literal["sync", "async", "exit"]


class Driver:
    def __init__(self, saver: AsyncSqliteSaver, durability: Durability | None) -> None:
        self.saver = saver
        self.durability = durability
        self._graphs: dict[str, CompiledStateGraph[Any, Any, Any, Any]] = {}

    def graph(
        self, name: str, build: Callable[[], Graph]
    ) -> CompiledStateGraph[Any, Any, Any, Any]:
        if name not in self._graphs:
            self._graphs[name] = build().compile(checkpointer=self.saver, name=name)
        return self._graphs[name]

    def config(self, thread_id: str, steps: int = 25) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": max(25, steps + 5)}

    async def linear_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        n = int(cmd["n"])
        app = self.graph(f"linear{n}", lambda: linear_graph(n))
        thread_id = f"peer-sq-linear{n}-{uuid.uuid4().hex[:12]}"
        t0 = time.perf_counter()
        result = await app.ainvoke({"i": 0}, self.config(thread_id, n), durability=self.durability)
        ms = ms_since(t0)
        if result["i"] != n:
            raise AssertionError(f"expected i={n}, got {result}")
        return {"ms": ms, "id": thread_id}

    async def fanout_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        width = int(cmd.get("width", 8))
        app = self.graph(f"fanout{width}", lambda: fanout_graph(width))
        thread_id = f"peer-sq-fanout{width}-{uuid.uuid4().hex[:12]}"
        t0 = time.perf_counter()
        result = await app.ainvoke(
            {"out": [], "seen": 0}, self.config(thread_id), durability=self.durability
        )
        ms = ms_since(t0)
        if result["seen"] != width or sorted(result["out"]) != list(range(width)):
            raise AssertionError(f"join saw {result}")
        return {"ms": ms, "id": thread_id}

    async def hitl_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        app = self.graph("hitl", hitl_graph)
        thread_id = f"peer-sq-hitl-{uuid.uuid4().hex[:12]}"
        config = self.config(thread_id)
        kw: dict[str, Any] = {"version": "v2", "durability": self.durability}
        first = await app.ainvoke({"answers": []}, config, **kw)
        if [i.value for i in first.interrupts] != [{"q": "first?"}]:
            raise AssertionError(f"first interrupt: {first}")
        t0 = time.perf_counter()
        second = await app.ainvoke(Command(resume="a1"), config, **kw)
        ms1 = ms_since(t0)
        if [i.value for i in second.interrupts] != [{"q": "second?"}]:
            raise AssertionError(f"second interrupt: {second}")
        t0 = time.perf_counter()
        final = await app.ainvoke(Command(resume="a2"), config, **kw)
        ms2 = ms_since(t0)
        if final.interrupts or final.value != {"answers": ["a1", "a2"]}:
            raise AssertionError(f"final: {final}")
        return {"resume_ms": [ms1, ms2], "id": thread_id}

    async def history_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return {"error": "unsupported: no Temporal history"}

    async def throughput_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """n runs of START -> ask1 -> END at once, each ainvoke to its interrupt, then
        ainvoke(Command(resume=...)) to the end, all on the one checkpointer."""
        app = self.graph("hitl1", lambda: hitl_graph(asks=1))
        kw: dict[str, Any] = {"version": "v2", "durability": self.durability}

        async def one(thread_id: str) -> tuple[float, float]:
            config = self.config(thread_id)
            t0 = time.perf_counter()
            first = await app.ainvoke({"answers": []}, config, **kw)
            start_ms = ms_since(t0)
            if [i.value for i in first.interrupts] != [{"q": "first?"}]:
                raise AssertionError(f"first interrupt: {first}")
            t0 = time.perf_counter()
            final = await app.ainvoke(Command(resume="a1"), config, **kw)
            resume_ms = ms_since(t0)
            if final.interrupts or final.value != {"answers": ["a1"]}:
                raise AssertionError(f"final: {final}")
            return start_ms, resume_ms

        return await concurrent_runs(int(cmd["n"]), "peer-sq-tp", one)


async def amain(args: argparse.Namespace) -> None:
    out = protocol_stdout()
    with tempfile.TemporaryDirectory(prefix="peer-langgraph-sqlite-") as tmp:
        db = Path(tmp) / "checkpoints.sqlite"
        async with AsyncSqliteSaver.from_conn_string(str(db)) as saver:
            await saver.setup()
            driver = Driver(saver, args.durability)
            reply(out, {"ready": True, "versions": {p: version(p) for p in PACKAGES}})
            await serve(
                out,
                {
                    "linear": driver.linear_op,
                    "fanout": driver.fanout_op,
                    "hitl": driver.hitl_op,
                    "history": driver.history_op,
                    "throughput": driver.throughput_op,
                },
                log,
            )
    log.info("closed checkpointer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="ignored (no Temporal)")
    parser.add_argument("--namespace", help="ignored (no Temporal)")
    parser.add_argument(
        "--durability",
        choices=("sync", "async", "exit"),
        default=None,
        help="LangGraph checkpoint durability (default: LangGraph's own, 'async')",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
