"""GET /ok (health, open without a token) and GET /info."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tempograph.http.backend import Backend
from tempograph.http.jsonbody import StrictJSONRoute


def router(backend: Backend) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)

    @api.get("/ok")
    async def ok() -> dict[str, Any]:
        return {"ok": True}

    @api.get("/info")
    async def info() -> dict[str, Any]:
        return {
            "version": "tempograph-0.1.0",
            "langgraph_py_version": None,
            "flags": {"assistants": True, "crons": False, "langsmith": False},
            "graphs": backend.catalog.graphs,
        }

    return api
