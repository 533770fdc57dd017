"""Subgraphs in a stream: the parts of the child runs a run's subgraph tasks run as.

A subgraph node runs as a child GraphRun (tempograph._workflows.subgraphs), with its own
history. Streamed with subgraphs (LangGraph's `astream(subgraphs=True)`, the Agent Server's
`stream_subgraphs`), a run's stream also carries its children's parts, namespaced as LangGraph
namespaces them: the SSE event `mode|<node>:<task id>` (deeper levels `mode|a:<id>|b:<id>`),
each child's parts where the child runs: after the parent's task start for that node, before
its result (the child's pause or end).

`merged` reads the parent run's events in order; at a subgraph task's start (a RunEvent
TaskStarted with `child`) it shows the child's parts (the child's own stream, recursively with
its children) up to the child's next pause or its end, then goes on with the parent. So the
order depends on history only, and a join that replays history gives the same parts in the
same order with the same ids. The cost: while a child's parts are shown, the parent's later
events wait (a node running in parallel with a subgraph streams its tokens once the subgraph
pauses or ends; two parallel subgraphs one after the other).

Ids: a child's parts are numbered from a number the parent's stream reserves after the task
start's parts (StreamParts.reserve: `(source, index)`, never given to a part), followed by the
child part's own number in the child's stream: `{source}-{index}-{child source}-{child index}`
(and so on for deeper levels). Compared as tuples of ints they sort after the parent's parts
before the task start and before every later parent part, and increase along the child's
stream: ids stay unique and increasing across parent and child parts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog
from temporalio.client import Client

from tempograph._client import history
from tempograph._client.history import ChildRun, Ended, Paused, RunEvent, TaskFinished, TaskStarted
from tempograph._client.stream_parts import Part, StreamParts
from tempograph.messages import STREAM_WANTED_SIGNAL

log = structlog.get_logger("tempograph.client")

T = TypeVar("T")

# A child run's events from its start, each with whether it is live (came after a join).
ChildEvents = Callable[[ChildRun], AsyncIterator[tuple[RunEvent, bool]]]
# What `merged` yields: the parent's event (None for a subgraph's parts), its parts, live.
Merged = tuple[RunEvent | None, list[Part], bool]

# While a child's parts are shown, how often the parent's events are looked at, and how long
# the child's history may lag behind the parent's record of its pause or end.
POLL_SECONDS = 0.5
CATCH_UP_SECONDS = 10.0


def split_event(event: str) -> tuple[str, tuple[str, ...]]:
    """A part's event name as (mode, namespace): "values|a:1|b:2" -> ("values", ("a:1",
    "b:2")); the root run's parts have namespace ()."""
    mode, *namespace = event.split("|")
    return mode, tuple(namespace)


def namespaced(part: Part, label: str, anchor: tuple[int, int]) -> Part:
    """A child's part as its parent's stream shows it: the event name namespaced with the
    subgraph task (`label`, "<node>:<task id>"), numbered from the parent's `anchor`."""
    mode, sep, rest = part.event.partition("|")
    event = f"{mode}|{label}" + (f"|{rest}" if sep else "")
    return Part(event, part.data, anchor[0], anchor[1], part.key)


class _Pump(Generic[T]):
    """Reads an async iterator ahead into a buffer (so the one behind it never waits on us)."""

    def __init__(self, source: AsyncIterator[T], *, raises: bool) -> None:
        self.items: deque[T] = deque()
        self.done = False
        self.error: BaseException | None = None
        self._raises = raises
        self._new = asyncio.Event()
        self._task = asyncio.ensure_future(self._run(source))

    async def _run(self, source: AsyncIterator[T]) -> None:
        try:
            async for item in source:
                self.items.append(item)
                self._new.set()
        except Exception as exc:  # noqa: BLE001 - handed to the reader (or logged)
            self.error = exc
        finally:
            self.done = True
            self._new.set()

    async def next(self, timeout: float | None = None) -> tuple[bool, T | None]:
        """(True, the next item), or (False, None) at the end; TimeoutError after `timeout`."""
        while not self.items and not self.done:
            self._new.clear()
            await asyncio.wait_for(self._new.wait(), timeout)
        if self.items:
            return True, self.items.popleft()
        if self.error is not None:
            if self._raises:
                raise self.error
            log.warning("cannot follow a subgraph's run", error=str(self.error))
        return False, None

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


@dataclass
class _Child:
    """A child run's stream, read ahead; shown a segment (a task start) at a time."""

    pump: _Pump[Merged]
    pauses: int = 0  # the child's pauses read so far
    ended: bool = field(default=False)

    async def segment(
        self, after: int, finished: Callable[[], bool]
    ) -> AsyncIterator[tuple[list[Part], bool]]:
        """The child's parts after its `after`-th pause, up to its next pause or its end.
        `finished`: the parent has recorded the task's pause or end (then the child's history
        gets CATCH_UP_SECONDS to show it)."""
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        while not self.ended:
            try:
                more, item = await self.pump.next(POLL_SECONDS)
            except TimeoutError:
                if deadline is None and finished():
                    deadline = loop.time() + CATCH_UP_SECONDS
                if deadline is not None and loop.time() >= deadline:
                    log.warning("a subgraph's history did not show its pause or end")
                    return
                continue
            if not more or item is None:
                self.ended = True
                return
            event, parts, live = item
            shown = self.pauses >= after
            if isinstance(event, Paused):
                self.pauses += 1
            if shown and parts:
                yield parts, live
            if isinstance(event, Ended):
                self.ended = True
            if shown and isinstance(event, Paused | Ended):
                return


async def merged(
    events: AsyncIterator[tuple[RunEvent, bool]],
    parts: StreamParts,
    children: ChildEvents | None,
) -> AsyncIterator[Merged]:
    """(event, its parts, live) for each of the run's `events` ((event, live) pairs), and,
    with `children` (how to read a child run's events), (None, a subgraph's parts, live) where
    its subgraph tasks run (see the module docstring). Without `children`: parts.feed."""
    if children is None:
        async for event, live in events:
            yield event, parts.feed(event), live
        return
    parent: _Pump[tuple[RunEvent, bool]] = _Pump(events, raises=True)
    kids: dict[str, _Child] = {}
    try:
        while True:
            more, item = await parent.next()
            if not more or item is None:
                return
            event, live = item
            out = parts.feed(event)
            child = event.child if isinstance(event, TaskStarted) else None
            anchor = parts.reserve(event.event_id) if child is not None else None
            yield event, out, live
            if child is None or anchor is None:
                continue
            assert isinstance(event, TaskStarted)
            label = f"{event.node}:{event.task_id}"
            kid = kids.get(child.workflow_id)
            if kid is None:
                kid_parts = StreamParts(
                    parts.modes,
                    thread_id=parts.thread_id,
                    run_id=parts.run_id,
                    metadata=parts.metadata,
                    namespace="|".join(filter(None, (parts.namespace, label))),
                )
                kid = _Child(_Pump(merged(children(child), kid_parts, children), raises=False))
                kids[child.workflow_id] = kid

            def finished(task_id: str = event.task_id) -> bool:
                return parent.done or any(
                    isinstance(e, TaskFinished) and e.task_id == task_id for e, _ in parent.items
                )

            async for child_parts, child_live in kid.segment(child.pauses, finished):
                yield None, [namespaced(p, label, anchor) for p in child_parts], live or child_live
    finally:
        await parent.close()
        for kid in kids.values():
            await kid.pump.close()


def child_events(client: Client, *, live: bool, publish: bool = False) -> ChildEvents:
    """How to read a child run's events: its history from its start, then live. `live`:
    every event counts as live (a stream that started with the run); else only those after
    the child's history as it is when first read (a join). `publish`: the stream has live
    modes, so the child's later node calls are asked to publish their output (a child
    started by an invocation that did not stream, answered by one that does)."""

    async def events(child: ChildRun) -> AsyncIterator[tuple[RunEvent, bool]]:
        known = 0
        handle = client.get_workflow_handle(child.workflow_id)
        if publish:
            with contextlib.suppress(Exception):  # a child that has ended needs none
                await handle.signal(STREAM_WANTED_SIGNAL)
        if not live:
            first = client.get_workflow_handle(child.workflow_id, run_id=child.run_id)
            known = (await first.describe()).history_length
        async for event in history.follow(client, child.workflow_id, child.run_id):
            run_id = getattr(event, "run_id", child.run_id)
            yield event, live or run_id != child.run_id or event.event_id > known

    return events


__all__ = [
    "ChildEvents",
    "Merged",
    "child_events",
    "merged",
    "namespaced",
    "split_event",
]
