"""Live output of a node call (LLM tokens, custom events), sent to the node's own run.

Why signals to the run: the HTTP server (or a GraphClient) that streams a run may be another
process, or one of several replicas, and a worker only ever connects out to Temporal. A signal
lands in the run's history, which every reader already follows live (long-polling for new
events), in order, between the node's ActivityTaskScheduled and ActivityTaskCompleted events.
So tokens reach any number of readers, survive a reader's reconnect (a stream is replayed
from history: resumable streams need no other log), and need nothing but Temporal. Measured
on the dev server: signal to reader, p50 6 ms.

History stays bounded because items are batched: a batch goes out at once when the previous
one left at least `interval` ago (so the first token of a call is never held back), else when
that interval has passed. The interval grows with the node call's age (1/20 of it, between
MIN_INTERVAL and MAX_INTERVAL): a long generation sends at most ~10 batches a second at first,
then at most one per second. Each batch costs one signal event and one workflow task (4 history
events). A batch holds at most MAX_BATCH_BYTES: a node producing faster than batches leave
fills several, sent one after the other. Past MAX_CALL_BYTES per node call, further items are
dropped (with a warning): the node's messages still arrive whole with its result.

Only when a client streams the run (NodeTask.stream): otherwise nothing is published and
tokens cost nothing. Local-activity nodes publish nothing: a signal sent while the workflow
task runs their node would land in history after their result.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import threading
from typing import Any

import structlog
from pydantic_core import to_jsonable_python
from temporalio import activity

from tempograph.messages import STREAM_SIGNAL, NodeTask, StreamBatch, StreamItem

log = structlog.get_logger("tempograph.activities")

MIN_INTERVAL = 0.1
MAX_INTERVAL = 1.0
# One batch stays far below Temporal's 2 MiB payload limit; a bigger item is dropped.
MAX_BATCH_BYTES = 256 * 1024
# What one node call may add to its run's history as live output (~27,000 tokens). A step's
# history grows by at most this much per streaming node; the run continues as new between
# steps when Temporal suggests it, so a step, not a run, is what must stay far below
# Temporal's 50 MB history limit.
MAX_CALL_BYTES = 2 * 1024 * 1024
# What an item adds to its value's JSON in a batch ({"kind": ..., "call": ..., "value": }).
ITEM_OVERHEAD = 40


class Publisher:
    """Batches one node call's live items and signals them to its run, in order. `add` may be
    called from any thread (sync nodes run in a thread); `aclose` sends what is left and must
    be awaited before the node's result is returned (so history holds the items first)."""

    def __init__(self, task: NodeTask, loop: asyncio.AbstractEventLoop | None = None) -> None:
        info = activity.info()
        assert info.workflow_id is not None  # node activities belong to a run
        self._handle = activity.client().get_workflow_handle(
            info.workflow_id, run_id=info.workflow_run_id
        )
        self._task = task
        self._attempt = info.attempt
        self._loop = loop or asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._items: list[StreamItem] = []  # the open batch
        self._bytes = 0  # its size
        # Full batches waiting to be sent, oldest first: a batch never exceeds MAX_BATCH_BYTES,
        # however fast the node produces (a signal in flight, a starved event loop).
        self._sealed: collections.deque[list[StreamItem]] = collections.deque()
        self._total = 0
        self._dropped = 0
        self._failed = 0
        self._seq = 0
        self._started = self._loop.time()
        self._last_sent: float | None = None
        self._wake = asyncio.Event()
        self._closing = False
        self._sender = self._loop.create_task(self._run())

    def add(self, kind: str, value: Any = None, call: int = 0) -> None:
        """Queue one item (see messages.StreamItem); JSON-ready values only."""
        item = StreamItem(kind=kind, call=call, value=value)  # type: ignore[arg-type]
        # As JSON with \u escapes: never less than the item's encoded size.
        size = len(json.dumps(to_jsonable_python(value), separators=(",", ":"))) + ITEM_OVERHEAD
        with self._lock:
            if size > MAX_BATCH_BYTES or self._total + size > MAX_CALL_BYTES:
                if not self._dropped:
                    log.warning(
                        "live output over the per-node limit is not streamed",
                        node=self._task.node,
                        max_item_bytes=MAX_BATCH_BYTES,
                        max_call_bytes=MAX_CALL_BYTES,
                    )
                self._dropped += 1
                return
            if self._bytes + size > MAX_BATCH_BYTES:
                self._sealed.append(self._items)
                self._items, self._bytes = [], 0
            self._items.append(item)
            self._bytes += size
            self._total += size
        self._loop.call_soon_threadsafe(self._wake.set)

    def interval(self) -> float:
        age = self._loop.time() - self._started
        return min(MAX_INTERVAL, max(MIN_INTERVAL, age / 20))

    async def _run(self) -> None:
        while True:
            if not self._closing:
                await self._wake.wait()
                self._wake.clear()
            if not self._closing and self._last_sent is not None:
                with self._lock:
                    full = bool(self._sealed)
                wait = self._last_sent + self.interval() - self._loop.time()
                if wait > 0 and not full:
                    # Gather what else comes meanwhile; aclose cuts the wait short.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closed_or_full(), timeout=wait)
            await self._send()
            with self._lock:
                backlog = bool(self._sealed)
                done = self._closing and not self._items and not backlog
            if done:  # items added while the last batch was on its way go out first
                if self._failed or self._dropped:
                    log.warning(
                        "live output incomplete",
                        node=self._task.node,
                        batches_not_delivered=self._failed,
                        items_over_limit=self._dropped,
                    )
                return
            if backlog:
                self._wake.set()  # full batches go out one after the other

    async def _closed_or_full(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            with self._lock:
                if self._closing or self._sealed:
                    return

    async def _send(self) -> None:
        """Send one batch: the oldest full one, else the open one."""
        with self._lock:
            if self._sealed:
                items = self._sealed.popleft()
            else:
                items, self._items, self._bytes = self._items, [], 0
        if not items:
            return
        batch = StreamBatch(
            node=self._task.node,
            task_id=self._task.task_id,
            step=self._task.step,
            attempt=self._attempt,
            seq=self._seq,
            items=items,
        )
        self._seq += 1
        self._last_sent = self._loop.time()
        try:
            await self._handle.signal(STREAM_SIGNAL, batch)
        except Exception as exc:  # noqa: BLE001 - a stream must never fail the node
            self._failed += 1
            log.warning("live output not delivered", node=self._task.node, error=str(exc))

    async def aclose(self) -> None:
        """Send what is left; returns once the run has it (or sending failed)."""
        with self._lock:
            self._closing = True
        self._wake.set()
        await self._sender
