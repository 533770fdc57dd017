"""/assistants: one system assistant per served graph (search, count, get)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tempograph.http.backend import Backend
from tempograph.http.errors import HttpError
from tempograph.http.jsonbody import StrictJSONRoute
from tempograph.http.schemas import AssistantCountBody, AssistantSearchBody


def router(backend: Backend) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)
    catalog = backend.catalog

    @api.post("/assistants/search")
    async def search_assistants(body: AssistantSearchBody) -> list[dict[str, Any]]:
        found = catalog.search(graph_id=body.graph_id, name=body.name, metadata=body.metadata)
        key = body.sort_by or "created_at"
        found.sort(key=lambda a: str(a.get(key) or ""), reverse=body.sort_order == "desc")
        return found[body.offset : body.offset + body.limit]

    @api.post("/assistants/count")
    async def count_assistants(body: AssistantCountBody) -> int:
        return len(catalog.search(graph_id=body.graph_id, name=body.name, metadata=body.metadata))

    @api.get("/assistants/{assistant_id}")
    async def get_assistant(assistant_id: str) -> dict[str, Any]:
        graph = catalog.graph_of(assistant_id)
        if graph is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        return catalog.assistant(graph)

    return api
