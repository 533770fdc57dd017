"""Threads: their records (metadata, and the error of a refused resume), tombstones, and the
threads a search can list.

A thread is a Temporal workflow id. A thread created with POST /threads, and any thread whose
metadata was set, also has a record: a small TempographThread workflow (id `<thread>/thread`,
tempograph/_workflows/thread_record.py) holding the metadata (and the TTL) in its memo. A
deleted thread leaves that record terminated: its tombstone; a thread whose TTL ran out leaves
it ended with its TTL memo marked expired, a tombstone too (its runs are deleted by the first
look-up, search or sweep that meets it). The record also keeps the error of a resume the
run refused (REFUSED_KEY, hidden from the metadata clients see), since a refused update leaves
no trace in the run itself: every server process then shows the same thread status.

`threads` caches the records in this process (re-read from Temporal on each look-up of a
thread); what only this process holds is each thread's lock (one run at a time per thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from tempograph._workflows.thread_record import SET_TTL_UPDATE, TTL_MEMO, ThreadTTL, ttl_memo
from tempograph.http.bounded import BoundedDict, BoundedSet
from tempograph.http.errors import UNAVAILABLE, HttpError, addressable, thread_not_found
from tempograph.http.executions import Executions, graph_name
from tempograph.http.rendering import assistant_id_of, iso, now
from tempograph.messages import (
    THREAD_MEMO,
    THREAD_PATCH_UPDATE,
    THREAD_RECORD_WORKFLOW,
    WORKFLOW_TYPE,
    ThreadMetadata,
    thread_memo,
    thread_record_id,
)
from tempograph.ownership import own_runs, quote

log = logging.getLogger("tempograph.http")

# The record's metadata key for a refused resume: {"error", "message", "checkpoint_id"}, or
# None once the thread has moved on. Never shown as metadata; refused in requests.
REFUSED_KEY = "__tempograph_refused_resume__"
DELETED_REASON = "thread deleted"
MAX_SEARCHED = 500


def delayed(execution: WorkflowExecution) -> bool:
    """Whether the execution waits for its start (after_seconds: Temporal's start_delay)."""
    return (
        execution.status == WorkflowExecutionStatus.RUNNING
        and execution.execution_time is not None
        and execution.execution_time > now()
    )


def check_metadata_keys(metadata: dict[str, Any] | None) -> None:
    if metadata and REFUSED_KEY in metadata:
        raise HttpError(422, f"metadata: the key {REFUSED_KEY!r} is reserved")


@dataclass
class ThreadEntry:
    """A thread's record as this process last read it, and its lock."""

    thread_id: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    # Whether Temporal holds this thread's record (a TempographThread workflow).
    persisted: bool = False
    # One run at a time per thread, in this process (multitask_strategy waits or refuses here).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The error of the last run when it left the Temporal run untouched (a refused resume):
    # the thread shows status "error" while the run is still at `error_checkpoint`.
    error: dict[str, str] | None = None
    error_checkpoint: str | None = None
    # The record memo's `updated_at` last applied here (an older memo read later is ignored).
    synced_at: datetime | None = None
    # The thread's TTL (the record's TTL memo): its deadline moves with each activity.
    ttl: ThreadTTL | None = None

    def refused_at(self, checkpoint_id: str | None) -> dict[str, str] | None:
        """The refused resume's error, if the run is still where it was refused."""
        if self.error is not None and self.error_checkpoint == checkpoint_id:
            return self.error
        return None

    def apply(self, memo: ThreadMetadata) -> None:
        """Take the record's metadata (and refused resume) from its memo."""
        metadata = dict(memo.metadata)
        refused = metadata.pop(REFUSED_KEY, None)
        self.metadata = metadata
        if isinstance(refused, dict):
            self.error = {
                "error": str(refused.get("error")),
                "message": str(refused.get("message")),
            }
            self.error_checkpoint = refused.get("checkpoint_id")
        else:
            self.error, self.error_checkpoint = None, None
        if memo.updated_at is not None:
            self.synced_at = memo.updated_at
            self.updated_at = max(self.updated_at, memo.updated_at)


@dataclass
class Candidate:
    """A thread in a search: its record and latest execution, as listed (cheap)."""

    thread_id: str
    record: ThreadEntry | None
    execution: WorkflowExecution | None
    status: str = "idle"

    def metadata(self) -> dict[str, Any]:
        meta = dict(self.record.metadata) if self.record else {}
        if self.execution is not None:
            graph = graph_name(self.execution)
            meta.setdefault("graph_id", graph)
            meta.setdefault("assistant_id", assistant_id_of(graph))
        return meta

    def sort_key(self, key: str) -> str:
        ex = self.execution
        if key == "thread_id":
            return self.thread_id
        if key == "status":
            return self.status
        created = self.record.created_at if self.record else ex.start_time if ex else None
        if key == "created_at":
            return iso(created) or ""
        stamps = [self.record.updated_at] if self.record else []
        if ex is not None:
            stamps += [d for d in (ex.close_time, ex.start_time) if d is not None]
        return iso(max(stamps)) or "" if stamps else ""


async def _thread_memo(execution: WorkflowExecution) -> ThreadMetadata:
    memo = await execution.memo_value(THREAD_MEMO, default=None, type_hint=ThreadMetadata)
    return memo if isinstance(memo, ThreadMetadata) else ThreadMetadata()


async def _ttl_memo(execution: WorkflowExecution) -> ThreadTTL | None:
    """The record's TTL (None without one, or when its memo cannot be read)."""
    try:
        memo = await execution.memo_value(TTL_MEMO, default=None, type_hint=ThreadTTL)
    except Exception:  # noqa: BLE001 - a memo written by something else: no TTL
        return None
    return memo if isinstance(memo, ThreadTTL) else None


async def expired_at(execution: WorkflowExecution) -> datetime | None:
    """When a closed record expired (its TTL ran out): the thread's deletion time."""
    if execution.status != WorkflowExecutionStatus.COMPLETED or execution.close_time is None:
        return None
    ttl = await _ttl_memo(execution)
    return execution.close_time if ttl is not None and ttl.expired else None


def ttl_json(ttl: ThreadTTL, created_at: datetime) -> dict[str, Any]:
    """The Agent Server's `ttl` of a thread (GET /threads/{id}?include=ttl). A record that
    has not yet run its first workflow task has no deadline in its memo: it will count from
    its start."""
    expires = ttl.expires_at or created_at + timedelta(minutes=ttl.ttl_minutes)
    return {"strategy": ttl.strategy, "ttl_minutes": ttl.ttl_minutes, "expires_at": iso(expires)}


class ThreadStore:
    def __init__(self, executions: Executions, task_queue: str, cache_size: int) -> None:
        self.executions = executions
        self.client = executions.client
        self.task_queue = task_queue
        # Bounded (least recently used out): a long-lived server sees unboundedly many ids.
        # A thread whose lock is held stays until released.
        self.threads: BoundedDict[str, ThreadEntry] = BoundedDict(
            cache_size, pinned=lambda t: t.lock.locked()
        )
        self.deleted = executions.deleted
        # Runs deleted here (runs.delete, rollback): their Temporal run ids and provisional
        # ids. Not shown (404, no checkpoints) while Temporal deletes them in the background.
        self.deleted_runs: BoundedSet[str] = BoundedSet(cache_size)

    # -----------------------------------------------------------------------------------------
    # Look-ups.
    # -----------------------------------------------------------------------------------------

    async def lookup(
        self, thread_id: str
    ) -> tuple[ThreadEntry | None, WorkflowExecutionDescription | None]:
        """The thread's record (read again from Temporal) and latest execution."""
        record, desc = await asyncio.gather(
            self.load_record(thread_id), self.executions.describe(thread_id)
        )
        # load_record may just have found the thread's tombstone.
        return record, None if thread_id in self.deleted else desc

    async def existing(
        self, thread_id: str
    ) -> tuple[ThreadEntry | None, WorkflowExecutionDescription | None]:
        record, desc = await self.lookup(thread_id)
        if record is None and desc is None:
            raise thread_not_found(thread_id)
        return record, desc

    async def load_record(self, thread_id: str, *, fresh: bool = True) -> ThreadEntry | None:
        """The thread's record, read from its TempographThread workflow (written by any server
        process); the cached copy when `fresh` is false and there is one."""
        cached = self.threads.get(thread_id)
        if thread_id in self.deleted or (cached is not None and not fresh):
            return cached
        desc = await self._describe_record(thread_id)
        if desc is None:
            return cached
        if desc.status == WorkflowExecutionStatus.RUNNING:
            return await self._cache_running(thread_id, desc)
        expired = await expired_at(desc)
        deleted_at = desc.close_time if desc.status == WorkflowExecutionStatus.TERMINATED else None
        gone_at = deleted_at or expired
        if gone_at is not None:
            # A tombstone: the thread was deleted (by any server process) or its TTL ran out,
            # unless a run started on it afterwards.
            latest = await self.executions.describe_run(thread_id)
            if latest is None or latest.start_time < gone_at:
                if expired is not None:
                    revived = await self._revive_if_busy(thread_id, desc, latest)
                    if revived is not None:
                        return revived
                    await self._purge_expired(thread_id)
                self.deleted.add(thread_id)
                if cached is not None and not cached.lock.locked():
                    self.threads.pop(thread_id, None)
                return None
        return cached

    async def _cache_running(self, thread_id: str, execution: WorkflowExecution) -> ThreadEntry:
        record = self._cache_record(thread_id, execution, await _thread_memo(execution))
        record.ttl = await _ttl_memo(execution)
        return record

    async def _revive_if_busy(
        self,
        thread_id: str,
        record: WorkflowExecution,
        latest: WorkflowExecutionDescription | None,
    ) -> ThreadEntry | None:
        """A thread whose TTL ran out while its run was executing a step is not deleted (as
        the Agent Server's sweep skips busy threads): its record starts again, same metadata
        and TTL, counted from now. None when the thread is not busy."""
        if latest is None or not await self.executions.busy(thread_id, latest):
            return None
        memo, ttl = await _thread_memo(record), await _ttl_memo(record)
        if ttl is None:
            return None
        log.info("thread %s expired while busy: its TTL starts again", thread_id)
        fresh = ThreadTTL(strategy=ttl.strategy, ttl_minutes=ttl.ttl_minutes)
        # Revived meanwhile by another request or server process: that record counts.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self.client.start_workflow(
                THREAD_RECORD_WORKFLOW,
                ThreadMetadata(metadata=memo.metadata),
                id=thread_record_id(thread_id),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                memo={**thread_memo(ThreadMetadata(metadata=memo.metadata)), **ttl_memo(fresh)},
            )
        desc = await self._describe_record(thread_id)
        if desc is None or desc.status != WorkflowExecutionStatus.RUNNING:
            return None
        return await self._cache_running(thread_id, desc)

    async def _purge_expired(self, thread_id: str) -> None:
        """A thread whose TTL ran out (its record ended expired): delete its runs' executions,
        as a deletion does (the record, ended, stays as its tombstone)."""
        log.info("thread %s expired (TTL): deleting its runs", thread_id)
        try:
            await self.executions.delete_all(thread_id)
        except RPCError as exc:
            if exc.status == RPCStatusCode.UNAVAILABLE:
                raise
            log.warning("cannot delete the runs of expired thread %s: %s", thread_id, exc)

    async def _describe_record(self, thread_id: str) -> WorkflowExecutionDescription | None:
        """The thread's TempographThread record execution; None when there is none, or when
        another workflow uses the record's id."""
        desc = await self.executions.describe_any(thread_record_id(thread_id))
        return desc if desc is not None and desc.workflow_type == THREAD_RECORD_WORKFLOW else None

    async def foreign(self, thread_id: str) -> bool:
        """Whether an execution Tempograph did not start holds the thread's workflow id or its
        record's (then the thread can be neither created nor run, and is never touched)."""
        for workflow_id, own_type in (
            (thread_id, WORKFLOW_TYPE),
            (thread_record_id(thread_id), THREAD_RECORD_WORKFLOW),
        ):
            desc = await self.executions.describe_any(workflow_id)
            # A closed record id may be reused; a thread id whose latest run is not a GraphRun
            # may not (the next run would take that execution for its previous run).
            if (
                desc is not None
                and desc.workflow_type != own_type
                and (workflow_id == thread_id or desc.status == WorkflowExecutionStatus.RUNNING)
            ):
                return True
        return False

    def _cache_record(
        self, thread_id: str, execution: WorkflowExecution, memo: ThreadMetadata
    ) -> ThreadEntry:
        record = self.threads.get(thread_id)
        if record is None:
            record = ThreadEntry(
                thread_id,
                execution.start_time,
                memo.updated_at or execution.start_time,
                persisted=True,
            )
            record.apply(memo)
            self.threads[thread_id] = record
        elif not record.persisted or (
            memo.updated_at is not None
            and (record.synced_at is None or memo.updated_at > record.synced_at)
        ):
            record.apply(memo)  # written by another process (or before this one cached it)
        record.persisted = True
        return record

    def entry(self, thread_id: str, metadata: dict[str, Any] | None = None) -> ThreadEntry:
        """The thread's entry in this process, made (not persisted) when there is none."""
        record = self.threads.get(thread_id)
        if record is None:
            stamp = now()
            record = ThreadEntry(thread_id, stamp, stamp, dict(metadata or {}))
            self.threads[thread_id] = record
            self.deleted.discard(thread_id)
        return record

    # -----------------------------------------------------------------------------------------
    # Writing records.
    # -----------------------------------------------------------------------------------------

    async def create(
        self, thread_id: str, metadata: dict[str, Any] | None, ttl: ThreadTTL | None = None
    ) -> ThreadEntry:
        """Start the thread's record (with its TTL: the record counts it from its start).
        WorkflowAlreadyStartedError when one exists."""
        stamp = now()
        record = ThreadEntry(thread_id, stamp, stamp, dict(metadata or {}), ttl=ttl)
        memo = thread_memo(ThreadMetadata(metadata=record.metadata))
        if ttl is not None:
            memo.update(ttl_memo(ttl))
        await self.client.start_workflow(
            THREAD_RECORD_WORKFLOW,
            ThreadMetadata(metadata=record.metadata),
            id=thread_record_id(thread_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            memo=memo,
        )
        record.persisted = True
        self.threads[thread_id] = record
        self.deleted.discard(thread_id)
        return record

    async def _record_start(self, record: ThreadEntry) -> WithStartWorkflowOperation[Any, Any]:
        """The start of the thread's record workflow for an update-with-start (the record is
        started with the thread's metadata if it has none yet); 409 for a foreign id."""
        if await self.foreign(record.thread_id):
            raise HttpError(409, UNAVAILABLE.format(record.thread_id))
        return WithStartWorkflowOperation(
            THREAD_RECORD_WORKFLOW,
            ThreadMetadata(metadata=record.metadata),
            id=thread_record_id(record.thread_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            memo=thread_memo(ThreadMetadata(metadata=record.metadata)),
        )

    async def save_metadata(self, record: ThreadEntry, patch: dict[str, Any]) -> None:
        """Merge `patch` into the thread's record in Temporal (starting the record workflow if
        it does not exist: update-with-start), then into the cached copy."""
        start = await self._record_start(record)
        saved = await self.client.execute_update_with_start_workflow(
            THREAD_PATCH_UPDATE,
            ThreadMetadata(metadata=patch),
            start_workflow_operation=start,
            result_type=ThreadMetadata,
        )
        saved.updated_at = saved.updated_at or now()
        record.apply(saved)
        record.persisted = True

    async def set_ttl(self, record: ThreadEntry, ttl: ThreadTTL) -> None:
        """Give the thread this TTL, counted from now (update-with-start: the record is
        started if the thread has none yet)."""
        start = await self._record_start(record)
        try:
            record.ttl = await self.client.execute_update_with_start_workflow(
                SET_TTL_UPDATE, ttl, start_workflow_operation=start, result_type=ThreadTTL
            )
        except WorkflowUpdateFailedError as exc:  # its record ended meanwhile (expired)
            raise HttpError(409, f"ttl: thread {record.thread_id}: {exc.cause or exc}") from None
        record.persisted = True

    async def remember_refused(
        self, record: ThreadEntry, error: dict[str, str], checkpoint_id: str | None
    ) -> None:
        """Keep a refused resume's error on the thread's record, for every server process.
        When Temporal cannot take it (another workflow holds the record's id), this process
        alone shows it."""
        try:
            await self.save_metadata(
                record, {REFUSED_KEY: {**error, "checkpoint_id": checkpoint_id}}
            )
        except (HttpError, RPCError, WorkflowUpdateFailedError) as exc:
            if isinstance(exc, RPCError) and exc.status == RPCStatusCode.UNAVAILABLE:
                raise
            log.warning(
                "cannot keep the refused resume of %s in Temporal: %s", record.thread_id, exc
            )
        record.error, record.error_checkpoint = error, checkpoint_id

    async def forget_refused(self, record: ThreadEntry) -> None:
        """The thread moves on (a run starts on it, its state is edited): its refused resume
        is no longer its error, and a thread with a TTL was active (its deadline moves: the
        same metadata patch, empty when there is no error to clear). Nothing is sent to
        Temporal for a thread with neither."""
        had_error = record.error is not None
        record.error, record.error_checkpoint = None, None
        if not record.persisted or (not had_error and record.ttl is None):
            return
        try:
            await self.save_metadata(record, {REFUSED_KEY: None} if had_error else {})
        except (HttpError, RPCError, WorkflowUpdateFailedError) as exc:
            if isinstance(exc, RPCError) and exc.status == RPCStatusCode.UNAVAILABLE:
                raise
            log.warning("cannot update the record of %s: %s", record.thread_id, exc)

    async def tombstone(self, thread_id: str) -> None:
        """Leave the thread's record terminated: the mark that the thread was deleted.

        Temporal deletes executions in the background (the thread's GraphRun executions may be
        described for a while after DeleteWorkflowExecution), so every server process reads
        this mark instead: a thread whose record was terminated after its latest run started
        is gone. Terminating is immediate and needs no worker. Only a TempographThread
        execution is terminated: when another workflow runs under the record's id, the thread
        has no record and is marked deleted in this process only."""
        handle = await self.client.start_workflow(
            THREAD_RECORD_WORKFLOW,
            ThreadMetadata(),
            id=thread_record_id(thread_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        # USE_EXISTING answers with the running execution's run id, whatever its type.
        run_id = handle.result_run_id or handle.run_id
        desc = await self.executions.describe_any(thread_record_id(thread_id), run_id)
        if desc is None or desc.workflow_type != THREAD_RECORD_WORKFLOW:
            return
        await self.client.get_workflow_handle(thread_record_id(thread_id), run_id=run_id).terminate(
            reason=DELETED_REASON
        )

    async def delete(self, thread_id: str) -> None:
        """Delete the thread's runs and leave its tombstone."""
        await self.executions.delete_all(thread_id)
        await self.tombstone(thread_id)
        self.threads.pop(thread_id, None)
        self.deleted.add(thread_id)

    def forget(self, thread_id: str) -> None:
        """A temporary (stateless) thread is gone; in this process only (it has no record)."""
        self.threads.pop(thread_id, None)
        self.deleted.add(thread_id)

    # -----------------------------------------------------------------------------------------
    # Searching.
    # -----------------------------------------------------------------------------------------

    async def candidates(self, ids: list[str] | None, graphs: list[str]) -> list[Candidate]:
        """Threads created here, plus the threads of the served graphs found in Temporal (or
        the threads named by `ids`)."""
        found: dict[str, Candidate] = {}
        if ids is None and graphs:
            names = ", ".join(quote(g) for g in graphs)
            query = own_runs(
                f"TempographGraph IN ({names}) AND TaskQueue = {quote(self.task_queue)}"
            )
            try:
                async for execution in self.client.list_workflows(query, limit=MAX_SEARCHED):
                    if execution.parent_id is not None or execution.id in self.deleted:
                        continue
                    known = found.get(execution.id)
                    if known is None or (
                        known.execution is not None
                        and execution.start_time > known.execution.start_time
                    ):
                        found[execution.id] = Candidate(execution.id, None, execution)
            except RPCError as exc:
                log.warning("cannot list threads from Temporal visibility: %s", exc.message)
            tombstones, expired = await self._list_records()
            for thread_id, deleted_at in tombstones.items():
                known = found.get(thread_id)
                if known and known.execution and known.execution.start_time < deleted_at:
                    if thread_id in expired:
                        # Kept (record started again) when busy, else its runs are deleted.
                        record = await self.load_record(thread_id)
                        if record is not None:
                            known.record = record
                            continue
                    del found[thread_id]
                    self.deleted.add(thread_id)
        wanted = list(dict.fromkeys(ids)) if ids is not None else list(self.threads)
        wanted = [t for t in wanted if addressable(t)]
        semaphore = asyncio.Semaphore(16)

        async def add(thread_id: str) -> None:
            async with semaphore:
                # Listed records were just read from visibility; the others are read now.
                record = await self.load_record(thread_id, fresh=ids is not None)
                if thread_id in found:
                    found[thread_id].record = record
                    return
                desc = await self.executions.describe(thread_id)
            if record is not None or desc is not None:
                found[thread_id] = Candidate(thread_id, record, desc)

        await asyncio.gather(*(add(t) for t in wanted))
        return list(found.values())

    async def sweep_expired(self, since: datetime | None = None) -> list[str]:
        """Delete the runs of the threads whose TTL ran out (records ended expired, closed
        after `since`), unless a run started on them afterwards; the threads swept. Searches
        and look-ups do this for the threads they meet; a server may call this periodically
        so that expired threads' runs go even when nobody asks for them."""
        query = (
            f"WorkflowType = {quote(THREAD_RECORD_WORKFLOW)} AND ExecutionStatus = 'Completed' "
            f"AND TaskQueue = {quote(self.task_queue)}"
        )
        if since is not None:
            query += f" AND CloseTime > {quote(iso(since) or '')}"
        swept: list[str] = []
        async for execution in self.client.list_workflows(query, limit=MAX_SEARCHED):
            thread_id = execution.id.removesuffix("/thread")
            deleted_at = await expired_at(execution)
            if deleted_at is None or thread_id in self.deleted:
                continue
            latest = await self.executions.describe_run(thread_id)
            if latest is not None and latest.start_time < deleted_at:
                if await self._revive_if_busy(thread_id, execution, latest) is not None:
                    continue
                await self._purge_expired(thread_id)
                swept.append(thread_id)
            if latest is None or latest.start_time < deleted_at:
                self.deleted.add(thread_id)
                cached = self.threads.get(thread_id)
                if cached is not None and not cached.lock.locked():
                    self.threads.pop(thread_id, None)
        return swept

    async def _list_records(self) -> tuple[dict[str, datetime], set[str]]:
        """Load the records of this task queue's threads (those never run included); return
        the tombstones (thread id -> when it was deleted or expired), and which of them
        expired (their TTL ran out)."""
        query = (
            f"WorkflowType = {quote(THREAD_RECORD_WORKFLOW)} "
            f"AND ExecutionStatus IN ('Running', 'Terminated', 'Completed') "
            f"AND TaskQueue = {quote(self.task_queue)}"
        )
        tombstones: dict[str, datetime] = {}
        expired: set[str] = set()
        try:
            async for execution in self.client.list_workflows(query, limit=MAX_SEARCHED):
                thread_id = execution.id.removesuffix("/thread")
                if execution.status == WorkflowExecutionStatus.RUNNING:
                    if thread_id not in self.deleted:
                        await self._cache_running(thread_id, execution)
                    continue
                if execution.status == WorkflowExecutionStatus.COMPLETED:
                    deleted_at = await expired_at(execution)  # a TTL that ran out
                    if deleted_at is not None and thread_id not in self.deleted:
                        expired.add(thread_id)
                else:
                    deleted_at = execution.close_time
                if deleted_at is not None and thread_id not in self.threads:
                    # The newest closed record counts (listed newest first).
                    tombstones.setdefault(thread_id, deleted_at)
        except RPCError as exc:
            log.warning("cannot list thread records from Temporal visibility: %s", exc.message)
        # A thread re-created after a deletion has a running record again.
        kept = {t: when for t, when in tombstones.items() if t not in self.threads}
        return kept, expired & set(kept)
