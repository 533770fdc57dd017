"""Streamed runs (SSE): `values` and `updates` chunks read from Temporal history as the run goes.

The chunks come from one live pass over the run's history (GraphClient.follow: it long-polls
for new events, never re-reading the history from its start), in step order, interleaved as
the Agent Server sends them: the state before the first step, then per superstep the
`{node: writes}` of each node task as it finishes and the state after the step. A stream of a
resume starts with the state it resumes from and shows only what the resume adds (follow
skips the events the execution held before it). At a pause: the `__interrupt__` chunk in
"updates" mode (an empty list at a static breakpoint), then the state with `__interrupt__` in
"values" mode; `error` carries {"error", "message"} when the run fails. Other modes are
accepted and send nothing. Interrupts are the run output's (rendering.interrupt_json), as in
the wait body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from tempograph.client import Checkpointed, NodeUpdated, Paused, RunEvent
from tempograph.http.run_executor import RunExecutor, RunRecord
from tempograph.http.schemas import RunBody

log = logging.getLogger("tempograph.http")

# Once the run has answered, how long its history may take to show what led to the answer
# (normally one long poll's round trip) before the stream ends without it.
CATCH_UP_SECONDS = 10.0
HISTORY_MODES = frozenset({"values", "updates"})


def stream_modes(stream_mode: str | list[str] | None) -> set[str]:
    """The modes asked for ("values" by default)."""
    if stream_mode is None:
        return {"values"}
    return {stream_mode} if isinstance(stream_mode, str) else set(stream_mode)


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


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


async def run_events(
    executor: RunExecutor, run: RunRecord, modes: set[str], resumed_from: dict[str, Any] | None
) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of a streamed run (see the module docstring). `resumed_from`: the
    state a run without input continues from (sent first in "values" mode)."""
    executions = executor.executions
    assert run.task is not None
    await executor.created(run)
    yield "metadata", {"run_id": run.run_id, "attempt": 1}
    last: Any = None
    if resumed_from is not None and "values" in modes:
        last = resumed_from
        yield "values", last
    if modes & HISTORY_MODES:
        top = -1  # the latest step whose state was sent: a revised older one is not resent
        async for event in followed(executor, run):
            if isinstance(event, NodeUpdated) and "updates" in modes:
                yield "updates", {event.update.node: event.update.values}
            elif isinstance(event, Checkpointed) and "values" in modes:
                checkpoint = event.checkpoint
                if checkpoint.values != last and (not event.revised or checkpoint.step >= top):
                    top, last = max(top, checkpoint.step), checkpoint.values
                    yield "values", last
    await asyncio.wait({run.task})
    body = {} if run.task.cancelled() else run.task.result()
    if "__error__" in body:
        yield "error", body["__error__"]
        return
    snap = await executions.snapshot(run.thread_id)
    interrupts = body.get("__interrupt__")  # rendered by wait_body already
    if "updates" in modes and snap is not None and snap.status == "interrupted":
        yield "updates", {"__interrupt__": interrupts or []}
    if "values" in modes:
        final = {k: v for k, v in body.items() if k != "__interrupt__"}
        if not final and interrupts and snap is not None:
            final = dict(snap.values)  # several interrupts: the wait body has no values
        if interrupts:
            yield "values", {**final, "__interrupt__": interrupts}
        elif final != last:
            yield "values", final


async def start_stream(
    executor: RunExecutor, thread_id: str, body: RunBody, *, stateless: bool
) -> tuple[RunRecord, AsyncIterator[bytes]]:
    """Submit the run and return it with its SSE body. A stateless run's thread is deleted
    once the stream ends (also when the client goes away: the run goes on, then this)."""
    modes = stream_modes(body.stream_mode)
    resumed_from: dict[str, Any] | None = None
    continuing = body.command is not None or body.input is None
    # The state a run without input continues from, read before it goes on (GraphRun
    # executions only).
    if (
        "values" in modes
        and continuing
        and not stateless
        and await executor.executions.describe(thread_id) is not None
    ):
        snap = await executor.executions.snapshot(thread_id)
        resumed_from = dict(snap.values) if snap is not None else None
    run = await executor.submit(thread_id, body, stateless=stateless)
    await executor.created(run)

    async def events() -> AsyncIterator[bytes]:
        try:
            async for event, data in run_events(executor, run, modes, resumed_from):
                yield sse(event, data)
        finally:
            if stateless:
                executor.spawn(executor.after_stateless(run, body.on_completion))

    return run, events()
