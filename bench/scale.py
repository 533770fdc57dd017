"""Paused scale: thousands of runs parked at an interrupt, served by a worker in its own process.

For each level (a baseline of a few runs, then e.g. 1,000 and 10,000 parked): start runs with
bounded concurrency until that many are parked (a start returns once its run is parked), sample
the worker's and the server's RSS, then resume runs picked at random from the parked ones, one
at a time, timing each resume until its reply (the run's end). The worker caches at most
`max_cached` runs, so at 10,000 most resumed runs are not in its cache and are replayed from
their history first.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
from temporalio.client import Client, WorkflowHandle

from bench.common import ScaleLevel, ScaleResult, median, new_id, percentile
from bench.floor import FloorHitlWorkflow
from bench.scale_worker import SCALE_GRAPH
from bench.systems import OP_TIMEOUT, start_parked_floor
from tempograph import GraphClient

REPO = Path(__file__).resolve().parent.parent
PROGRESS_EVERY = 1000


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


class WorkerProcess:
    """`python -m bench.scale_worker` as a child process."""

    def __init__(
        self,
        address: str,
        task_queue: str,
        system: str,
        max_cached: int,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.args = ["--address", address, "--task-queue", task_queue, "--system", system]
        self.args += ["--max-cached", str(max_cached)]
        if options:
            self.args += ["--options", json.dumps(options)]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.scale_worker",
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"scale worker did not start: {line!r}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


class Target:
    """One system at scale: how to start a run that parks, and how to resume it to its end."""

    key: str

    def __init__(self, client: Client, worker: WorkerProcess, task_queue: str) -> None:
        self.client = client
        self.worker = worker
        self.task_queue = task_queue
        self.parked: list[str] = []

    async def start(self, run_id: str) -> None:
        raise NotImplementedError

    async def resume(self, run_id: str) -> None:
        raise NotImplementedError


class TempographTarget(Target):
    key = "tempograph"

    def __init__(self, client: Client, worker: WorkerProcess, task_queue: str) -> None:
        super().__init__(client, worker, task_queue)
        self.gc = GraphClient(client, task_queue=task_queue)

    async def start(self, run_id: str) -> None:
        out = await self.gc.invoke(SCALE_GRAPH, {"answers": []}, thread_id=run_id)
        assert [i.value for i in out["__interrupt__"]] == [{"q": "q0"}], out

    async def resume(self, run_id: str) -> None:
        out = await self.gc.resume(run_id, "yes")
        assert out == {"answers": ["yes"]}, out


class FloorTarget(Target):
    key = "floor"

    async def start(self, run_id: str) -> None:
        await start_parked_floor(self.client, run_id, self.task_queue, questions=1)

    async def resume(self, run_id: str) -> None:
        handle: WorkflowHandle[Any, Any] = self.client.get_workflow_handle(run_id)
        done = await handle.execute_update(FloorHitlWorkflow.answer, "yes")
        assert done is True, done


async def fill(target: Target, count: int, concurrency: int) -> float:
    """Start `count` runs, at most `concurrency` at a time; seconds taken."""
    pending = iter([new_id(f"scale-{target.key}") for _ in range(count)])
    started = 0
    t0 = time.perf_counter()

    async def starter() -> None:
        nonlocal started
        for run_id in pending:  # one shared iterator: each id is taken by one starter
            await asyncio.wait_for(target.start(run_id), OP_TIMEOUT)
            target.parked.append(run_id)
            started += 1
            if started % PROGRESS_EVERY == 0:
                rate = started / (time.perf_counter() - t0)
                print(
                    f"    {target.key}: {started:,} of {count:,} started ({rate:.0f}/s), "
                    f"{len(target.parked):,} parked",
                    flush=True,
                )

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, count)):
            group.create_task(starter())
    return time.perf_counter() - t0


async def resume_some(target: Target, count: int, rng: random.Random) -> list[float]:
    timings: list[float] = []
    for run_id in rng.sample(target.parked, min(count, len(target.parked))):
        t0 = time.perf_counter()
        await asyncio.wait_for(target.resume(run_id), OP_TIMEOUT)
        timings.append((time.perf_counter() - t0) * 1000)
        target.parked.remove(run_id)
    return timings


async def run(
    client: Client,
    address: str,
    server_pid: int,
    *,
    levels: dict[str, Sequence[int]],
    resumes: int,
    concurrency: int,
    max_cached: int,
    errors: dict[str, str] | None = None,
) -> dict[str, ScaleResult]:
    """`levels` maps "tempograph" / "floor" to its parked counts; systems are interleaved level by
    level (alternating who goes first), each with its own worker process. A system that fails
    at a level (on an overloaded machine a start can fail with an RPC error) stops there, its
    error recorded in `errors` (raised without it); the levels it reached are kept."""
    failed: set[str] = set()
    kinds = {"tempograph": TempographTarget, "floor": FloorTarget}
    rng = random.Random(7)
    targets: list[Target] = []
    results: dict[str, ScaleResult] = {}
    try:
        for key in levels:
            worker = WorkerProcess(address, f"bench-scale-{key}", key, max_cached)
            await worker.start()
            targets.append(kinds[key](client, worker, f"bench-scale-{key}"))
            results[key] = ScaleResult(max_cached, concurrency, rss_mb(worker.pid))
        for k, level in enumerate(sorted({n for ns in levels.values() for n in ns})):
            order = targets[k % len(targets) :] + targets[: k % len(targets)]
            for target in order:
                if level not in levels[target.key] or target.key in failed:
                    continue
                started = level - len(target.parked)
                try:
                    fill_s = await fill(target, started, concurrency)
                    step = ScaleLevel(
                        parked=len(target.parked),
                        started=started,
                        fill_s=fill_s,
                        worker_rss_mb=rss_mb(target.worker.pid),
                        server_rss_mb=rss_mb(server_pid),
                        resume_ms=await resume_some(target, resumes, rng),
                    )
                except Exception as e:
                    if errors is None:
                        raise
                    first = e.exceptions[0] if isinstance(e, ExceptionGroup) else e
                    errors[target.key] = f"at {level:,} parked: {type(first).__name__}: {first}"
                    print(f"  {target.key}: FAILED at {level:,} parked ({first})", flush=True)
                    failed.add(target.key)
                    continue
                results[target.key].levels.append(step)
                print(
                    f"  {target.key} at {step.parked} parked: {step.starts_per_s:.0f} starts/s, "
                    f"worker {step.worker_rss_mb:.0f} MB, server {step.server_rss_mb:.0f} MB, "
                    f"resume p50 {median(step.resume_ms):.1f} ms, "
                    f"p99 {percentile(step.resume_ms, 99):.1f} ms",
                    flush=True,
                )
    finally:
        for target in targets:
            await target.worker.close()
    return results
