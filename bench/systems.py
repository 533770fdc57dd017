"""The systems under test, behind one interface, and the round-robin that interleaves them.

Every operation checks its result (a wrong answer fails the system, it is never timed) and
returns the client-side latency: Tempograph and the floor are timed here around the client
call; the peers time the same span inside their driver process (bench/peers), so the JSON-lines
hop to the driver is not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from bench import graphs
from bench.common import HistoryStats, history_stats, ms_since, new_id
from bench.floor import (
    FloorFanoutWorkflow,
    FloorGrowWorkflow,
    FloorHitlWorkflow,
    FloorLocalWorkflow,
    FloorWorkflow,
)
from bench.peers.client import DISPLAY_NAMES, TEMPORAL_PEERS, PeerProcess
from tempograph import GraphClient

OP_TIMEOUT = 300.0  # seconds; a hung run fails its system instead of the whole benchmark
T = TypeVar("T")


@dataclass(frozen=True)
class Run:
    ms: float
    id: str


@dataclass(frozen=True)
class HitlRun:
    resume_ms: list[float]  # resume -> next interrupt, resume -> end
    id: str


class System:
    """One system; `scenarios` lists what it takes part in."""

    key: str
    label: str
    scenarios: frozenset[str]
    peer = False  # a failing peer drops out of a scenario; a failing system of ours is a bug

    async def linear(self, n: int) -> Run:
        raise NotImplementedError

    async def fanout(self, width: int) -> Run:
        raise NotImplementedError

    async def hitl(self) -> HitlRun:
        raise NotImplementedError

    async def grow(self, n: int) -> str:
        raise NotImplementedError

    async def history(self, run_id: str) -> HistoryStats:
        raise NotImplementedError


class Tempograph(System):
    def __init__(self, graph_client: GraphClient, local: bool) -> None:
        self.gc = graph_client
        self.local = local
        self.key = "tempograph-local" if local else "tempograph"
        self.label = "Tempograph (local activities)" if local else "Tempograph"
        self.scenarios = frozenset({"linear", "fanout", "hitl", "history"})

    async def _invoke(self, base: str, state: dict[str, Any]) -> tuple[float, str, dict[str, Any]]:
        thread = new_id(self.key)
        t0 = time.perf_counter()
        out = await self.gc.invoke(graphs.name(base, self.local), state, thread_id=thread)
        return ms_since(t0), thread, out

    async def linear(self, n: int) -> Run:
        ms, thread, out = await self._invoke(f"linear_{n}", {"i": 0})
        assert out == {"i": n}, out
        return Run(ms, thread)

    async def fanout(self, width: int) -> Run:
        ms, thread, out = await self._invoke(f"fanout_{width}", {"out": [], "seen": 0})
        assert out["seen"] == width and sorted(out["out"]) == list(range(width)), out
        return Run(ms, thread)

    async def hitl(self) -> HitlRun:
        questions = graphs.HITL_QUESTIONS
        _, thread, out = await self._invoke(f"asks_{questions}", {"answers": []})
        assert [i.value for i in out["__interrupt__"]] == [{"q": "q0"}], out
        timings: list[float] = []
        for k in range(questions):
            t0 = time.perf_counter()
            out = await self.gc.resume(thread, f"a{k}")
            timings.append(ms_since(t0))
            assert out["answers"] == [f"a{j}" for j in range(k + 1)], out
            pending = [i.value for i in out.get("__interrupt__", [])]
            assert pending == ([{"q": f"q{k + 1}"}] if k + 1 < questions else []), out
        return HitlRun(timings, thread)

    async def grow(self, n: int) -> str:
        _, thread, out = await self._invoke(f"grow_{n}", {"log": []})
        assert [e[:4] for e in out["log"]] == [f"{k:04d}" for k in range(n)], out
        return thread

    async def history(self, run_id: str) -> HistoryStats:
        return await history_stats(self.gc.client, run_id)


async def start_parked_floor(
    client: Client, wid: str, task_queue: str, questions: int, rerun: bool = True
) -> None:
    """Start a FloorHitlWorkflow and return once it parks (update-with-start, like invoke)."""
    start = WithStartWorkflowOperation(
        FloorHitlWorkflow.run,
        args=[questions, rerun],
        id=wid,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    parks = await client.execute_update_with_start_workflow(
        FloorHitlWorkflow.parked, start_workflow_operation=start
    )
    assert parks == 1, parks


class FloorLocal(System):
    """The hand-written floor for local-activity nodes: N no-op local activities (linear only)."""

    key, label = "floor-local", "Floor (hand-written, local activities)"
    scenarios = frozenset({"linear"})

    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def linear(self, n: int) -> Run:
        wid = new_id(self.key)
        t0 = time.perf_counter()
        out = await self.client.execute_workflow(
            FloorLocalWorkflow.run, n, id=wid, task_queue=self.task_queue
        )
        assert out == n, out
        return Run(ms_since(t0), wid)


class Floor(System):
    """Hand-written workflows (bench/floor.py). With `rerun=False`, the HITL scenario only, one
    activity per resume instead of the graph's activities."""

    def __init__(self, client: Client, task_queue: str, rerun: bool = True) -> None:
        self.client = client
        self.task_queue = task_queue
        self.rerun = rerun
        if rerun:
            self.key, self.label = "floor", "Floor (hand-written workflow)"
            self.scenarios = frozenset({"linear", "fanout", "hitl", "history"})
        else:
            self.key, self.label = "floor-1act", "Floor, 1 activity per resume"
            self.scenarios = frozenset({"hitl"})

    async def _execute(self, workflow: Callable[..., Awaitable[T]], *args: Any) -> tuple[Run, T]:
        wid = new_id(self.key)
        t0 = time.perf_counter()
        out: T = await self.client.execute_workflow(
            workflow, args=list(args), id=wid, task_queue=self.task_queue
        )
        return Run(ms_since(t0), wid), out

    async def linear(self, n: int) -> Run:
        run, out = await self._execute(FloorWorkflow.run, n)
        assert out == n, out
        return run

    async def fanout(self, width: int) -> Run:
        run, out = await self._execute(FloorFanoutWorkflow.run, width)
        assert out["seen"] == width and sorted(out["out"]) == list(range(width)), out
        return run

    async def hitl(self) -> HitlRun:
        questions = graphs.HITL_QUESTIONS
        wid = new_id(self.key)
        await start_parked_floor(self.client, wid, self.task_queue, questions, self.rerun)
        handle: WorkflowHandle[Any, list[str]] = self.client.get_workflow_handle(
            wid, result_type=list
        )
        timings: list[float] = []
        for k in range(questions):
            t0 = time.perf_counter()
            done = await handle.execute_update(FloorHitlWorkflow.answer, f"a{k}")
            timings.append(ms_since(t0))
            assert done == (k + 1 == questions), done
        answers = await handle.result()
        assert answers == [f"a{k}" for k in range(questions)], answers
        return HitlRun(timings, wid)

    async def grow(self, n: int) -> str:
        run, out = await self._execute(FloorGrowWorkflow.run, n, graphs.GROW_BYTES)
        assert [e[:4] for e in out] == [f"{k:04d}" for k in range(n)], out
        return run.id

    async def history(self, run_id: str) -> HistoryStats:
        return await history_stats(self.client, run_id)


class PeerOpError(RuntimeError):
    """A peer driver answered an op with an error."""


class Peer(System):
    """A peer driver process (bench/peers) running the equivalent LangGraph graph."""

    peer = True

    def __init__(self, process: PeerProcess, name: str) -> None:
        self.process = process
        self.key = name
        self.label = DISPLAY_NAMES.get(name, name)
        history = {"history"} if name in TEMPORAL_PEERS else set()
        self.scenarios = frozenset({"linear", "fanout", "hitl", *history})

    async def _call(self, timeout: float | None = None, **cmd: Any) -> dict[str, Any]:
        reply = await self.process.call(timeout=timeout, **cmd)
        if "error" in reply:
            raise PeerOpError(str(reply["error"]))
        return reply

    async def linear(self, n: int) -> Run:
        reply = await self._call(op="linear", n=n)
        return Run(float(reply["ms"]), str(reply["id"]))

    async def fanout(self, width: int) -> Run:
        reply = await self._call(op="fanout", width=width)
        return Run(float(reply["ms"]), str(reply["id"]))

    async def hitl(self) -> HitlRun:
        reply = await self._call(op="hitl")
        return HitlRun([float(ms) for ms in reply["resume_ms"]], str(reply["id"]))

    async def history(self, run_id: str) -> HistoryStats:
        return HistoryStats.from_reply(await self._call(op="history", id=run_id))

    async def throughput(self, n: int, timeout: float) -> dict[str, Any]:
        """n runs at once, start -> pause -> resume -> end, timed in the driver
        (bench/throughput.py): {"wall_s", "start_ms": [...], "resume_ms": [...]}."""
        return await self._call(timeout=timeout, op="throughput", n=n)


async def interleave(
    systems: Sequence[System],
    op: Callable[[System], Awaitable[T]],
    *,
    warmup: int,
    runs: int,
    errors: dict[str, str],
) -> dict[str, list[T]]:
    """Run `op` on every system round by round, rotating who goes first, so that drift in the
    machine or the server (compaction, GC, a noisy neighbour) hits all alike. The first `warmup`
    rounds are not kept. A peer that fails is dropped from the rest of the scenario (its error
    is recorded); a failure of ours is raised."""
    samples: dict[str, list[T]] = {s.key: [] for s in systems}
    live = list(systems)
    for k in range(warmup + runs):
        shift = k % len(live) if live else 0
        for system in live[shift:] + live[:shift]:
            try:
                result = await asyncio.wait_for(op(system), OP_TIMEOUT)
            except Exception as e:
                if not system.peer:
                    raise
                errors[system.key] = f"{type(e).__name__}: {e}"
                print(f"  {system.label}: FAILED, dropped ({errors[system.key]})", flush=True)
                live.remove(system)
                continue
            if k >= warmup:
                samples[system.key].append(result)
    return samples
