"""What the thread endpoints answer: the thread object (status from status.TABLE), searches,
the thread's state and history, and state edits. Built from the thread store and the
thread's executions; everything is read from Temporal."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.exceptions import WorkflowAlreadyStartedError

from tempograph._client.failures import translates_rpc_errors
from tempograph._workflows.thread_record import ThreadTTL
from tempograph.errors import TempographError
from tempograph.http.assistant_catalog import subset
from tempograph.http.errors import (
    THREAD_EXISTS,
    UNAVAILABLE,
    HttpError,
    addressable,
    check_message,
    check_new_thread_id,
    http_error,
)
from tempograph.http.executions import (
    CLOSED_RESUMABLE,
    StateTooLargeError,
    graph_name,
    is_paused,
    listed_as_paused,
)
from tempograph.http.parts import ThreadParts
from tempograph.http.rendering import (
    assistant_id_of,
    checkpoint_state_json,
    empty_state,
    now,
    state_json,
    thread_json,
    update_state_json,
)
from tempograph.http.status import TABLE, thread_error
from tempograph.http.thread_store import (
    Candidate,
    ThreadEntry,
    check_metadata_keys,
    delayed,
    ttl_json,
)
from tempograph.http.thread_updates import Update, extracted
from tempograph.messages import Checkpoint, RunInput, StartFrom, StateUpdate
from tempograph.payloads import MAX_PAYLOAD_BYTES


class ThreadViews(ThreadParts):
    # -----------------------------------------------------------------------------------------
    # The thread object.
    # -----------------------------------------------------------------------------------------

    async def thread_object(
        self,
        thread_id: str,
        record: ThreadEntry | None,
        desc: WorkflowExecutionDescription | None,
    ) -> dict[str, Any]:
        metadata = dict(record.metadata) if record else {}
        created = record.created_at if record else None
        updated = record.updated_at if record else None
        status, values, error, snap = "idle", None, None, None
        if desc is not None:
            graph = graph_name(desc)
            metadata.setdefault("graph_id", graph)
            metadata.setdefault("assistant_id", assistant_id_of(graph))
            # A record may be written after the thread's first run (metadata, refused resume).
            created = min(created, desc.start_time) if created else desc.start_time
            updated = max(d for d in (updated, desc.close_time, desc.start_time) if d is not None)
            if delayed(desc):
                status = "busy"  # its first run waits for its start (after_seconds)
            elif desc.status == WorkflowExecutionStatus.COMPLETED:
                # The run's result holds its final values: no query (no history replay).
                values = await self.executions.result(thread_id, desc.run_id)
            else:
                snap = await self.executions.snapshot(thread_id)
                values = snap.values if snap is not None else None
                refused = record.refused_at(snap.checkpoint_id) if record and snap else None
                # A state that cannot be read (too large to send, no worker): the status the
                # run last recorded in its search attribute, values unknown.
                paused = is_paused(snap) if snap is not None else listed_as_paused(desc)
                reading = await self.executions.read(
                    thread_id, desc, paused=paused, refused=refused is not None
                )
                status = TABLE[reading.outcome].thread
                error = thread_error(
                    reading.outcome, desc.status, failure=reading.failure, refused=refused
                )
        if record is not None and record.lock.locked():
            status = "busy"
        return thread_json(
            thread_id,
            metadata=metadata,
            created_at=created or now(),
            updated_at=updated,
            status=status,
            values=values,
            error=error,
            snap=snap,
        )

    async def listed_status(self, c: Candidate) -> str:
        """The thread status of a search candidate, from visibility (no state query unless the
        thread keeps a refused resume)."""
        ex = c.execution
        if c.record is not None and c.record.lock.locked():
            return "busy"
        if ex is None:
            return "idle"
        paused = refused = False
        if ex.status == WorkflowExecutionStatus.RUNNING:
            paused = listed_as_paused(ex)
            if paused and c.record is not None and c.record.error is not None:
                snap = await self.executions.snapshot(c.thread_id)
                refused = snap is not None and c.record.refused_at(snap.checkpoint_id) is not None
        reading = await self.executions.read(c.thread_id, ex, paused=paused, refused=refused)
        return TABLE[reading.outcome].thread

    # -----------------------------------------------------------------------------------------
    # Threads.
    # -----------------------------------------------------------------------------------------

    async def get_thread(self, thread_id: str, *, include_ttl: bool = False) -> dict[str, Any]:
        record, desc = await self.store.existing(thread_id)
        thread = await self.thread_object(thread_id, record, desc)
        if include_ttl and record is not None and record.ttl is not None:
            # Only a thread with a TTL has it.
            thread["ttl"] = ttl_json(record.ttl, record.created_at)
        return thread

    async def create_thread(
        self,
        thread_id: str | None,
        metadata: dict[str, Any] | None,
        if_exists: str | None,
        *,
        ttl: ThreadTTL | None = None,
        supersteps: list[Update] | None = None,
    ) -> dict[str, Any]:
        thread_id = thread_id or str(uuid.uuid4())
        check_new_thread_id(thread_id)
        check_message("metadata", metadata)
        check_metadata_keys(metadata)
        graph = self.superstep_graph(metadata) if supersteps else None
        record, desc = await self.store.lookup(thread_id)
        if record is not None or desc is not None:
            if if_exists == "do_nothing":
                self.check_kept(thread_id, record, ttl, supersteps)
                return await self.thread_object(thread_id, record, desc)
            raise HttpError(409, THREAD_EXISTS.format(thread_id))
        if await self.store.foreign(thread_id):
            raise HttpError(409, UNAVAILABLE.format(thread_id))
        try:
            record = await self.store.create(thread_id, metadata, ttl)
        except WorkflowAlreadyStartedError:
            # Created meanwhile by another request or server process (or another workflow
            # took the record's id meanwhile).
            if await self.store.foreign(thread_id):
                raise HttpError(409, UNAVAILABLE.format(thread_id)) from None
            if if_exists == "do_nothing":
                self.check_kept(thread_id, await self.store.load_record(thread_id), ttl, supersteps)
                return await self.get_thread(thread_id)
            raise HttpError(409, THREAD_EXISTS.format(thread_id)) from None
        if graph is not None and supersteps:
            # A run sent meanwhile waits (or is refused) as on a busy thread.
            async with record.lock:
                await self.apply_supersteps(thread_id, graph, supersteps)
            return await self.get_thread(thread_id)
        return await self.thread_object(thread_id, record, None)

    @staticmethod
    def check_kept(
        thread_id: str,
        record: ThreadEntry | None,
        ttl: ThreadTTL | None,
        supersteps: list[Update] | None,
    ) -> None:
        """if_exists="do_nothing" on an existing thread leaves it as it is: a TTL or
        supersteps it would not get are refused (409), not dropped."""
        if supersteps:
            raise HttpError(
                409,
                f"supersteps: thread {thread_id} already exists (if_exists=do_nothing leaves "
                "it as it is); edit its state with update_state",
            )
        have = record.ttl.ttl_minutes if record is not None and record.ttl else None
        if ttl is not None and ttl.ttl_minutes != have:
            raise HttpError(
                409,
                f"ttl: thread {thread_id} already exists with "
                + (f"a TTL of {have} minutes" if have else "no TTL")
                + " (if_exists=do_nothing leaves it as it is); set it with threads.update",
            )

    def superstep_graph(self, metadata: dict[str, Any] | None) -> str:
        """The graph whose state the supersteps build: the thread's `graph_id` (metadata; the
        SDK's graph_id= puts it there), as on the Agent Server."""
        graph = (metadata or {}).get("graph_id")
        if not isinstance(graph, str) or not graph:
            raise HttpError(
                422,
                "supersteps: the thread has no graph: give metadata.graph_id (the SDK's "
                f"graph_id=), one of {sorted(self.catalog.graphs)}",
            )
        if graph not in self.catalog.graphs:
            raise HttpError(
                422,
                f"metadata.graph_id: unknown graph {graph!r}; this server serves "
                f"{sorted(self.catalog.graphs)}",
            )
        return graph

    async def apply_supersteps(self, thread_id: str, graph: str, updates: list[Update]) -> None:
        """Build the new thread's state from its supersteps, in order, one checkpoint each
        (bulk update_state): the first starts the thread's first run from an empty state with
        the update applied (as a fork edited with update_state), the others edit it as
        update_state does. When one is refused, the thread is deleted again (nothing half
        made is left) and the answer names the superstep."""
        done = 0
        try:
            first = updates[0]
            start = StartFrom(
                checkpoint_id="",
                values={},
                next=[],
                step=-1,
                pause=True,
                update=StateUpdate(values=first.values, as_node=first.as_node),
            )
            run_input = RunInput(
                graph=graph, thread_id=thread_id, previous_run_id="", start_from=start
            )
            start_run = translates_rpc_errors(type(self.gc)._start)
            await start_run(self.gc, run_input, thread_id, True)
            done = 1
            for update in updates[1:]:
                await self.gc.update_state(thread_id, update.values, update.as_node)
                done += 1
        except (TempographError, ValueError) as exc:
            await self.store.delete(thread_id)
            error = http_error(exc) if isinstance(exc, TempographError) else None
            status = error.status if error is not None else 422
            raise HttpError(
                status if 400 <= status < 500 else 422,
                f"{updates[done].where}: {exc} (the thread was not created)",
            ) from None

    async def patch_thread(
        self, thread_id: str, metadata: dict[str, Any] | None, ttl: ThreadTTL | None = None
    ) -> dict[str, Any]:
        check_message("metadata", metadata)
        check_metadata_keys(metadata)
        record, desc = await self.store.existing(thread_id)
        record = record or self.store.entry(thread_id)
        if ttl is not None:
            await self.store.set_ttl(record, ttl)
        await self.store.save_metadata(record, metadata or {})
        return await self.thread_object(thread_id, record, desc)

    async def delete_thread(self, thread_id: str) -> None:
        await self.store.existing(thread_id)
        await self.store.delete(thread_id)

    async def copy_thread(self, thread_id: str) -> dict[str, Any]:
        """A new thread with the thread's metadata and its latest state: a fork of its latest
        checkpoint (its earlier checkpoints stay with the original). Paused at an interrupt:
        the copy asks again (its node runs up to the interrupt, as a resume would); with nodes
        next otherwise (a breakpoint, a failed or cancelled run): the copy waits before them
        (a run without input continues); finished: the copy is finished with those values."""
        record, desc = await self.store.lookup(thread_id)
        if record is None and desc is None:
            raise HttpError(409, f"Thread with ID {thread_id} not found")
        new_id = str(uuid.uuid4())
        copied = await self.store.create(new_id, dict(record.metadata) if record else {})
        if desc is None:
            return await self.thread_object(new_id, copied, None)
        history = await self.checkpoints(thread_id)
        if history:
            latest = history[0]
            snap = await self.executions.snapshot(thread_id)
            asking = (
                desc.status == WorkflowExecutionStatus.RUNNING
                and snap is not None
                and snap.paused_at == "interrupt"
                and snap.checkpoint_id == latest.checkpoint_id
            )
            start = StartFrom(
                checkpoint_id=latest.checkpoint_id,
                values=latest.values,
                next=latest.next,
                step=latest.step,
                pause=bool(latest.next) and not asking,
            )
            run_input = RunInput(
                graph=graph_name(desc), thread_id=new_id, previous_run_id="", start_from=start
            )
            start_run = translates_rpc_errors(type(self.gc)._start)
            await start_run(self.gc, run_input, new_id, True)
        return await self.get_thread(new_id)

    async def prune_threads(self, thread_ids: list[str], strategy: str) -> int:
        """Delete these threads (strategy "delete"); unknown ones are skipped. The number
        deleted."""
        if strategy != "delete":
            raise HttpError(
                422,
                f"strategy {strategy!r} is not supported: a thread's checkpoints are its runs' "
                "Temporal histories, kept whole; use 'delete'",
            )
        pruned = 0
        for thread_id in dict.fromkeys(thread_ids):
            if not addressable(thread_id):
                continue
            record, desc = await self.store.lookup(thread_id)
            if record is None and desc is None:
                continue
            await self.store.delete(thread_id)
            pruned += 1
        return pruned

    async def search_threads(
        self,
        *,
        ids: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        status: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int = 10,
        offset: int = 0,
        extract: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Filter and sort on what Temporal's visibility and describe tell cheaply (status,
        times, graph); build the full thread objects (state queries) for the page only, or for
        every match when filtering on values."""
        candidates = await self.store.candidates(ids, self.catalog.graphs)
        semaphore = asyncio.Semaphore(16)

        async def summary(c: Candidate) -> Candidate:
            async with semaphore:
                c.status = await self.listed_status(c)
            return c

        summed = await asyncio.gather(*(summary(c) for c in candidates))
        found = [
            c
            for c in summed
            if (status is None or c.status == status) and subset(metadata, c.metadata())
        ]
        key = sort_by or "updated_at"
        found.sort(key=lambda c: c.sort_key(key), reverse=(sort_order or "desc") == "desc")
        if not values:
            found = found[offset : offset + limit]

        async def build(c: Candidate) -> dict[str, Any]:
            async with semaphore:
                desc = (
                    await self.executions.describe(c.thread_id) if c.execution is not None else None
                )
                return await self.thread_object(c.thread_id, c.record, desc)

        built = await asyncio.gather(*(build(c) for c in found))
        if values:
            built = [t for t in built if subset(values, t["values"])][offset : offset + limit]
        if extract:
            for thread in built:
                thread["extracted"] = extracted(thread, extract)
        return list(built)

    # -----------------------------------------------------------------------------------------
    # State and history.
    # -----------------------------------------------------------------------------------------

    async def get_state(self, thread_id: str) -> dict[str, Any]:
        _, desc = await self.store.existing(thread_id)
        if desc is None:
            return empty_state()
        try:
            snap = await self.executions.query_state(thread_id)
        except StateTooLargeError as exc:
            raise HttpError(
                413,
                f"The state of thread {thread_id} is too large to send (over "
                f"payloads.MAX_PAYLOAD_BYTES, {MAX_PAYLOAD_BYTES} bytes): {exc} Over HTTP, "
                f"read its checkpoints with POST /threads/{thread_id}/history.",
            ) from None
        if snap is None:
            raise HttpError(503, f"Cannot read the state of thread {thread_id} (is a worker up?)")
        history = await self.executions.history(thread_id)
        checkpoint = next((c for c in history if c.checkpoint_id == snap.checkpoint_id), None)
        return state_json(thread_id, graph_name(desc), snap, checkpoint)

    async def checkpoints(self, thread_id: str) -> list[Checkpoint]:
        """The thread's checkpoints, newest first, less those of runs deleted here (Temporal
        deletes their executions in the background)."""
        history = await self.executions.history(thread_id)
        return [c for c in history if c.run_id not in self.store.deleted_runs]

    async def get_history(
        self,
        thread_id: str,
        *,
        limit: int,
        before: str | None,
        metadata: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        _, desc = await self.store.existing(thread_id)
        if desc is None:
            return []
        history = await self.checkpoints(thread_id)
        if before is not None:
            ids = [c.checkpoint_id for c in history]
            if before not in ids:
                raise HttpError(404, f"Checkpoint {before} not found in thread {thread_id}")
            history = history[ids.index(before) + 1 :]
        snap = await self.executions.snapshot(thread_id)
        graph = graph_name(desc)
        states = [
            state_json(thread_id, graph, snap, c)
            if snap is not None and c.checkpoint_id == snap.checkpoint_id and i == 0
            else checkpoint_state_json(thread_id, graph, c)
            for i, c in enumerate(history)
        ]
        states = [s for s in states if subset(metadata, s["metadata"])]
        return states[:limit]

    async def get_state_at(self, thread_id: str, checkpoint_id: str) -> dict[str, Any]:
        _, desc = await self.store.existing(thread_id)
        history = await self.checkpoints(thread_id) if desc is not None else []
        for checkpoint in history:
            if checkpoint.checkpoint_id == checkpoint_id:
                assert desc is not None
                return checkpoint_state_json(thread_id, graph_name(desc), checkpoint)
        raise HttpError(404, f"Checkpoint {checkpoint_id} not found in thread {thread_id}")

    async def update_state(
        self,
        thread_id: str,
        values: dict[str, Any] | list[dict[str, Any]] | None,
        as_node: str | None,
        checkpoint_id: str | None,
    ) -> dict[str, Any]:
        """One edit, or a list of edits applied in order (each as `as_node`, one checkpoint
        each; the first at `checkpoint_id`). The answer is the last edit's checkpoint."""
        check_message("values", values)
        edits = values if isinstance(values, list) else [values]
        record, desc = await self.store.existing(thread_id)
        if desc is None:
            raise HttpError(
                400,
                f"Thread {thread_id} has no assigned graph ID: it has no run yet. Start a run "
                "first (update_state edits a paused run).",
            )
        record = record or self.store.entry(thread_id)
        if record.lock.locked():
            raise HttpError(409, f"Thread {thread_id} has in-flight runs: {[desc.run_id]}")
        async with record.lock:
            snap = await self.executions.snapshot(thread_id)
            if desc.status == WorkflowExecutionStatus.RUNNING and not is_paused(snap):
                raise HttpError(409, f"Thread {thread_id} has in-flight runs: {[desc.run_id]}")
            if desc.status in CLOSED_RESUMABLE and checkpoint_id is None:
                # A failed or cancelled run: edit a fork of its latest checkpoint.
                history = await self.executions.history(thread_id)
                checkpoint_id = history[0].checkpoint_id if history else None
            if (
                snap is not None
                and checkpoint_id == snap.checkpoint_id
                and desc.status == WorkflowExecutionStatus.RUNNING
            ):
                checkpoint_id = None  # the head: a plain edit of the paused run
            if checkpoint_id is not None:
                await self.executions.close_paused(thread_id)
            applied: str | None = None
            for i, edit in enumerate(edits):
                try:
                    result = await self.gc.update_state(
                        thread_id, edit, as_node, checkpoint_id=checkpoint_id if i == 0 else None
                    )
                except (TempographError, ValueError) as exc:
                    if isinstance(exc, TempographError):
                        error = http_error(exc)
                        if error is None:
                            raise
                    else:  # an unknown checkpoint id
                        error = HttpError(404, str(exc))
                    if i == 0:
                        raise error from None
                    raise HttpError(
                        error.status,
                        f"values[{i}]: {exc} (values[0..{i - 1}] were applied: checkpoint "
                        f"{applied})",
                    ) from None
                applied = result.checkpoint_id
            await self.store.forget_refused(record)
            record.updated_at = now()
        return update_state_json(thread_id, result.checkpoint_id)
