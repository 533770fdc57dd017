"""The floor: hand-written Temporal workflows doing the same activities as the benchmark graphs.

Tempograph runs every node as one activity, so the gap between a graph and the workflow here
that awaits the same activities is what the graph interpreter adds:
- `FloorWorkflow`: N no-op activities in sequence (the linear graph);
- `FloorFanoutWorkflow`: `width` activities in parallel, then a join activity (the fan-out graph);
- `FloorHitlWorkflow`: activities around parks on `workflow.wait_condition`, resumed by the
  `answer` update, which returns once the workflow has reached its next park or its end (the
  raw update round trip);
- `FloorLocalWorkflow`: N no-op local activities in sequence (the floor for local-activity
  nodes);
- `FloorGrowWorkflow`: N activities that each receive the whole growing log (a node reads the
  state) and return one new entry (history bytes when state grows).

This module is loaded into the workflow sandbox, so it imports only temporalio and stdlib.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

TIMEOUT = timedelta(seconds=60)


@activity.defn(name="bench.noop")
async def noop(i: int) -> int:
    # Same tiny "write" as the graph nodes: the counter plus one.
    return i + 1


@activity.defn(name="bench.branch")
async def branch(k: int) -> list[int]:
    return [k]


@activity.defn(name="bench.join")
async def join(out: list[int]) -> int:
    return len(out)


@activity.defn(name="bench.ask")
async def ask(question: str, answer: str | None) -> str | None:
    """A node that needs a human: without an answer it asks (returns None), with one it uses it."""
    return answer


@activity.defn(name="bench.grow")
async def grow(log: list[str], size: int) -> str:
    return f"{len(log):04d}".ljust(size, "x")


ACTIVITIES: list[Callable[..., Any]] = [noop, branch, join, ask, grow]


@workflow.defn(name="BenchFloor")
class FloorWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        i = 0
        for _ in range(n):
            i = await workflow.execute_activity(noop, i, start_to_close_timeout=TIMEOUT)
        return i


@workflow.defn(name="BenchFloorLocal")
class FloorLocalWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        i = 0
        for _ in range(n):
            i = await workflow.execute_local_activity(noop, i, start_to_close_timeout=TIMEOUT)
        return i


@workflow.defn(name="BenchFloorFanout")
class FloorFanoutWorkflow:
    @workflow.run
    async def run(self, width: int) -> dict[str, Any]:
        parts = await asyncio.gather(
            *(
                workflow.execute_activity(branch, k, start_to_close_timeout=TIMEOUT)
                for k in range(width)
            )
        )
        out = [k for part in parts for k in part]
        seen = await workflow.execute_activity(join, out, start_to_close_timeout=TIMEOUT)
        return {"out": out, "seen": seen}


@workflow.defn(name="BenchFloorHitl")
class FloorHitlWorkflow:
    """Ask `questions` questions in turn, parking for each answer.

    With `rerun` (LangGraph's interrupt semantics, what the graph does) the node that asked runs
    again with the answer and the next node runs up to its question before the workflow parks:
    the same activities as the graph. Without it, one activity per resume: the brief's bare
    "activity, park, activity, park, activity".
    """

    def __init__(self) -> None:
        self._parks = 0
        self._answer: str | None = None
        self._parked = False
        self._done = False

    @workflow.run
    async def run(self, questions: int, rerun: bool) -> list[str]:
        answers: list[str] = []
        await self._ask("q0", None)
        for k in range(questions):
            self._parked, self._parks = True, self._parks + 1
            await workflow.wait_condition(lambda: self._answer is not None)
            answer, self._answer, self._parked = self._answer, None, False
            answers.append(await self._ask(f"q{k}", answer) or "")
            if rerun and k + 1 < questions:
                await self._ask(f"q{k + 1}", None)
        self._done = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return answers

    async def _ask(self, question: str, answer: str | None) -> str | None:
        return await workflow.execute_activity(
            ask, args=[question, answer], start_to_close_timeout=TIMEOUT
        )

    @workflow.update
    async def parked(self) -> int:
        """Return once the run has parked for the first time (used with update-with-start)."""
        await workflow.wait_condition(lambda: self._parks > 0)
        return self._parks

    @workflow.update
    async def answer(self, text: str) -> bool:
        """Deliver an answer; return at the next park (False) or at the end (True)."""
        parks = self._parks
        self._answer = text
        await workflow.wait_condition(lambda: self._parks > parks or self._done)
        return self._done

    @answer.validator
    def _parked_only(self, text: str) -> None:
        if not self._parked or self._answer is not None:
            raise ValueError("not parked")


@workflow.defn(name="BenchFloorGrow")
class FloorGrowWorkflow:
    @workflow.run
    async def run(self, n: int, size: int) -> list[str]:
        log: list[str] = []
        for _ in range(n):
            entry = await workflow.execute_activity(
                grow, args=[log, size], start_to_close_timeout=TIMEOUT
            )
            log.append(entry)
        return log


WORKFLOWS = [
    FloorWorkflow,
    FloorLocalWorkflow,
    FloorFanoutWorkflow,
    FloorHitlWorkflow,
    FloorGrowWorkflow,
]
