"""/assistants: one system assistant per served graph, assistants created through the API
(create, update as a new version, versions, set latest, delete: assistant_store.py), both
searched, counted and read; and an assistant's graph topology and schemas (graph, schemas,
subgraphs)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response

from tempograph._assistants import AssistantChange
from tempograph.http.assistant_catalog import subset
from tempograph.http.assistant_store import (
    AssistantCreateBody,
    AssistantLatestBody,
    AssistantPatchBody,
    AssistantVersionsBody,
    config_of,
    memo_json,
    version_json,
)
from tempograph.http.backend import Backend
from tempograph.http.errors import HttpError, check_message
from tempograph.http.graph_introspection import graph_json, schemas_json, subgraphs_json
from tempograph.http.jsonbody import StrictJSONRoute
from tempograph.http.rendering import now
from tempograph.http.schemas import AssistantCountBody, AssistantSearchBody

AssistantField = Literal[
    "assistant_id",
    "graph_id",
    "name",
    "description",
    "config",
    "context",
    "created_at",
    "updated_at",
    "metadata",
    "version",
]


class AssistantSearchRequest(AssistantSearchBody):
    """POST /assistants/search, with `select` (the fields each assistant is answered with)."""

    select: list[AssistantField] | None = None


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

    store = catalog.store
    assert store is not None  # Backend gives the catalog its store

    async def graph_of(assistant_id: str) -> str:
        graph = catalog.system_graph(assistant_id)
        if graph is not None:
            return graph
        memo = await catalog.created(assistant_id)
        if memo is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        return memo.current.graph_id

    async def everyone() -> list[dict[str, Any]]:
        return [
            *(catalog.assistant(g) for g in catalog.graphs),
            *(memo_json(m) for m in await store.listed()),
        ]

    def matching(
        found: list[dict[str, Any]],
        graph_id: str | None,
        name: str | None,
        metadata: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        return [
            a
            for a in found
            if (graph_id is None or a["graph_id"] == graph_id)
            and (name is None or name.lower() in (a["name"] or "").lower())
            and subset(metadata, a["metadata"])
        ]

    def system(assistant_id: str, action: str) -> None:
        if catalog.system_graph(assistant_id) is not None:
            raise HttpError(
                409,
                f"Assistant {assistant_id} is a graph's system assistant: it cannot be {action}",
            )

    @api.post("/assistants")
    async def create_assistant(body: AssistantCreateBody) -> dict[str, Any]:
        if body.graph_id not in catalog.graphs:
            raise HttpError(404, f"Graph {body.graph_id} not found")
        if body.assistant_id is not None:
            system(body.assistant_id, "created")
        return memo_json(await store.create(body, now()))

    @api.post("/assistants/search")
    async def search_assistants(
        body: AssistantSearchRequest, response: Response
    ) -> list[dict[str, Any]]:
        found = matching(await everyone(), body.graph_id, body.name, body.metadata)
        key = body.sort_by or "created_at"
        found.sort(key=lambda a: str(a.get(key) or ""), reverse=body.sort_order == "desc")
        page = found[body.offset : body.offset + body.limit]
        if body.offset + body.limit < len(found):
            # What the SDK's response_format="object" reads as `next`.
            response.headers["X-Pagination-Next"] = str(body.offset + body.limit)
        if body.select:
            page = [{k: a[k] for k in body.select} for a in page]
        return page

    @api.post("/assistants/count")
    async def count_assistants(body: AssistantCountBody) -> int:
        return len(matching(await everyone(), body.graph_id, body.name, body.metadata))

    @api.get("/assistants/{assistant_id}")
    async def get_assistant(assistant_id: str) -> dict[str, Any]:
        graph = catalog.system_graph(assistant_id)
        if graph is not None:
            return catalog.assistant(graph)
        memo = await catalog.created(assistant_id)
        if memo is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        return memo_json(memo)

    @api.patch("/assistants/{assistant_id}")
    async def update_assistant(assistant_id: str, body: AssistantPatchBody) -> dict[str, Any]:
        system(assistant_id, "changed")
        if body.graph_id is not None and body.graph_id not in catalog.graphs:
            raise HttpError(404, f"Graph {body.graph_id} not found")
        check_message("config", config_of(body.config))
        check_message("context", body.context)
        check_message("metadata", body.metadata)
        change = AssistantChange(
            graph_id=body.graph_id,
            config=config_of(body.config),
            context=body.context,
            metadata=body.metadata,
            name=body.name,
            description=body.description,
        )
        return memo_json(await store.change(assistant_id, change))

    @api.delete("/assistants/{assistant_id}", status_code=204)
    async def delete_assistant(assistant_id: str, delete_threads: str = "false") -> Response:
        if parse_bool("delete_threads", delete_threads):
            raise HttpError(
                422,
                "delete_threads: not supported; delete the assistant's threads with "
                "threads.search(metadata={'assistant_id': ...}) and threads.delete",
            )
        system(assistant_id, "deleted")
        await store.delete(assistant_id)
        return Response(status_code=204)

    @api.post("/assistants/{assistant_id}/versions")
    async def assistant_versions(
        assistant_id: str, body: AssistantVersionsBody
    ) -> list[dict[str, Any]]:
        graph = catalog.system_graph(assistant_id)
        if graph is not None:
            found = [catalog.assistant(graph)]
            found = [{k: v for k, v in a.items() if k != "updated_at"} for a in found]
        else:
            found = [version_json(v) for v in await store.versions(assistant_id)]
        found = [v for v in found if subset(body.metadata, v["metadata"])]
        return found[body.offset : body.offset + body.limit]

    @api.post("/assistants/{assistant_id}/latest")
    async def set_latest(assistant_id: str, body: AssistantLatestBody) -> dict[str, Any]:
        system(assistant_id, "changed")
        return memo_json(
            await store.change(assistant_id, AssistantChange(set_current=body.version))
        )

    @api.get("/assistants/{assistant_id}/graph")
    async def get_graph(assistant_id: str, xray: str = "false") -> dict[str, Any]:
        depth = parse_xray(xray)
        return graph_json(catalog.compiled_graph(await graph_of(assistant_id)), depth)

    @api.get("/assistants/{assistant_id}/schemas")
    async def get_schemas(assistant_id: str) -> dict[str, Any]:
        graph = await graph_of(assistant_id)
        return schemas_json(graph, catalog.compiled_graph(graph))

    @api.get("/assistants/{assistant_id}/subgraphs")
    async def get_subgraphs(assistant_id: str, recurse: str = "false") -> dict[str, Any]:
        graph = await graph_of(assistant_id)
        deep = parse_bool("recurse", recurse)
        return subgraphs_json(graph, catalog.compiled_graph(graph), None, deep)

    @api.get("/assistants/{assistant_id}/subgraphs/{namespace}")
    async def get_subgraphs_in(
        assistant_id: str, namespace: str, recurse: str = "false"
    ) -> dict[str, Any]:
        graph = await graph_of(assistant_id)
        deep = parse_bool("recurse", recurse)
        return subgraphs_json(graph, catalog.compiled_graph(graph), namespace, deep)

    return api
