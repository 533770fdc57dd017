"""The assistant record's wire contract (TempographAssistant, tempograph/_workflows/
assistant_record.py): names, start input, change, memo; and how a change applies (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ASSISTANT_RECORD_WORKFLOW = "TempographAssistant"
ASSISTANT_CHANGE_UPDATE = "change_assistant"
ASSISTANT_VERSIONS_QUERY = "assistant_versions"
ASSISTANT_MEMO = "tempograph_assistant"
ASSISTANT_ID_PREFIX = "tempograph-assistant-"


def assistant_record_id(assistant_id: str) -> str:
    return f"{ASSISTANT_ID_PREFIX}{assistant_id}"


class AssistantVersion(BaseModel):
    """One version of an assistant, as the Agent Server's AssistantVersion."""

    model_config = ConfigDict(extra="forbid")

    assistant_id: str
    version: int
    graph_id: str
    config: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    name: str = "Untitled"
    description: str | None = None
    created_at: datetime


class AssistantState(BaseModel):
    """The start input (and continue-as-new input): every version, and which is current."""

    model_config = ConfigDict(extra="forbid")

    versions: list[AssistantVersion]
    current: int = 1
    created_at: datetime
    updated_at: datetime


class AssistantMemo(BaseModel):
    """The memo: the current version, when the assistant was created and last changed."""

    model_config = ConfigDict(extra="forbid")

    current: AssistantVersion
    created_at: datetime
    updated_at: datetime


class AssistantChange(BaseModel):
    """An update: `set_current` makes an existing version current; otherwise a new version
    is made from the current one with the fields given (metadata merged), and made current."""

    model_config = ConfigDict(extra="forbid")

    set_current: int | None = None
    graph_id: str | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


def current_of(state: AssistantState) -> AssistantVersion:
    return next(v for v in state.versions if v.version == state.current)


def assistant_memo(state: AssistantState) -> dict[str, Any]:
    memo = AssistantMemo(
        current=current_of(state), created_at=state.created_at, updated_at=state.updated_at
    )
    return {ASSISTANT_MEMO: memo.model_dump(mode="json")}


def changed(state: AssistantState, change: AssistantChange, at: datetime) -> AssistantState:
    """`state` with `change` applied (pure); ValueError when it names no existing version."""
    if change.set_current is not None:
        if not any(v.version == change.set_current for v in state.versions):
            raise ValueError(f"version {change.set_current} does not exist")
        return state.model_copy(update={"current": change.set_current, "updated_at": at})
    base = current_of(state)
    version = base.model_copy(
        update={
            "version": max(v.version for v in state.versions) + 1,
            "graph_id": change.graph_id or base.graph_id,
            "config": base.config if change.config is None else change.config,
            "context": base.context if change.context is None else change.context,
            "metadata": {**base.metadata, **(change.metadata or {})},
            "name": change.name or base.name,
            "description": base.description if change.description is None else change.description,
            "created_at": at,
        }
    )
    return AssistantState(
        versions=[*state.versions, version],
        current=version.version,
        created_at=state.created_at,
        updated_at=at,
    )
