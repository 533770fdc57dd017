"""GraphRun and TempographThread as registered on a versioned worker (Temporal Worker
Versioning, tempograph.versioning): the same workflows under the same type names, with a
versioning behaviour.

The behaviour cannot sit on GraphRun's own definition: Temporal refuses the workflow task
completion of an unversioned worker that names one ("versioning behavior cannot be specified
without deployment options being set with versioned mode", measured on Temporal 1.32). So an
unversioned worker registers GraphRun, a versioned one these subclasses; their code, handlers and
commands are GraphRun's (tests/replay replays the committed histories with them).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import VersioningBehavior

from tempograph._workflows.assistant_record import AssistantRecord
from tempograph._workflows.common import any_arity
from tempograph._workflows.graph_run import GraphRun
from tempograph._workflows.thread_record import ThreadRecord

with workflow.unsafe.imports_passed_through():
    from tempograph._assistants import ASSISTANT_RECORD_WORKFLOW
    from tempograph.messages import THREAD_RECORD_WORKFLOW, WORKFLOW_TYPE, ThreadMetadata


# PINNED: a run stays on the worker version (the graph code) it started on, through every
# pause and resume, until it ends.
# Unsandboxed, as GraphRun (see there).
@workflow.defn(name=WORKFLOW_TYPE, versioning_behavior=VersioningBehavior.PINNED, sandboxed=False)
class PinnedGraphRun(GraphRun):
    # The SDK wants the run method defined on the class itself.
    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        return await super().run(*args)


# AUTO_UPGRADE: the record runs no graph code and lives as long as its thread; pinned, it
# would keep the version it started on from ever draining.
@workflow.defn(name=THREAD_RECORD_WORKFLOW, versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class UpgradingThreadRecord(ThreadRecord):
    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> ThreadMetadata:
        return await super().run(*args)


# AUTO_UPGRADE too: an assistant record runs no graph code either.
@workflow.defn(name=ASSISTANT_RECORD_WORKFLOW, versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class UpgradingAssistantRecord(AssistantRecord):
    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> None:
        await super().run(*args)


UNVERSIONED: tuple[type, ...] = (GraphRun, ThreadRecord, AssistantRecord)
VERSIONED: tuple[type, ...] = (PinnedGraphRun, UpgradingThreadRecord, UpgradingAssistantRecord)


def for_worker(workflows: Any, versioned: bool) -> list[type]:
    """`workflows` with Tempograph's own swapped for the variants a (un)versioned worker
    needs; the caller's other workflows unchanged."""
    swap = dict(
        zip(UNVERSIONED, VERSIONED, strict=True)
        if versioned
        else zip(VERSIONED, UNVERSIONED, strict=True)
    )
    return [swap.get(w, w) for w in (workflows or [])]
