"""TempographThread: a thread's own record (its metadata, its TTL), as a tiny long-lived workflow.

The Agent Server API lets a client create a thread with metadata and run it later, or never.
Temporal is the only store, so the record is a workflow of its own (id `<thread>/thread`) that
holds the metadata in its memo, which `list_workflows` and `describe` return without a worker.
It does nothing but wait: a waiting workflow costs no worker resources once evicted.

A thread with a TTL (the Agent Server's `ttl` {"strategy": "delete", "ttl": minutes}) has it in
the record's memo (TTL_MEMO: the start memo brings it, SET_TTL_UPDATE changes it) and a durable
timer here: the thread expires `ttl` minutes after its last activity (created, TTL set, metadata
patched: every patch moves the deadline, and the HTTP API sends an empty patch when a run starts
or the state is edited). At the deadline the record marks itself expired in its memo and ends:
from then on every server process reads the thread as deleted (a tombstone), and deletes its
runs' executions when it next meets it. Records without a TTL emit the same commands as before
TTLs existed (tests/replay/test_replay_thread_ttl.py replays histories recorded before).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from tempograph._workflows.common import BadArgumentsError, any_arity, decode_args, no_args

with workflow.unsafe.imports_passed_through():
    from tempograph.limits import LimitError, check_depth
    from tempograph.messages import (
        THREAD_CLOSE_SIGNAL,
        THREAD_PATCH_UPDATE,
        THREAD_RECORD_WORKFLOW,
        ErrorKind,
        InvalidMessageError,
        ThreadMetadata,
        parse_message,
        thread_memo,
    )

# The record's TTL, in its memo next to the metadata (THREAD_MEMO): ThreadTTL as JSON.
TTL_MEMO = "tempograph_thread_ttl"
# Update: set (or replace) the thread's TTL; the deadline is now + ttl_minutes.
SET_TTL_UPDATE = "set_ttl"
# The longest TTL taken: ten years (a Temporal timer needs a finite duration).
MAX_TTL_MINUTES = 10 * 365 * 24 * 60.0


class ThreadTTL(BaseModel):
    """A thread's time to live: `ttl_minutes` after its last activity (fractions allowed, as
    the Agent Server's `ttl` is a number of minutes), then `strategy` ("delete": the thread and
    its runs go). `expires_at` and `expired` are the record's, not the sender's."""

    model_config = ConfigDict(extra="forbid")

    strategy: Literal["delete"] = "delete"
    ttl_minutes: float = Field(gt=0, le=MAX_TTL_MINUTES)
    expires_at: datetime | None = None
    expired: bool = False


def ttl_memo(ttl: ThreadTTL) -> dict[str, Any]:
    return {TTL_MEMO: ttl.model_dump(mode="json")}


def parse_record(args: tuple[Any, ...], what: str) -> ThreadMetadata:
    """One ThreadMetadata argument, decoded and checked here: any other arity, an undecodable
    or oversized payload, or metadata nested too deep is a clear error (InvalidInput)."""
    try:
        raw, _ = decode_args(args, what)
        record = parse_message(ThreadMetadata, raw)
        check_depth(record.metadata, f"{what}: the metadata")
    except (BadArgumentsError, InvalidMessageError, LimitError) as exc:
        raise ApplicationError(
            str(exc), type=str(getattr(exc, "kind", ErrorKind.INVALID_INPUT)), non_retryable=True
        ) from None
    return record


def parse_ttl(raw: Any, what: str) -> ThreadTTL:
    try:
        return parse_message(ThreadTTL, raw)
    except InvalidMessageError as exc:
        raise ApplicationError(
            f"{what}: {exc}", type=str(ErrorKind.INVALID_INPUT), non_retryable=True
        ) from None


def start_ttl() -> ThreadTTL | None:
    """The TTL the record started with (its start memo: a new thread's, or the one carried
    over by continue-as-new). Part of the start event, so replay reads the same."""
    raw = workflow.memo_value(TTL_MEMO, default=None)
    return None if raw is None else parse_ttl(raw, "The thread's start TTL")


@workflow.defn(name=THREAD_RECORD_WORKFLOW)
class ThreadRecord:
    # Handlers take any number of raw arguments and decode them themselves (any_arity): a
    # message the SDK could not hand over would fail the workflow task again and again.
    @workflow.init
    @any_arity
    def __init__(self, *args: Any) -> None:
        # Set in __init__ so that an update delivered with the start sees the metadata.
        self.input_error: ApplicationError | None = None
        self.ttl: ThreadTTL | None = None
        try:
            self.record = parse_record(args, "The thread record's start input")
            self.ttl = start_ttl()
        except ApplicationError as exc:
            self.input_error = exc
            self.record = ThreadMetadata()
        self.closed = False
        # Bumped by every change of the deadline: the timer is set again.
        self.ttl_changes = 0

    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> ThreadMetadata:
        if self.input_error is not None:
            raise self.input_error
        if self.ttl is not None and self.ttl.expires_at is None:
            # A new thread's TTL counts from its creation (the start event), not from this
            # first workflow task, which a busy or absent worker may run much later.
            self._refresh(workflow.info().workflow_start_time)
        # Each patch adds a few events; start afresh (same id, same memo) long before the
        # history limits, once no patch is in flight.
        while not self.closed and not workflow.info().is_continue_as_new_suggested():
            if self.ttl is None:
                await workflow.wait_condition(
                    lambda: (
                        self.closed
                        or workflow.info().is_continue_as_new_suggested()
                        or self.ttl is not None
                    )
                )
            else:
                await self._wait_for_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self.closed:
            memo = thread_memo(self.record)
            if self.ttl is not None:
                memo.update(ttl_memo(self.ttl))  # the deadline goes on in the new run
            workflow.continue_as_new(self.record, memo=memo)
        return self.record

    async def _wait_for_deadline(self) -> None:
        """Wait until the thread's deadline (then it expires) or until something changes."""
        assert self.ttl is not None and self.ttl.expires_at is not None
        left = (self.ttl.expires_at - workflow.now()).total_seconds()
        if left > 0:
            seen = self.ttl_changes
            try:
                await workflow.wait_condition(
                    lambda: (
                        self.closed
                        or workflow.info().is_continue_as_new_suggested()
                        or self.ttl_changes != seen
                    ),
                    timeout=left,
                )
                return
            except TimeoutError:
                pass
        if self.closed or self.ttl is None or self.ttl.expires_at is None:
            return
        if workflow.now() >= self.ttl.expires_at:
            # Expired: every server process now reads the thread as deleted (its tombstone).
            self.ttl = self.ttl.model_copy(update={"expired": True})
            workflow.upsert_memo(ttl_memo(self.ttl))
            self.closed = True

    def _refresh(self, since: datetime | None = None) -> None:
        """The thread was active (`since`, default now): its deadline is ttl_minutes later."""
        if self.ttl is None:
            return
        expires = (since or workflow.now()) + timedelta(minutes=self.ttl.ttl_minutes)
        self.ttl = self.ttl.model_copy(update={"expires_at": expires})
        self.ttl_changes += 1
        workflow.upsert_memo(ttl_memo(self.ttl))

    @workflow.update(name=THREAD_PATCH_UPDATE)
    @any_arity
    def patch(self, *args: Any) -> ThreadMetadata:
        """Merge keys into the metadata (the API's PATCH semantics) and mirror it in the memo.
        A thread with a TTL was active: its deadline moves."""
        patch = parse_record(args, "The metadata patch")
        merged = {**self.record.metadata, **patch.metadata}
        self.record = ThreadMetadata(metadata=merged, updated_at=workflow.now())
        workflow.upsert_memo(thread_memo(self.record))
        self._refresh()
        return self.record

    @patch.validator
    @any_arity
    def _validate_patch(self, *args: Any) -> None:
        if self.closed:
            raise ValueError("the thread is being deleted")
        parse_record(args, "The metadata patch")

    @workflow.update(name=SET_TTL_UPDATE)
    @any_arity
    def set_ttl(self, *args: Any) -> ThreadTTL:
        """Give the thread a TTL (or a new one): it expires ttl_minutes from now, and as long
        after each later activity."""
        self.ttl = self._parse_ttl(args)
        self._refresh()
        return self.ttl

    @set_ttl.validator
    @any_arity
    def _validate_set_ttl(self, *args: Any) -> None:
        if self.closed:
            raise ValueError("the thread is being deleted")
        self._parse_ttl(args)

    def _parse_ttl(self, args: tuple[Any, ...]) -> ThreadTTL:
        try:
            raw, _ = decode_args(args, "The thread's TTL")
        except BadArgumentsError as exc:
            raise ApplicationError(str(exc), type=str(exc.kind), non_retryable=True) from None
        given = parse_ttl(raw, "The thread's TTL")
        return ThreadTTL(strategy=given.strategy, ttl_minutes=given.ttl_minutes)

    @workflow.signal(name=THREAD_CLOSE_SIGNAL)
    @any_arity
    def close(self, *args: Any) -> None:
        try:
            no_args(args, THREAD_CLOSE_SIGNAL)
        except BadArgumentsError as exc:
            workflow.logger.warning("close signal dropped: %s", exc)
            return
        self.closed = True
