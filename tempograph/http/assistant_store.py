"""Created assistants, stored in Temporal: one TempographAssistant workflow each
(tempograph/_workflows/assistant_record.py) whose memo holds the current version, read by
`describe` (one assistant) and visibility (search), so every server process agrees."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from tempograph._assistants import (
    ASSISTANT_CHANGE_UPDATE,
    ASSISTANT_MEMO,
    ASSISTANT_RECORD_WORKFLOW,
    ASSISTANT_VERSIONS_QUERY,
    AssistantChange,
    AssistantMemo,
    AssistantState,
    AssistantVersion,
    assistant_memo,
    assistant_record_id,
)
from tempograph.http.bounded import DEFAULT_CAP, BoundedDict
from tempograph.http.errors import HttpError, check_message
from tempograph.http.rendering import iso
from tempograph.http.schemas import RunConfig
from tempograph.ownership import quote

log = logging.getLogger("tempograph.http")

# How many created assistants a search reads from visibility.
MAX_LISTED = 10_000


class AssistantCreateBody(BaseModel):
    """POST /assistants. Unknown fields are refused (422), never ignored."""

    model_config = ConfigDict(extra="forbid")

    graph_id: str = Field(min_length=1)
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    assistant_id: str | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    name: str | None = None
    description: str | None = None


class AssistantPatchBody(BaseModel):
    """PATCH /assistants/{id}: a new version (metadata merged, the rest replaced if given)."""

    model_config = ConfigDict(extra="forbid")

    graph_id: str | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


class AssistantVersionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=0, le=1000)
    offset: int = Field(default=0, ge=0)
    metadata: dict[str, Any] | None = None


class AssistantLatestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)


def config_of(config: RunConfig | None) -> dict[str, Any] | None:
    return None if config is None else config.model_dump(exclude_none=True)


def version_json(v: AssistantVersion) -> dict[str, Any]:
    """The Agent Server's AssistantVersion."""
    return {
        "assistant_id": v.assistant_id,
        "graph_id": v.graph_id,
        "config": v.config,
        "context": v.context,
        "metadata": v.metadata,
        "version": v.version,
        "created_at": iso(v.created_at),
        "name": v.name,
        "description": v.description,
    }


def memo_json(memo: AssistantMemo) -> dict[str, Any]:
    """The Agent Server's Assistant: the current version, created_at the assistant's."""
    return {
        **version_json(memo.current),
        "created_at": iso(memo.created_at),
        "updated_at": iso(memo.updated_at),
    }


def canonical_uuid(assistant_id: str) -> str | None:
    try:
        return str(uuid.UUID(assistant_id))
    except ValueError:
        return None


class AssistantStore:
    def __init__(self, client: Client, task_queue: str, cache_size: int = DEFAULT_CAP) -> None:
        self.client = client
        self.task_queue = task_queue
        # assistant id -> graph id of the created assistants this process has read: for the
        # synchronous checks of a run body (the run itself reads the assistant afresh).
        self.graphs: BoundedDict[str, str] = BoundedDict(cache_size)

    def _remember(self, memo: AssistantMemo) -> AssistantMemo:
        self.graphs[memo.current.assistant_id] = memo.current.graph_id
        return memo

    async def get(self, assistant_id: str) -> AssistantMemo | None:
        """The assistant's current version (None: no such assistant, or deleted)."""
        aid = canonical_uuid(assistant_id)
        if aid is None:
            return None
        try:
            desc = await self.client.get_workflow_handle(assistant_record_id(aid)).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                self.graphs.pop(aid, None)
                return None
            raise
        if desc.status != WorkflowExecutionStatus.RUNNING or desc.workflow_type != (
            ASSISTANT_RECORD_WORKFLOW
        ):
            self.graphs.pop(aid, None)
            return None
        memo = await desc.memo_value(ASSISTANT_MEMO, default=None, type_hint=AssistantMemo)
        return self._remember(memo) if isinstance(memo, AssistantMemo) else None

    async def create(self, body: AssistantCreateBody, at: datetime) -> AssistantMemo:
        if body.assistant_id is not None:
            aid = canonical_uuid(body.assistant_id)
            if aid is None:
                raise HttpError(422, f"assistant_id: a UUID, got {body.assistant_id!r}")
        else:
            aid = str(uuid.uuid4())
        check_message("config", config_of(body.config))
        check_message("context", body.context)
        check_message("metadata", body.metadata)
        version = AssistantVersion(
            assistant_id=aid,
            version=1,
            graph_id=body.graph_id,
            config=config_of(body.config) or {},
            context=body.context or {},
            metadata=body.metadata or {},
            name=body.name or "Untitled",
            description=body.description,
            created_at=at,
        )
        state = AssistantState(versions=[version], current=1, created_at=at, updated_at=at)
        try:
            await self.client.start_workflow(
                ASSISTANT_RECORD_WORKFLOW,
                state,
                id=assistant_record_id(aid),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                memo=assistant_memo(state),
            )
        except WorkflowAlreadyStartedError:
            existing = await self.get(aid)
            if existing is None:
                raise HttpError(409, f"Assistant {aid} already exists") from None
            if body.if_exists == "do_nothing":
                return existing
            raise HttpError(409, f"Assistant {aid} already exists") from None
        return self._remember(AssistantMemo(current=version, created_at=at, updated_at=at))

    async def change(self, assistant_id: str, change: AssistantChange) -> AssistantMemo:
        """Apply `change` (a new version, or set_current); 404 for a missing assistant or
        version."""
        existing = await self.get(assistant_id)
        if existing is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        aid = existing.current.assistant_id
        handle = self.client.get_workflow_handle(assistant_record_id(aid))
        try:
            state = await handle.execute_update(
                ASSISTANT_CHANGE_UPDATE, change, result_type=AssistantState
            )
        except WorkflowUpdateFailedError as exc:
            cause = str(exc.cause) if exc.cause is not None else str(exc)
            raise HttpError(404, f"Assistant {aid}: {cause}") from None
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise HttpError(404, f"Assistant {assistant_id} not found") from None
            raise
        current = next(v for v in state.versions if v.version == state.current)
        return self._remember(
            AssistantMemo(current=current, created_at=state.created_at, updated_at=state.updated_at)
        )

    async def versions(self, assistant_id: str) -> list[AssistantVersion]:
        """Every version, newest first (a query: needs a worker)."""
        existing = await self.get(assistant_id)
        if existing is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        handle = self.client.get_workflow_handle(assistant_record_id(existing.current.assistant_id))
        state = await handle.query(ASSISTANT_VERSIONS_QUERY, result_type=AssistantState)
        return sorted(state.versions, key=lambda v: v.version, reverse=True)

    async def delete(self, assistant_id: str) -> None:
        existing = await self.get(assistant_id)
        if existing is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        aid = existing.current.assistant_id
        # Terminated, not signalled: gone for every process at once, worker or not.
        await self.client.get_workflow_handle(assistant_record_id(aid)).terminate(
            reason="assistant deleted"
        )
        self.graphs.pop(aid, None)

    async def listed(self) -> list[AssistantMemo]:
        """Every created assistant of this task queue, from visibility."""
        query = (
            f"WorkflowType = {quote(ASSISTANT_RECORD_WORKFLOW)} "
            f"AND ExecutionStatus = 'Running' AND TaskQueue = {quote(self.task_queue)}"
        )
        found: list[AssistantMemo] = []
        try:
            async for execution in self.client.list_workflows(query, limit=MAX_LISTED):
                memo = await _memo(execution)
                if memo is not None:
                    found.append(self._remember(memo))
        except RPCError as exc:
            log.warning("cannot list assistants from Temporal visibility: %s", exc.message)
        return found


async def _memo(execution: WorkflowExecution) -> AssistantMemo | None:
    memo = await execution.memo_value(ASSISTANT_MEMO, default=None, type_hint=AssistantMemo)
    return memo if isinstance(memo, AssistantMemo) else None
