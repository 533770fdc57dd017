"""TempographThread: a thread's own record (its metadata), as a tiny long-lived workflow.

The Agent Server API lets a client create a thread with metadata and run it later, or never.
Temporal is the only store, so the record is a workflow of its own (id `<thread>/thread`) that
holds the metadata in its memo, which `list_workflows` and `describe` return without a worker.
It does nothing but wait: a waiting workflow costs no worker resources once evicted.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tempograph.messages import (
        THREAD_CLOSE_SIGNAL,
        THREAD_PATCH_UPDATE,
        THREAD_RECORD_WORKFLOW,
        ThreadMetadata,
        thread_memo,
    )


@workflow.defn(name=THREAD_RECORD_WORKFLOW)
class ThreadRecord:
    @workflow.init
    def __init__(self, record: ThreadMetadata) -> None:
        # Set in __init__ so that an update delivered with the start sees the metadata.
        self.record = record
        self.closed = False

    @workflow.run
    async def run(self, record: ThreadMetadata) -> ThreadMetadata:
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
    def patch(self, patch: ThreadMetadata) -> ThreadMetadata:
        """Merge keys into the metadata (the API's PATCH semantics) and mirror it in the memo."""
        merged = {**self.record.metadata, **patch.metadata}
        self.record = ThreadMetadata(metadata=merged, updated_at=workflow.now())
        workflow.upsert_memo(thread_memo(self.record))
        return self.record

    @patch.validator
    def _validate_patch(self, patch: ThreadMetadata) -> None:
        if self.closed:
            raise ValueError("the thread is being deleted")

    @workflow.signal(name=THREAD_CLOSE_SIGNAL)
    def close(self) -> None:
        self.closed = True
