"""TempographThread: a thread's own record (its metadata), as a tiny long-lived workflow.

The Agent Server API lets a client create a thread with metadata and run it later, or never.
Temporal is the only store, so the record is a workflow of its own (id `<thread>/thread`) that
holds the metadata in its memo, which `list_workflows` and `describe` return without a worker.
It does nothing but wait: a waiting workflow costs no worker resources once evicted.
"""

from __future__ import annotations

from typing import Any

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


@workflow.defn(name=THREAD_RECORD_WORKFLOW)
class ThreadRecord:
    # Handlers take any number of raw arguments and decode them themselves (any_arity): a
    # message the SDK could not hand over would fail the workflow task again and again.
    @workflow.init
    @any_arity
    def __init__(self, *args: Any) -> None:
        # Set in __init__ so that an update delivered with the start sees the metadata.
        self.input_error: ApplicationError | None = None
        try:
            self.record = parse_record(args, "The thread record's start input")
        except ApplicationError as exc:
            self.input_error = exc
            self.record = ThreadMetadata()
        self.closed = False

    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> ThreadMetadata:
        if self.input_error is not None:
            raise self.input_error
        # Each patch adds a few events; start afresh (same id, same memo) long before the
        # history limits, once no patch is in flight.
        await workflow.wait_condition(
            lambda: self.closed or workflow.info().is_continue_as_new_suggested()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self.closed:
            workflow.continue_as_new(self.record, memo=thread_memo(self.record))
        return self.record

    @workflow.update(name=THREAD_PATCH_UPDATE)
    @any_arity
    def patch(self, *args: Any) -> ThreadMetadata:
        """Merge keys into the metadata (the API's PATCH semantics) and mirror it in the memo."""
        patch = parse_record(args, "The metadata patch")
        merged = {**self.record.metadata, **patch.metadata}
        self.record = ThreadMetadata(metadata=merged, updated_at=workflow.now())
        workflow.upsert_memo(thread_memo(self.record))
        return self.record

    @patch.validator
    @any_arity
    def _validate_patch(self, *args: Any) -> None:
        if self.closed:
            raise ValueError("the thread is being deleted")
        parse_record(args, "The metadata patch")

    @workflow.signal(name=THREAD_CLOSE_SIGNAL)
    @any_arity
    def close(self, *args: Any) -> None:
        try:
            no_args(args, THREAD_CLOSE_SIGNAL)
        except BadArgumentsError as exc:
            workflow.logger.warning("close signal dropped: %s", exc)
            return
        self.closed = True
