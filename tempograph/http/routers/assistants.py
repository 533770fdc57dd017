"""/assistants: one system assistant per served graph (search, count, get) and each graph's
topology and schemas (graph, schemas, subgraphs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tempograph.http.backend import Backend
from tempograph.http.errors import HttpError
from tempograph.http.graph_introspection import graph_json, schemas_json, subgraphs_json
from tempograph.http.jsonbody import StrictJSONRoute
from tempograph.http.schemas import AssistantCountBody, AssistantSearchBody


def parse_xray(xray: str) -> int | bool:
    """`?xray=`: true/false or a depth (what the SDK sends: "true", "false", "2")."""
    lowered = xray.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        depth = int(lowered)
    except ValueError:
        raise HttpError(422, f"xray: true, false or a depth (an integer), got {xray!r}") from None
    if depth < 0:
        raise HttpError(422, f"xray: a depth of 0 or more, got {depth}")
    return depth


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise HttpError(422, f"{name}: true or false, got {value!r}")
    return lowered == "true"


def router(backend: Backend) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)
    catalog = backend.catalog

    def graph_of(assistant_id: str) -> str:
        graph = catalog.graph_of(assistant_id)
        if graph is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        return graph

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
        return catalog.assistant(graph_of(assistant_id))

    @api.get("/assistants/{assistant_id}/graph")
    async def get_graph(assistant_id: str, xray: str = "false") -> dict[str, Any]:
        depth = parse_xray(xray)
        return graph_json(catalog.compiled_graph(graph_of(assistant_id)), depth)

    @api.get("/assistants/{assistant_id}/schemas")
    async def get_schemas(assistant_id: str) -> dict[str, Any]:
        graph = graph_of(assistant_id)
        return schemas_json(graph, catalog.compiled_graph(graph))

    @api.get("/assistants/{assistant_id}/subgraphs")
    async def get_subgraphs(assistant_id: str, recurse: str = "false") -> dict[str, Any]:
        graph = graph_of(assistant_id)
        deep = parse_bool("recurse", recurse)
        return subgraphs_json(graph, catalog.compiled_graph(graph), None, deep)

    @api.get("/assistants/{assistant_id}/subgraphs/{namespace}")
    async def get_subgraphs_in(
        assistant_id: str, namespace: str, recurse: str = "false"
    ) -> dict[str, Any]:
        graph = graph_of(assistant_id)
        deep = parse_bool("recurse", recurse)
        return subgraphs_json(graph, catalog.compiled_graph(graph), namespace, deep)

    return api
