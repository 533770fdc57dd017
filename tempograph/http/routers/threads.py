"""/threads: create (with supersteps and a TTL), search (select, extract), count, get
(include=ttl), patch (metadata, TTL), delete; the thread's state (current, at a checkpoint),
state edits (one, or a list applied in order) and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import ConfigDict

from tempograph.http.backend import Backend
from tempograph.http.errors import HttpError
from tempograph.http.jsonbody import StrictJSONRoute
from tempograph.http.schemas import (
    CheckpointRef,
    HistoryBody,
    StateCheckpointBody,
    StateUpdateBody,
    ThreadCountBody,
    ThreadCreateBody,
    ThreadPatchBody,
    ThreadPruneBody,
    ThreadSearchBody,
    selected,
    unsupported_checkpoint_filter,
    unsupported_checkpoint_ns,
    unsupported_state_select,
    unsupported_subgraphs,
)
from tempograph.http.sse import EventStream
from tempograph.http.streaming import thread_stream
from tempograph.http.thread_updates import (
    check_extract,
    parse_state_values,
    parse_supersteps,
    parse_ttl,
)


# The thread routes' bodies refuse a field they do not take (422 naming it: `graph_id` at the
# top level instead of in metadata was dropped, the thread left without a graph).
class ThreadCreateRequest(ThreadCreateBody):
    model_config = ConfigDict(extra="forbid")


class ThreadPatchRequest(ThreadPatchBody):
    model_config = ConfigDict(extra="forbid")


class ThreadCountRequest(ThreadCountBody):
    model_config = ConfigDict(extra="forbid")


class StateUpdateRequest(StateUpdateBody):
    model_config = ConfigDict(extra="forbid")


class ThreadSearchRequest(ThreadSearchBody):
    """The search body with `extract` ({alias: path} into values, metadata, config,
    interrupts; the values come back under `extracted`)."""

    model_config = ConfigDict(extra="forbid")

    extract: Any = None


# The thread fields GET /threads/{id}?include= may add.
INCLUDABLE = frozenset({"ttl"})


def checkpoint_id_of(before: str | CheckpointRef | dict[str, Any] | None) -> str | None:
    """`before` as a checkpoint id, a {"checkpoint_id"} object or a {"configurable": {...}}."""
    if before is None or isinstance(before, str):
        return before
    if isinstance(before, CheckpointRef):
        if before.checkpoint_id:
            return before.checkpoint_id
        extra = before.model_extra or {}
        configurable = extra.get("configurable") or {}
        found = configurable.get("checkpoint_id") if isinstance(configurable, dict) else None
        if isinstance(found, str):
            return found
        raise HttpError(422, "before: expected a checkpoint id")
    configurable = before.get("configurable") or {}
    found = before.get("checkpoint_id") or (
        configurable.get("checkpoint_id") if isinstance(configurable, dict) else None
    )
    if not isinstance(found, str):
        raise HttpError(422, "before: expected a checkpoint id")
    return found


STATE_QUERY = frozenset({"subgraphs"})


def only_known_query(request: Request, known: frozenset[str]) -> None:
    """A query parameter the route does not read is refused (422 naming it), not ignored."""
    given = set(request.query_params)
    if "select" in given:
        unsupported_state_select(request.query_params.getlist("select") or [""])
    unknown = sorted(given - known)
    if unknown:
        raise HttpError(
            422, f"unknown query parameters {unknown}: this route takes {sorted(known)}"
        )


def router(backend: Backend) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)
    views = backend.views

    @api.post("/threads")
    async def create_thread(body: ThreadCreateRequest) -> dict[str, Any]:
        return await views.create_thread(
            body.thread_id,
            body.metadata,
            body.if_exists,
            ttl=parse_ttl(body.ttl),
            supersteps=parse_supersteps(body.supersteps),
        )

    # An endless stream (heartbeats keep it open): outside the OpenAPI spec, which clients and
    # fuzzers call expecting an answer that ends.
    @api.get("/threads/{thread_id}/stream", include_in_schema=False)
    async def join_thread_stream(
        thread_id: str,
        stream_mode: Annotated[list[str] | None, Query()] = None,
        last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    ) -> EventStream:
        events = await thread_stream(
            backend.executor,
            thread_id,
            stream_mode=[m for m in stream_mode or [] if m] or None,
            last_event_id=last_event_id,
        )
        return EventStream(events)

    @api.post("/threads/search")
    async def search_threads(body: ThreadSearchRequest) -> list[dict[str, Any]]:
        selected(body.select, [])  # an unknown field: 422 before any work
        extract = check_extract(body.extract)
        found = await views.search_threads(
            ids=body.ids,
            metadata=body.metadata,
            values=body.values,
            status=body.status,
            sort_by=body.sort_by,
            sort_order=body.sort_order,
            limit=body.limit,
            offset=body.offset,
            extract=extract,
        )
        if body.select is None or extract is None:
            return selected(body.select, found)
        # `extracted` comes with the selected fields, as on the Agent Server.
        return [
            {**picked, "extracted": thread["extracted"]}
            for picked, thread in zip(selected(body.select, found), found, strict=True)
        ]

    @api.post("/threads/count")
    async def count_threads(body: ThreadCountRequest) -> int:
        found = await views.search_threads(
            metadata=body.metadata, values=body.values, status=body.status, limit=10_000
        )
        return len(found)

    @api.post("/threads/prune")
    async def prune_threads(body: ThreadPruneBody) -> dict[str, int]:
        return {"pruned_count": await views.prune_threads(body.thread_ids, body.strategy)}

    @api.post("/threads/{thread_id}/copy")
    async def copy_thread(thread_id: str) -> dict[str, Any]:
        return await views.copy_thread(thread_id)

    @api.get("/threads/{thread_id}")
    async def get_thread(
        thread_id: str, include: Annotated[list[str] | None, Query()] = None
    ) -> dict[str, Any]:
        # "ttl,x" (the Python SDK) or include=ttl&include=x.
        fields = {f.strip() for value in include or [] for f in value.split(",") if f.strip()}
        unknown = sorted(fields - INCLUDABLE)
        if unknown:
            raise HttpError(422, f"include: unknown fields {unknown}; choose from ['ttl']")
        return await views.get_thread(thread_id, include_ttl="ttl" in fields)

    @api.patch("/threads/{thread_id}")
    async def patch_thread(thread_id: str, body: ThreadPatchRequest) -> dict[str, Any]:
        return await views.patch_thread(thread_id, body.metadata, parse_ttl(body.ttl))

    @api.delete("/threads/{thread_id}", status_code=204)
    async def delete_thread(thread_id: str) -> Response:
        await views.delete_thread(thread_id)
        return Response(status_code=204)

    @api.get("/threads/{thread_id}/state")
    async def get_state(
        thread_id: str, request: Request, subgraphs: bool = False
    ) -> dict[str, Any]:
        only_known_query(request, STATE_QUERY)
        unsupported_subgraphs(subgraphs)
        return await views.get_state(thread_id)

    @api.post("/threads/{thread_id}/state")
    async def update_state(thread_id: str, body: StateUpdateRequest) -> dict[str, Any]:
        values = parse_state_values(body.values)
        checkpoint_id = body.checkpoint_id or (
            body.checkpoint.checkpoint_id if body.checkpoint else None
        )
        return await views.update_state(thread_id, values, body.as_node, checkpoint_id)

    @api.post("/threads/{thread_id}/state/checkpoint")
    async def get_state_checkpoint(thread_id: str, body: StateCheckpointBody) -> dict[str, Any]:
        unsupported_subgraphs(body.subgraphs)
        unsupported_checkpoint_ns(body.checkpoint)
        unsupported_state_select(body.select)
        if not body.checkpoint.checkpoint_id:
            return await views.get_state(thread_id)
        return await views.get_state_at(thread_id, body.checkpoint.checkpoint_id)

    @api.get("/threads/{thread_id}/state/{checkpoint_id}")
    async def get_state_at(
        thread_id: str, checkpoint_id: str, request: Request, subgraphs: bool = False
    ) -> dict[str, Any]:
        only_known_query(request, STATE_QUERY)
        unsupported_subgraphs(subgraphs)
        return await views.get_state_at(thread_id, checkpoint_id)

    @api.post("/threads/{thread_id}/history")
    async def history(thread_id: str, body: HistoryBody) -> list[dict[str, Any]]:
        unsupported_checkpoint_filter("checkpoint", body.checkpoint)
        return await views.get_history(
            thread_id,
            limit=body.limit,
            before=checkpoint_id_of(body.before),
            metadata=body.metadata,
        )

    @api.get("/threads/{thread_id}/history")
    async def history_get(
        thread_id: str, limit: int = 10, before: str | None = None
    ) -> list[dict[str, Any]]:
        if limit < 0:
            raise HttpError(422, "limit: must be >= 0")
        return await views.get_history(thread_id, limit=limit, before=before, metadata=None)

    return api
