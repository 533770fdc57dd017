"""Streamed runs (SSE) in every Agent Server stream mode, read from Temporal history.

A stream is the run's history read live (GraphClient.follow: long polls, each event read
once), turned into the Agent Server's events by StreamParts (tempograph._client.stream_parts:
values, updates, messages, messages-tuple, custom, events, debug, tasks, checkpoints; the
interleaving of agents.md §1.4). LLM tokens and live custom events are in that history too:
node activities send them to their run as STREAM_SIGNAL batches when the run streams
(RunInput.stream / ResumeInput.stream, set when a stream asks for a live mode; a stream joined
later sends STREAM_WANTED_SIGNAL), so any server process can serve any run's stream.

* POST .../runs/stream: `metadata` {"run_id", "attempt"} first, then the parts, until the run
  pauses or ends; `error` {"error", "message"} when it fails. A resume's stream starts with the
  state it resumes from and shows only what the resume adds.
* Event ids (`stream_resumable`, and thread streams): `<history event id>-<n>`, the n-th event
  made from that history event. The events a stream sends before reading history (metadata,
  the state a resume starts from) are `<b>-<SYNTHESIZED + n>`, b being the last history event
  before the stream's run (0 for a new run): ids strictly increase along a run's stream and
  are the same on every reading, so nothing is kept anywhere to serve a replay.
* stream_subgraphs: the child runs of subgraph tasks too, `mode|<node>:<task id>`, where they
  run (tempograph._client.subgraph_stream: ids `<source>-<reserved>-<child source>-<n>`).
* GET .../runs/{run_id}/stream (runs.join_stream): with Last-Event-ID, the run's history is
  read again from its start and the events after that id are sent (0 or -1: all), then live
  ones; without it, live events only. Ends when the run pauses or ends (a run paused or
  ended already: the replay alone). A resume continues its run's execution, so a replay covers
  every invocation of that execution.
* GET /threads/{thread_id}/stream (threads.join_stream): the thread's latest execution, live,
  then the next ones; `metadata` {"status": "run_done", "run_id"} after each invocation
  pauses or ends. Stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus

from tempograph._client.history import RunEvent, RunReader
from tempograph._client.stream_parts import LIVE_MODES, STREAM_MODES, Part, StreamParts
from tempograph._client.subgraph_stream import ChildEvents, child_events, merged
from tempograph.client import ContinuedAsNew, Ended, Paused
from tempograph.http.bounded import BoundedSet
from tempograph.http.errors import HttpError
from tempograph.http.executions import graph_name
from tempograph.http.rendering import assistant_id_of
from tempograph.http.run_executor import RunExecutor, RunRecord
from tempograph.http.schemas import RunBody
from tempograph.http.sse import frame
from tempograph.messages import STATUS_ATTRIBUTE, STREAM_WANTED_SIGNAL

log = logging.getLogger("tempograph.http")

# Temporal runs this process has asked to publish their live output (STREAM_WANTED_SIGNAL).
_STREAM_ASKED: BoundedSet[str] = BoundedSet()

# Once the run has answered, how long its history may take to show what led to the answer
# (normally one long poll's round trip) before the stream ends without it.
CATCH_UP_SECONDS = 10.0
# Index offset of the events a stream sends before it reads history (see the docstring).
SYNTHESIZED = 1_000_000
DEFAULT_MODES = ["values"]


# ---------------------------------------------------------------------------------------------
# Modes and ids.
# ---------------------------------------------------------------------------------------------


def stream_modes(stream_mode: str | Iterable[str] | None) -> list[str]:
    """The modes asked for ("values" by default), in order; 422 for one the Agent Server does
    not have."""
    if stream_mode is None:
        return list(DEFAULT_MODES)
    modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
    unknown = [m for m in modes if m not in STREAM_MODES]
    if unknown:
        raise HttpError(
            422, f"stream_mode: unknown modes {unknown}; choose from {sorted(STREAM_MODES)}"
        )
    return list(dict.fromkeys(modes)) or list(DEFAULT_MODES)


def wants_live(modes: Iterable[str]) -> bool:
    return not LIVE_MODES.isdisjoint(modes)


def part_id(part: Part) -> str:
    return part.id


def synthesized_id(base: int, n: int) -> str:
    return f"{base}-{SYNTHESIZED + n}"


def parse_event_id(text: str | None) -> tuple[int, ...] | None:
    """A Last-Event-ID as a comparable key ("12-3" -> (12, 3), a subgraph's "12-3-40-0" ->
    (12, 3, 40, 0); "0" and "-1": before all); None when absent; 422 when it is not one of
    this server's ids."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        if text.lstrip("-").isdigit():
            return (int(text),)
        numbers = tuple(int(n) for n in text.split("-"))
    except ValueError:
        numbers = ()
    if len(numbers) < 2 or len(numbers) % 2:
        raise HttpError(
            422, f"Last-Event-ID {text!r} is not an event id of this server (<event>-<n>)"
        )
    return numbers


def key_of(part: Part) -> tuple[int, ...]:
    return part.key


def run_metadata(graph: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """What the Agent Server adds to messages-tuple and tasks metadata about the run."""
    return {
        "created_by": "system",
        "graph_id": graph,
        "assistant_id": assistant_id_of(graph),
        "run_attempt": 1,
        **(metadata or {}),
    }


# ---------------------------------------------------------------------------------------------
# Following a run's history.
# ---------------------------------------------------------------------------------------------


async def _pump(events: AsyncIterator[RunEvent], queue: asyncio.Queue[RunEvent | None]) -> None:
    """Move the followed events to `queue`; None once there are no more."""
    try:
        async for event in events:
            await queue.put(event)
    except Exception as exc:  # noqa: BLE001 - the stream ends with what the run answered
        log.warning("cannot follow the run's history: %s", exc)
    finally:
        queue.put_nowait(None)


async def _caught_up_with(executor: RunExecutor, run: RunRecord) -> str | None | bool:
    """What history must show once the run has answered: True when nothing (a refused
    resume leaves the execution as it was), False when its end (follow stops by itself),
    else the pause, as the id of its checkpoint (None: any pause)."""
    body = {} if run.task is None or run.task.cancelled() else run.task.result()
    desc = await executor.executions.describe(run.thread_id)
    if desc is None:
        return True
    if desc.status != WorkflowExecutionStatus.RUNNING:
        return False
    if "__error__" in body:
        return True
    snap = await executor.executions.snapshot(run.thread_id)
    return snap.checkpoint_id if snap is not None else None


async def followed(executor: RunExecutor, run: RunRecord) -> AsyncIterator[RunEvent]:
    """The run's history events, live, until the run has answered (paused, ended or was
    refused) and its history has caught up with the answer."""
    task = run.task
    assert task is not None
    known = asyncio.ensure_future(run.known.wait())  # a queued run waits for its turn
    await asyncio.wait({known, task}, return_when=asyncio.FIRST_COMPLETED)
    known.cancel()
    if run.temporal_run_id is None:
        return
    queue: asyncio.Queue[RunEvent | None] = asyncio.Queue()
    events = executor.gc.follow(run.thread_id, run.temporal_run_id, after_event=run.history_from)
    pump = asyncio.ensure_future(_pump(events, queue))
    loop = asyncio.get_running_loop()
    target: str | None | bool = False
    deadline: float | None = None
    last: RunEvent | None = None
    get: asyncio.Future[RunEvent | None] | None = None
    try:
        while True:
            get = get or asyncio.ensure_future(queue.get())
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            waiting: set[asyncio.Future[Any]] = {get} if task.done() else {get, task}
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if get.done():
                event, get = get.result(), None
                if event is None:
                    return  # the run (and any run it continued as) has ended
                last = event
                yield event
            if task.done() and deadline is None:
                target = await _caught_up_with(executor, run)
                deadline = loop.time() + CATCH_UP_SECONDS
            if deadline is None or target is False:
                if deadline is not None and loop.time() >= deadline:
                    log.warning("history of run %s did not show its end", run.run_id)
                    return
                continue
            if target is True or (
                isinstance(last, Paused) and target in (None, last.checkpoint_id)
            ):
                return
            if loop.time() >= deadline:
                log.warning("history of run %s did not show its pause", run.run_id)
                return
    finally:
        if get is not None:
            get.cancel()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


async def _read_once(executor: RunExecutor, thread_id: str, run_id: str) -> list[RunEvent]:
    """What a run's history holds now, read once (a paused run does not move on)."""
    reader = RunReader(thread_id, run_id, executor.gc.client.data_converter)
    handle = executor.gc.client.get_workflow_handle(thread_id, run_id=run_id)
    out: list[RunEvent] = []
    async for event in handle.fetch_history_events(skip_archival=True):
        out += await reader.feed(event)
    return out + reader.close()


def _event_id(event: RunEvent) -> int:
    return int(getattr(event, "event_id", 0))


def _paused(desc: WorkflowExecutionDescription) -> bool:
    return (
        desc.status == WorkflowExecutionStatus.RUNNING
        and desc.typed_search_attributes.get(STATUS_ATTRIBUTE) == "interrupted"
    )


async def rejoined(
    executor: RunExecutor, thread_id: str, desc: WorkflowExecutionDescription
) -> AsyncIterator[tuple[RunEvent, bool]]:
    """(event, live) of an execution from its start: `live` once the event came after the
    join. Until the execution pauses (after the join) or ends; an execution paused at the join
    gives its history as it is."""
    if _paused(desc):
        for event in await _read_once(executor, thread_id, desc.run_id):
            yield event, False
        return
    now = desc.history_length
    async for event in executor.gc.follow(thread_id, desc.run_id):
        live = getattr(event, "run_id", desc.run_id) != desc.run_id or _event_id(event) > now
        yield event, live
        if live and isinstance(event, Paused):
            return


# ---------------------------------------------------------------------------------------------
# POST .../runs/stream
# ---------------------------------------------------------------------------------------------


@dataclass
class StreamRequest:
    modes: list[str]
    resumable: bool
    subgraphs: bool = False

    @classmethod
    def of(cls, body: RunBody) -> StreamRequest:
        return cls(
            modes=stream_modes(body.stream_mode),
            resumable=body.stream_resumable,
            subgraphs=body.stream_subgraphs,
        )


def subgraph_events(
    executor: RunExecutor, subgraphs: Any, modes: Iterable[str], *, live: bool
) -> ChildEvents | None:
    """How a stream with stream_subgraphs reads its subgraphs' runs (None: without)."""
    if subgraphs is not True:
        return None
    return child_events(executor.gc.client, live=live, publish=wants_live(modes))


async def _all_live(events: AsyncIterator[RunEvent]) -> AsyncIterator[tuple[RunEvent, bool]]:
    async for event in events:
        yield event, True


def _error_frame(error: dict[str, Any], event_id: str | None) -> bytes:
    return frame(
        "error",
        {"error": error.get("error", "Error"), "message": error.get("message", "")},
        event_id,
    )


async def run_frames(
    executor: RunExecutor,
    run: RunRecord,
    request: StreamRequest,
    resumed_from: dict[str, Any] | None,
) -> AsyncIterator[bytes]:
    """The SSE frames of a streamed run (see the module docstring). `resumed_from`: the state
    a run without input continues from."""
    assert run.task is not None
    await executor.created(run)
    base = run.history_from
    ids = request.resumable
    parts = StreamParts(
        request.modes,
        thread_id=run.thread_id,
        run_id=run.run_id,
        metadata=run_metadata(run.graph, run.metadata),
    )
    meta = {"run_id": run.run_id, "attempt": 1}
    yield frame("metadata", meta, synthesized_id(base, 0) if ids else None)
    started = parts.start(resumed_from, input=run.kwargs.get("input"))
    for n, part in enumerate(started, start=1):
        yield frame(part.event, part.data, synthesized_id(base, n) if ids else None)
    last = base
    children = subgraph_events(executor, request.subgraphs, request.modes, live=True)
    async for _, out, _ in merged(_all_live(followed(executor, run)), parts, children):
        for part in out:
            last = max(last, part.source)
            yield frame(part.event, part.data, part_id(part) if ids else None)
    await asyncio.wait({run.task})
    body = {} if run.task.cancelled() else run.task.result()
    if "__error__" in body:
        yield _error_frame(body["__error__"], f"{last}-{SYNTHESIZED * 2}" if ids else None)


async def start_stream(
    executor: RunExecutor, thread_id: str, body: RunBody, *, stateless: bool
) -> tuple[RunRecord, AsyncIterator[bytes]]:
    """Submit the run and return it with its SSE body. A stateless run's thread is deleted
    once the stream ends (also when the client goes away: the run goes on, then this)."""
    request = StreamRequest.of(body)
    resumed_from: dict[str, Any] | None = None
    continuing = body.command is not None or body.input is None
    # The state a run without input continues from, read before it goes on (GraphRun
    # executions only).
    if (
        "values" in request.modes
        and continuing
        and not stateless
        and await executor.executions.describe(thread_id) is not None
    ):
        snap = await executor.executions.snapshot(thread_id)
        resumed_from = dict(snap.values) if snap is not None else None
    live = wants_live(request.modes)
    run = await executor.submit(thread_id, body, stateless=stateless, stream=live)
    await executor.created(run)

    async def events() -> AsyncIterator[bytes]:
        try:
            async for chunk in run_frames(executor, run, request, resumed_from):
                yield chunk
        finally:
            if stateless:
                executor.spawn(executor.after_stateless(run, body.on_completion))

    return run, events()


# ---------------------------------------------------------------------------------------------
# GET .../runs/{run_id}/stream
# ---------------------------------------------------------------------------------------------

RUN_NOT_FOUND = {"error": "HTTPException", "message": "404: Run not found"}


async def _not_found() -> AsyncIterator[bytes]:
    yield frame("error", RUN_NOT_FOUND)


async def join_stream(
    executor: RunExecutor,
    thread_id: str,
    run_id: str,
    *,
    stream_mode: list[str] | None,
    last_event_id: str | None,
    cancel_on_disconnect: bool,
) -> AsyncIterator[bytes]:
    """The SSE body of runs.join_stream (see the module docstring). An unknown run is the
    Agent Server's 200 with one `error` event."""
    after = parse_event_id(last_event_id)
    known = executor.find_run(thread_id, run_id)
    if stream_mode:
        modes = stream_modes(stream_mode)
    elif known is not None:
        modes = stream_modes(known.kwargs.get("stream_mode"))
    else:
        modes = list(DEFAULT_MODES)
    if known is not None and known.in_flight() and known.temporal_run_id is None:
        await executor.created(known)  # queued here: wait for its turn (at most 5 s)
    temporal_run_id = known.temporal_run_id if known is not None else run_id
    desc = (
        await executor.executions.describe(thread_id, temporal_run_id) if temporal_run_id else None
    )
    if desc is None:
        return _not_found()
    if (
        wants_live(modes)
        and desc.status == WorkflowExecutionStatus.RUNNING
        and not _paused(desc)
        and desc.run_id not in _STREAM_ASKED
    ):
        # Later node calls of a run started without streaming publish their live output. Once
        # per run and process: every signal lands in the run's history (a client reconnecting
        # in a loop must not grow it).
        _STREAM_ASKED.add(desc.run_id)
        with contextlib.suppress(Exception):
            handle = executor.gc.client.get_workflow_handle(thread_id, run_id=desc.run_id)
            await handle.signal(STREAM_WANTED_SIGNAL)
    graph = graph_name(desc)
    parts = StreamParts(
        modes,
        thread_id=thread_id,
        run_id=desc.run_id,
        metadata=run_metadata(graph, known.metadata if known is not None else None),
    )
    # The run's stream_subgraphs (a run this server process knows).
    subgraphs = known.kwargs.get("stream_subgraphs") if known is not None else False
    children = subgraph_events(executor, subgraphs, modes, live=False)

    async def frames() -> AsyncIterator[bytes]:
        done = False
        try:
            for part in parts.start(None):
                if after is not None and key_of(part) > after:
                    yield frame(part.event, part.data, part_id(part))
            ended: Ended | None = None
            async for event, out, live in merged(
                rejoined(executor, thread_id, desc), parts, children
            ):
                if isinstance(event, Ended):
                    ended = event
                for part in out:
                    if live or (after is not None and key_of(part) > after):
                        yield frame(part.event, part.data, part_id(part))
            if ended is not None and ended.status == "FAILED":
                failure = await executor.executions.failure(thread_id, desc.run_id)
                yield _error_frame(failure, None)
            done = True
        finally:
            if cancel_on_disconnect and not done:
                executor.spawn(_cancel_quietly(executor, thread_id, desc.run_id))

    return frames()


async def _cancel_quietly(executor: RunExecutor, thread_id: str, run_id: str) -> None:
    with contextlib.suppress(Exception):
        await executor.cancel_run(thread_id, run_id, wait=False)


# ---------------------------------------------------------------------------------------------
# GET /threads/{thread_id}/stream
# ---------------------------------------------------------------------------------------------

THREAD_POLL_SECONDS = 0.5
THREAD_MODES = frozenset({"run_modes", "lifecycle", "state_update"})


def thread_modes(stream_mode: list[str] | None) -> set[str]:
    """threads.join_stream's modes: "run_modes" (the runs' events, then "run_done"),
    "lifecycle" ("run_done" only); "state_update" is refused."""
    modes = set(stream_mode or ["run_modes"])
    unknown = sorted(modes - THREAD_MODES)
    if unknown:
        raise HttpError(422, f"stream_mode: unknown thread stream modes {unknown}")
    if "state_update" in modes:
        raise HttpError(422, "stream_mode state_update is not supported yet")
    return modes


def _after_event(event_id: int) -> tuple[int, ...]:
    """The key after every part made from history event `event_id`."""
    return (event_id, SYNTHESIZED * 2)


async def thread_stream(
    executor: RunExecutor,
    thread_id: str,
    *,
    stream_mode: list[str] | None,
    last_event_id: str | None,
) -> AsyncIterator[bytes]:
    """The SSE body of threads.join_stream (see the module docstring)."""
    modes = thread_modes(stream_mode)
    after = parse_event_id(last_event_id)
    _, at_join = await executor.store.existing(thread_id)  # 404 for an unknown thread

    async def frames() -> AsyncIterator[bytes]:
        seen: set[str] = set()
        while True:
            desc = await executor.executions.describe(thread_id)
            if desc is None or desc.run_id in seen:
                await asyncio.sleep(THREAD_POLL_SECONDS)
                continue
            seen.add(desc.run_id)
            known = executor.runs.get(desc.run_id)
            run_modes = stream_modes(known.kwargs.get("stream_mode")) if known else DEFAULT_MODES
            parts = StreamParts(
                run_modes,
                thread_id=thread_id,
                run_id=desc.run_id,
                metadata=run_metadata(graph_name(desc), known.metadata if known else None),
            )
            # The execution going on at the join: from the join (or after Last-Event-ID);
            # later ones whole.
            skip: tuple[int, ...] | None = None
            if at_join is not None and desc.run_id == at_join.run_id:
                skip = after or _after_event(at_join.history_length)
            parts.start(None)
            subgraphs = known.kwargs.get("stream_subgraphs") if known else False
            children = subgraph_events(executor, subgraphs, run_modes, live=True)
            events = _all_live(executor.gc.follow(thread_id, desc.run_id))
            async for event, out, _ in merged(events, parts, children):
                if event is None:  # a subgraph's parts
                    for part in out:
                        if "run_modes" in modes and (skip is None or key_of(part) > skip):
                            yield frame(part.event, part.data, part_id(part))
                    continue
                same = getattr(event, "run_id", desc.run_id) == desc.run_id
                shown = skip is None or not same or (_event_id(event),) > skip[:1]
                for part in out:
                    if "run_modes" in modes and (skip is None or not same or key_of(part) > skip):
                        yield frame(part.event, part.data, part_id(part))
                if isinstance(event, Paused | Ended) and shown:
                    run_id = getattr(event, "run_id", desc.run_id)
                    yield frame("metadata", {"status": "run_done", "run_id": run_id})
                if isinstance(event, ContinuedAsNew):
                    seen.add(event.new_run_id)

    return frames()
