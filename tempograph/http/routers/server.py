"""GET /ok (health, open without a token) and GET /info (what the server is and supports, in
the Agent Server's shape: langgraph-api's meta_info)."""

from __future__ import annotations

import importlib.metadata
from typing import Any

from fastapi import APIRouter, Request
from starlette.routing import BaseRoute

from tempograph.http.backend import Backend
from tempograph.http.jsonbody import StrictJSONRoute

DISTRIBUTION = "tempograph-hitl"


def version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def served_routes(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    """(method, path) of every route, those of included routers too (FastAPI >= 0.165 keeps
    an included router as one `_IncludedRouter` entry; Tempograph includes them unprefixed)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found |= served_routes(included.routes)
            continue
        path = getattr(route, "path", None)
        for method in getattr(route, "methods", None) or ():
            if path is not None:
                found.add((method, path))
    return found


def serves(routes: list[BaseRoute], path: str) -> bool:
    """Whether the app has a route at `path` (the store is its own router, mounted or not)."""
    return any(served == path for _, served in served_routes(routes))


def info(backend: Backend, routes: list[BaseRoute]) -> dict[str, Any]:
    """/info. `flags` say what this server supports, truthfully: crons are Temporal Schedules,
    resumes are always strict (langgraph-sdk's strict_resume), nothing is traced to LangSmith."""
    return {
        "version": version(),
        # The Agent Server reports the langgraph library it runs; Tempograph runs graphs in
        # its own engine (LangGraph graphs translated), never langgraph itself: null.
        "langgraph_py_version": None,
        "flags": {
            "assistants": True,
            "crons": True,
            "store": serves(routes, "/store/items"),
            "strict_resume": True,
            # Run bodies naming `stream_namespaces` are refused (422): said here too, for the
            # JS SDK's streamNamespaces, which reads this flag.
            "stream_namespaces": False,
            "langsmith": False,
            "langsmith_tracing_replicas": False,
            "langsmith_tracing_session_on_runs": False,
        },
        "host": {
            "kind": "tempograph",
            "project_id": None,
            "host_revision_id": None,
            "revision_id": None,
            "tenant_id": None,
        },
        "tempograph": {
            "namespace": backend.gc.client.namespace,
            "task_queue": backend.gc.task_queue,
        },
        "graphs": backend.catalog.graphs,
    }


def router(backend: Backend) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)

    @api.get("/ok")
    async def ok() -> dict[str, Any]:
        return {"ok": True}

    @api.get("/info")
    async def get_info(request: Request) -> dict[str, Any]:
        return info(backend, request.app.routes)

    return api
