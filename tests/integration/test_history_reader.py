"""GraphClient.follow: a live cursor over a thread's runs (events as they happen, no re-reading).

Each test says what a consumer of follow() (the HTTP stream, a CLI `--follow`) relies on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from tempograph import GraphClient, ThreadNotFoundError
from tempograph.client import (
    Checkpointed,
    ContinuedAsNew,
    Ended,
    NodeUpdated,
    Paused,
    RunEvent,
    Streamed,
    TaskFinished,
    TaskStarted,
)
from tempograph.errors import GraphRunError
from tempograph.types import Command


class Recorder:
    """Follows a thread in the background, noting when each event arrived."""

    def __init__(self, graphs: GraphClient, thread: str, run_id: str | None = None) -> None:
        self.events: list[tuple[float, RunEvent]] = []
        self.task = asyncio.ensure_future(self._run(graphs, thread, run_id))

    async def _run(self, graphs: GraphClient, thread: str, run_id: str | None) -> None:
        async for event in graphs.follow(thread, run_id):
            # Checkpoints, updates and pauses only: task starts and finishes, and live output,
            # are the stream modes' (tests/unit/test_stream_parts.py, test_client_stream.py).
            if not isinstance(event, TaskStarted | TaskFinished | Streamed):
                self.events.append((time.monotonic(), event))

    async def until(self, seen: Callable[[list[RunEvent]], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not seen(self.kinds()):
            assert not self.task.done(), self.task.exception() or self.kinds()
            assert time.monotonic() < deadline, f"waited for events: {self.kinds()}"
            await asyncio.sleep(0.02)

    def kinds(self) -> list[RunEvent]:
        return [event for _, event in self.events]

    async def finished(self, timeout: float = 20) -> list[RunEvent]:
        await asyncio.wait_for(self.task, timeout)
        return self.kinds()


def names(events: list[RunEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def first_checkpoints(events: list[RunEvent]) -> list[str]:
    return [e.checkpoint.checkpoint_id for e in events if isinstance(e, Checkpointed)]


async def test_follow_yields_a_run_live_through_its_pause_and_resume(
    graphs: GraphClient, thread: str
) -> None:
    """ask: a -> ask (interrupt) -> b. The cursor, started while the run waits, yields what
    happened so far, then waits; the resume's events arrive on the same cursor, in order,
    each once, and they agree with get_state_history and node_updates."""
    out = await graphs.invoke("ask", {"log": []}, thread_id=thread)
    assert "__interrupt__" in out
    recorder = Recorder(graphs, thread)
    await recorder.until(lambda events: any(isinstance(e, Paused) for e in events))
    assert names(recorder.kinds()) == [
        "Checkpointed",  # step 0: before a
        "NodeUpdated",  # a
        "Checkpointed",  # step 1: before ask
        "Paused",
    ]
    await asyncio.sleep(0.3)
    assert not recorder.task.done()  # a paused run is still followed
    resumed_at = time.monotonic()
    await graphs.resume(thread, "yes")
    events = await recorder.finished()
    assert names(events)[4:] == [
        "Resumed",
        "NodeUpdated",  # ask
        "Checkpointed",  # step 2: before b
        "NodeUpdated",  # b
        "Checkpointed",  # step 3: the end
        "Ended",
    ]
    assert all(at >= resumed_at for at, e in recorder.events[4:])  # live, not re-read
    ids = first_checkpoints(events)
    assert len(ids) == len(set(ids)) == 4
    history = list(reversed(await graphs.get_state_history(thread)))
    followed = [e.checkpoint for e in events if isinstance(e, Checkpointed)]
    assert [c.model_copy(update={"parent_checkpoint_id": None}) for c in history] == followed
    updates = [e.update for e in events if isinstance(e, NodeUpdated)]
    assert updates == await graphs.node_updates(thread)
    assert [u.node for u in updates] == ["a", "ask", "b"]
    end = events[-1]
    assert isinstance(end, Ended) and end.status == "COMPLETED"
    assert end.output is not None and end.output["human"] == "yes"
    paused = events[3]
    assert isinstance(paused, Paused) and paused.checkpoint_id == ids[1]


async def test_follow_goes_on_into_the_runs_a_thread_continues_as_new(
    graphs: GraphClient, thread: str
) -> None:
    """count_then_ask with 2 steps per run: one cursor, from the thread's first run, yields
    every run's events, steps in order, and ends with the last run."""
    out = await graphs.invoke(
        "count_then_ask", {"items": ["p", "q"]}, thread_id=thread, steps_per_run=2
    )
    first_run = (await graphs.get_state_history(thread))[-1].run_id
    recorder = Recorder(graphs, thread, first_run)
    answers = {i.id: i.value["review"].upper() for i in out["__interrupt__"]}
    await graphs.invoke("count_then_ask", Command(resume=answers), thread_id=thread)
    await graphs.resume(thread, "yes")
    events = await recorder.finished()
    hops = [e for e in events if isinstance(e, ContinuedAsNew)]
    assert len(hops) >= 2 and hops[0].run_id == first_run
    for hop, nxt in zip(hops, hops[1:], strict=False):
        assert hop.new_run_id == nxt.run_id
    steps = [e.checkpoint.step for e in events if isinstance(e, Checkpointed) and not e.revised]
    assert steps == sorted(steps) and len(steps) == len(set(steps))
    history = await graphs.get_state_history(thread)
    assert sorted(first_checkpoints(events)) == sorted(c.checkpoint_id for c in history)
    assert isinstance(events[-1], Ended) and events[-1].status == "COMPLETED"
    assert names(events).count("Ended") == 1


async def test_follow_ends_with_the_error_of_a_failed_run(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(GraphRunError):
        await graphs.invoke("failing", {"n": 0}, thread_id=thread)
    events = [e async for e in graphs.follow(thread)]
    end = events[-1]
    assert isinstance(end, Ended) and end.status == "FAILED"
    assert isinstance(end.error, GraphRunError)


async def test_follow_of_an_unknown_thread_is_not_found(graphs: GraphClient) -> None:
    with pytest.raises(ThreadNotFoundError):
        async for _ in graphs.follow("no-such-thread-follow"):
            pass


async def test_run_history_reads_checkpoints_and_updates_in_one_pass(
    graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("chain", {"log": []}, thread_id=thread)
    run = await graphs.run_history(thread)
    history = list(reversed(await graphs.get_state_history(thread)))
    assert [c.checkpoint_id for c in run.checkpoints] == [c.checkpoint_id for c in history]
    assert run.updates == await graphs.node_updates(thread)
    assert {c.run_id for c in run.checkpoints} == {run.run_id}
