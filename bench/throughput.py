"""Throughput under concurrency: N runs at once, each start -> pause -> resume -> end.

    .venv/bin/python -m bench.run --scenarios throughput            # in the full benchmark
    .venv/bin/python -m bench.throughput --n 500 --systems tempograph,floor \\
        --worker-options '{"max_concurrent_workflow_tasks": 200}'   # one setting, alone

The graph is `START -> ask0 (interrupt) -> END` (`asks_1`, as at paused scale). A run is one
start that returns at the pause, then one resume that returns with the final values; the N runs
of a batch are all launched at once. Per batch: runs/s (N over the wall time from the first
start to the last end) and each run's latency (its start call to its final values), split into
the start and the resume. The systems:

- `tempograph`: `GraphClient.invoke` then `GraphClient.resume` from this process, the worker in
  a process of its own (`bench.scale_worker`, create_worker's defaults unless
  `worker_options`), as deployed: no eager start;
- `tempograph-http`: the same worker, driven over the Agent Server HTTP API: `tempograph serve`
  (the production command, its defaults) in a process of its own, and langgraph-sdk's
  `runs.wait` twice per run (`if_not_exists="create"`, then `command={"resume": ...}`), on an
  httpx client without a connection cap (the SDK's default pool of 100 connections would
  queue the runs in the client);
- `floor`: the hand-written FloorHitlWorkflow (bench/floor.py: the same activities), its worker
  in a process of its own with the same cache size: update-with-start until parked, then the
  `answer` update until the end;
- the peers (bench/peers): the driver runs the N runs inside its own process (client and worker
  together, as its other ops do) and times them the same way.

CPU seconds of every process involved (this one, the workers, the HTTP server, the Temporal
server, a peer's driver) are sampled around each batch: where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import Any

import httpx
import psutil
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client, WorkflowHandle

from bench import graphs
from bench.common import ThroughputBatch, free_port, median, new_id, percentile, quiet_logs
from bench.floor import FloorHitlWorkflow
from bench.scale import REPO, WorkerProcess
from bench.scale_worker import SCALE_GRAPH
from bench.systems import OP_TIMEOUT, Peer, start_parked_floor
from tempograph import GraphClient, connect

# `tempograph serve --graph asks_1=bench.throughput:GRAPH` serves this one.
GRAPH = graphs.asks(1, local=False)
SIZES = (100, 500)
MAX_CACHED = 1000  # create_worker's default, for both workers
BATCH_TIMEOUT = 900.0  # seconds for a whole batch
LABELS = {
    "tempograph": "Tempograph (GraphClient)",
    "tempograph-http": "Tempograph (HTTP API, langgraph-sdk)",
    "floor": "Floor (hand-written workflow)",
}


# ---------------------------------------------------------------------------------------------
# Systems.
# ---------------------------------------------------------------------------------------------


class Target:
    """One system: `batch(n)` launches n runs at once and times them."""

    key: str
    label: str

    def processes(self) -> dict[str, int]:
        """Processes whose CPU this system spends, by role (besides this one and the server)."""
        return {}

    async def batch(self, n: int) -> ThroughputBatch:
        raise NotImplementedError


class LocalTarget(Target):
    """Runs timed in this process: one coroutine per run, all launched at once."""

    async def one(self, run_id: str) -> tuple[float, float]:
        """Start (until paused) and resume (until the end); milliseconds of each."""
        raise NotImplementedError

    async def batch(self, n: int) -> ThroughputBatch:
        ids = [new_id(f"tp-{self.key}") for _ in range(n)]
        t0 = time.perf_counter()
        # A TaskGroup: one failed run cancels the rest, instead of leaving them to load the
        # next batches.
        async with asyncio.timeout(BATCH_TIMEOUT), asyncio.TaskGroup() as group:
            tasks = [group.create_task(asyncio.wait_for(self.one(i), OP_TIMEOUT)) for i in ids]
        wall = time.perf_counter() - t0
        timed = [t.result() for t in tasks]
        return ThroughputBatch(n, wall, [s for s, _ in timed], [r for _, r in timed])


async def timed(call: Awaitable[Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = await call
    return (time.perf_counter() - t0) * 1000.0, out


class TempographTarget(LocalTarget):
    key, label = "tempograph", LABELS["tempograph"]

    def __init__(self, client: Client, task_queue: str, worker: WorkerProcess) -> None:
        # No worker of this task queue in this process: eager start would not apply anyway.
        self.gc = GraphClient(client, task_queue=task_queue, eager_start=False)
        self.worker = worker

    def processes(self) -> dict[str, int]:
        return {"worker": self.worker.pid}

    async def one(self, run_id: str) -> tuple[float, float]:
        start_ms, out = await timed(self.gc.invoke(SCALE_GRAPH, {"answers": []}, thread_id=run_id))
        assert [i.value for i in out["__interrupt__"]] == [{"q": "q0"}], out
        resume_ms, out = await timed(self.gc.resume(run_id, "yes"))
        assert out == {"answers": ["yes"]}, out
        return start_ms, resume_ms


class HttpTarget(LocalTarget):
    key, label = "tempograph-http", LABELS["tempograph-http"]

    def __init__(self, server: HttpServerProcess, worker: WorkerProcess) -> None:
        self.server = server
        self.worker = worker
        transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=None))
        self.http = httpx.AsyncClient(
            base_url=server.url,
            transport=transport,
            timeout=httpx.Timeout(OP_TIMEOUT, connect=30.0, pool=None),
        )
        self.sdk = LangGraphClient(self.http)

    def processes(self) -> dict[str, int]:
        return {"worker": self.worker.pid, "http server": self.server.pid}

    async def one(self, run_id: str) -> tuple[float, float]:
        # A new thread id per run (a UUID, as the Agent Server wants), created by the first
        # runs.wait (as the SDK's users do); `run_id` is not one.
        thread_id = str(uuid.uuid4())
        start_ms, out = await timed(
            self.sdk.runs.wait(
                thread_id, SCALE_GRAPH, input={"answers": []}, if_not_exists="create"
            )
        )
        assert isinstance(out, dict), out
        assert [i["value"] for i in out["__interrupt__"]] == [{"q": "q0"}], out
        resume_ms, out = await timed(
            self.sdk.runs.wait(thread_id, SCALE_GRAPH, command={"resume": "yes"})
        )
        assert out == {"answers": ["yes"]}, out
        return start_ms, resume_ms

    async def close(self) -> None:
        await self.http.aclose()


class FloorTarget(LocalTarget):
    key, label = "floor", LABELS["floor"]

    def __init__(self, client: Client, task_queue: str, worker: WorkerProcess) -> None:
        self.client = client
        self.task_queue = task_queue
        self.worker = worker

    def processes(self) -> dict[str, int]:
        return {"worker": self.worker.pid}

    async def one(self, run_id: str) -> tuple[float, float]:
        start_ms, _ = await timed(
            start_parked_floor(self.client, run_id, self.task_queue, questions=1)
        )
        handle: WorkflowHandle[Any, Any] = self.client.get_workflow_handle(run_id)
        resume_ms, done = await timed(handle.execute_update(FloorHitlWorkflow.answer, "yes"))
        assert done is True, done
        return start_ms, resume_ms


class PeerTarget(Target):
    """A peer driver's `throughput` op: the driver launches and times the N runs itself."""

    def __init__(self, peer: Peer) -> None:
        self.peer_system = peer
        self.key, self.label = peer.key, peer.label

    def processes(self) -> dict[str, int]:
        pid = self.peer_system.process.pid
        return {"driver": pid} if pid is not None else {}

    async def batch(self, n: int) -> ThroughputBatch:
        reply = await self.peer_system.throughput(n, BATCH_TIMEOUT)
        got = ThroughputBatch(
            n,
            float(reply["wall_s"]),
            [float(x) for x in reply["start_ms"]],
            [float(x) for x in reply["resume_ms"]],
        )
        assert len(got.start_ms) == len(got.resume_ms) == n, reply
        return got


# ---------------------------------------------------------------------------------------------
# The HTTP server process.
# ---------------------------------------------------------------------------------------------


class HttpServerProcess:
    """`tempograph serve` (no worker) for GRAPH on a free port, with the production defaults;
    `env` adds settings (TEMPOGRAPH_MAX_CONNECTIONS, TEMPOGRAPH_HTTP_LOG_LEVEL, ...)."""

    def __init__(self, address: str, task_queue: str, env: dict[str, str] | None = None) -> None:
        self.address = address
        self.task_queue = task_queue
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: asyncio.subprocess.Process | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self._drains: list[asyncio.Task[None]] = []

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> None:
        env = {**os.environ, "TEMPORAL_ADDRESS": self.address, **self.env}
        env.pop("TEMPOGRAPH_API_TOKEN", None)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tempograph.cli",
            "serve",
            "--graph",
            f"{SCALE_GRAPH}=bench.throughput:GRAPH",
            "--port",
            str(self.port),
            "--task-queue",
            self.task_queue,
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        ready = asyncio.get_running_loop().create_future()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        # Both pipes are read for the life of the server: a full pipe (access logs) would block it.
        self._drains = [
            asyncio.create_task(self._drain(self.proc.stdout, ready)),
            asyncio.create_task(self._drain(self.proc.stderr, None)),
        ]
        try:
            await asyncio.wait_for(asyncio.shield(ready), 60)
        except TimeoutError:
            await self.close()
            raise RuntimeError("tempograph serve did not start: " + " | ".join(self.tail)) from None

    async def _drain(
        self, stream: asyncio.StreamReader, ready: asyncio.Future[None] | None
    ) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            self.tail.append(text)
            if ready is not None and not ready.done() and text == "ready":
                ready.set_result(None)

    async def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self._drains:
            task.cancel()


# ---------------------------------------------------------------------------------------------
# Running the scenario.
# ---------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return math.nan
    return float(times.user + times.system)


async def measure(target: Target, n: int, server_pid: int | None) -> ThroughputBatch:
    pids = {"client": os.getpid(), **target.processes()}
    if server_pid is not None:
        pids["temporal server"] = server_pid
    before = {role: cpu_seconds(pid) for role, pid in pids.items()}
    got = await target.batch(n)
    got.cpu_s = {role: cpu_seconds(pid) - before[role] for role, pid in pids.items()}
    if isinstance(target, PeerTarget):  # the driver is the client too
        got.cpu_s.pop("client", None)
    return got


def describe(batch: ThroughputBatch) -> str:
    runs = batch.run_ms
    cpu = ", ".join(f"{role} {s:.1f}" for role, s in batch.cpu_s.items() if not math.isnan(s))
    return (
        f"{batch.runs_per_s:.1f} runs/s, run p50 {median(runs):.0f} ms, "
        f"p99 {percentile(runs, 99):.0f} ms (start p50 {median(batch.start_ms):.0f}, resume p50 "
        f"{median(batch.resume_ms):.0f}); CPU s: {cpu}"
    )


async def run_batches(
    targets: Sequence[Target],
    *,
    sizes: Sequence[int],
    rounds: int,
    warmup: int,
    server_pid: int | None,
    errors: dict[str, str],
    settle_s: float = 1.0,
) -> dict[str, list[ThroughputBatch]]:
    """Every size, `rounds` rounds, every system in each round (the order rotating), after one
    warm-up batch of `warmup` runs each (not kept). A system whose batch fails is dropped from
    the rest and its error recorded, ours too: on an overloaded machine a run's update can time
    out (WorkflowUpdateRPCTimeoutOrCancelledError) before its worker gets to it, which must not
    lose the other systems' figures. Wrong answers are assertion errors, recorded the same way."""
    out: dict[str, list[ThroughputBatch]] = {t.key: [] for t in targets}
    live = list(targets)

    async def one(target: Target, n: int) -> ThroughputBatch | None:
        try:
            return await measure(target, n, server_pid)
        except Exception as e:
            first = e.exceptions[0] if isinstance(e, ExceptionGroup) else e  # a run's error
            errors[target.key] = f"N={n}: {type(first).__name__}: {first}"
            print(f"  {target.label}: FAILED, dropped ({errors[target.key]})", flush=True)
            live.remove(target)
            return None

    if warmup:
        for target in list(live):
            await one(target, warmup)
    k = 0
    for n in sizes:
        for r in range(rounds):
            shift = k % len(live) if live else 0
            k += 1
            for target in live[shift:] + live[:shift]:
                await asyncio.sleep(settle_s)  # let the last batch's stragglers finish
                got = await one(target, n)
                if got is not None:
                    out[target.key].append(got)
                    print(f"  N={n} round {r + 1}: {target.key}: {describe(got)}", flush=True)
    return {key: batches for key, batches in out.items() if batches}


async def run(
    client: Client,
    address: str,
    server_pid: int | None,
    *,
    sizes: Sequence[int] = SIZES,
    rounds: int = 2,
    warmup: int = 20,
    peers: Sequence[Peer] = (),
    systems: Sequence[str] = ("floor", "tempograph", "tempograph-http"),
    worker_options: dict[str, Any] | None = None,
    http_env: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, list[ThroughputBatch]]:
    """The throughput scenario; batches by system key. Starts the worker processes and the HTTP
    server it needs, stops them at the end."""
    errors = {} if errors is None else errors
    closers: list[Callable[[], Awaitable[None]]] = []
    targets: list[Target] = []
    try:
        workers: dict[str, WorkerProcess] = {}
        for kind in ("floor", "tempograph"):
            if kind == "floor" and "floor" not in systems:
                continue
            if kind == "tempograph" and not {"tempograph", "tempograph-http"} & set(systems):
                continue
            options = worker_options if kind == "tempograph" else None
            worker = WorkerProcess(address, f"bench-tp-{kind}", kind, MAX_CACHED, options)
            closers.append(worker.close)
            await worker.start()
            workers[kind] = worker
        if "floor" in systems:
            targets.append(FloorTarget(client, "bench-tp-floor", workers["floor"]))
        if "tempograph" in systems:
            targets.append(TempographTarget(client, "bench-tp-tempograph", workers["tempograph"]))
        if "tempograph-http" in systems:
            server = HttpServerProcess(address, "bench-tp-tempograph", http_env)
            closers.append(server.close)
            await server.start()
            http = HttpTarget(server, workers["tempograph"])
            closers.append(http.close)
            targets.append(http)
        targets += [PeerTarget(p) for p in peers]
        return await run_batches(
            targets,
            sizes=sizes,
            rounds=rounds,
            warmup=warmup,
            server_pid=server_pid,
            errors=errors,
        )
    finally:
        for close in reversed(closers):
            await close()


# ---------------------------------------------------------------------------------------------
# Alone: one configuration, for finding where the time goes.
# ---------------------------------------------------------------------------------------------


def key_values(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


async def alone(args: argparse.Namespace) -> None:
    from bench.peers.client import PeerProcess
    from tempograph.devserver import DevServer

    quiet_logs()
    srv = DevServer(port=free_port(), ui_port=None)
    await srv.start()
    peers: list[Peer] = []
    processes: list[PeerProcess] = []
    try:
        assert srv.process is not None
        client = await connect(srv.address)
        for name in args.peers:
            process = PeerProcess()
            processes.append(process)
            await process.start(name, srv.address)
            peers.append(Peer(process, name))
        errors: dict[str, str] = {}
        got = await run(
            client,
            srv.address,
            srv.process.pid,
            sizes=args.n,
            rounds=args.rounds,
            warmup=args.warmup,
            peers=peers,
            systems=[s for s in args.systems.split(",") if s],
            worker_options=args.worker_options,
            http_env=key_values(args.http_env),
            errors=errors,
        )
    finally:
        for process in processes:
            await process.close()
        srv.stop()
    if args.json:
        data = {
            "worker_options": args.worker_options,
            "http_env": key_values(args.http_env),
            "batches": {k: [asdict(b) for b in v] for k, v in got.items()},
            "errors": errors,
        }
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, nargs="+", default=[500], help="runs per batch")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--systems", default="floor,tempograph,tempograph-http")
    parser.add_argument("--peers", nargs="*", default=[], help="peer drivers to add")
    parser.add_argument(
        "--worker-options", type=json.loads, default=None, help="create_worker kwargs, JSON"
    )
    parser.add_argument(
        "--http-env", nargs="*", default=[], help="KEY=VALUE for the `tempograph serve` process"
    )
    parser.add_argument("--json", help="write the batches here")
    asyncio.run(alone(parser.parse_args()))


if __name__ == "__main__":
    main()
