"""Streamed runs (SSE): `values` and `updates` chunks read from Temporal history as the run goes.

"values" mode sends the state at each checkpoint the run records, then the final state with
`__interrupt__` at a dynamic interrupt; "updates" mode sends `{node: writes}` for each node
task as its superstep finishes (read from the node activity results), then the `__interrupt__`
chunk of a pause (an empty list at a static breakpoint); `error` carries {"error", "message"}
when the run fails. Other modes are accepted and send nothing. Interrupts are the run output's
(rendering.interrupt_json), as in the wait body.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from tempograph.http.executions import Executions
from tempograph.http.run_executor import RunExecutor, RunRecord
from tempograph.http.schemas import RunBody

POLL_SECONDS = 0.1


def stream_modes(stream_mode: str | list[str] | None) -> set[str]:
    """The modes asked for ("values" by default)."""
    if stream_mode is None:
        return {"values"}
    return {stream_mode} if isinstance(stream_mode, str) else set(stream_mode)


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def seen_so_far(executions: Executions, thread_id: str) -> set[str]:
    """The thread's checkpoints and node updates so far (a stream shows the ones its run
    adds)."""
    desc = await executions.describe(thread_id)
    if desc is None:
        return set()
    seen = {c.checkpoint_id for c in await executions.history(thread_id)}
    return seen | {key for key, _ in await executions.node_updates(thread_id, desc.run_id)}


async def run_events(
    executor: RunExecutor, run: RunRecord, modes: set[str], seen: set[str], *, continuing: bool
) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of a streamed run (see the module docstring)."""
    executions = executor.executions
    assert run.task is not None
    await executor.created(run)
    yield "metadata", {"run_id": run.run_id, "attempt": 1}
    last: Any = None
    if continuing and "values" in modes:
        snap = await executions.snapshot(run.thread_id)
        if snap is not None:
            last = dict(snap.values)
            yield "values", last
    while True:
        done = run.task.done()
        desc = await executions.describe(run.thread_id)
        if "updates" in modes and desc is not None:
            for key, update in await executions.node_updates(run.thread_id, desc.run_id):
                if key not in seen:
                    seen.add(key)
                    yield "updates", update
        if "values" in modes and desc is not None:
            for checkpoint in reversed(await executions.history(run.thread_id)):
                if checkpoint.checkpoint_id not in seen:
                    seen.add(checkpoint.checkpoint_id)
                    if checkpoint.values != last:
                        last = checkpoint.values
                        yield "values", last
        if done:
            break
        await asyncio.wait({run.task}, timeout=POLL_SECONDS)
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
    seen = set() if stateless else await seen_so_far(executor.executions, thread_id)
    continuing = body.command is not None or body.input is None
    run = await executor.submit(thread_id, body, stateless=stateless)
    await executor.created(run)

    async def events() -> AsyncIterator[bytes]:
        try:
            async for event, data in run_events(executor, run, modes, seen, continuing=continuing):
                yield sse(event, data)
        finally:
            if stateless:
                executor.spawn(executor.after_stateless(run, body.on_completion))

    return run, events()
