"""/store: the Agent Server's store routes over tempograph.store (the same database the
workers' nodes use as `runtime.store`): PUT/GET/DELETE /store/items, POST /store/items/search,
POST /store/namespaces.

As the Agent Server: a missing item is `null` (200), writes answer 204, namespace labels that
are empty or hold a period are 422. Beyond it, refused rather than ignored: `query` (semantic
search) and `index` lists (vector indexes), unknown fields (422); a value over the store's
MAX_VALUE_BYTES is 413, a search over MAX_SEARCH_BYTES of values 422 (ask for fewer), a query
parameter given twice 422; an unreachable database is 503.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from tempograph.http.errors import HttpError
from tempograph.http.jsonbody import StrictJSONRoute
from tempograph.store.base import NOT_PROVIDED, BaseStore, StoreError, ValueTooLargeError

log = structlog.get_logger("tempograph.http.store")

T = TypeVar("T")

GET_PARAMS = frozenset({"namespace", "key", "refresh_ttl"})


class PutBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    namespace: list[str]
    key: str
    value: dict[str, Any]
    index: Literal[False] | list[str] | None = None
    ttl: float | None = None


class DeleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    namespace: list[str]
    key: str


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    namespace_prefix: list[str] = []
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool | None = None


class NamespacesBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prefix: list[str] | None = None
    suffix: list[str] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


def _database_errors() -> tuple[type[BaseException], ...]:
    """The errors of a database that cannot be reached or used now (503, try again): not
    every database error (a value out of range is not solved by trying again)."""
    # OSError: tempograph.store.StoreUnavailableError (a ConnectionError), which the store's
    # backends raise for these; the drivers' own errors for other BaseStore implementations.
    errors: list[type[BaseException]] = [sqlite3.OperationalError, OSError]
    try:
        import psycopg

        errors += [psycopg.OperationalError, psycopg.InterfaceError]
    except ImportError:
        pass
    return tuple(errors)


_DB_ERRORS = _database_errors()


async def _call(action: Callable[[], Awaitable[T]]) -> T:
    """The store's refusals as 4xx naming the field; its database's failures as 503."""
    try:
        return await action()
    except StoreError as exc:
        text = str(exc)
        detail = text if not exc.field or text.startswith(exc.field) else f"{exc.field}: {text}"
        raise HttpError(413 if isinstance(exc, ValueTooLargeError) else 422, detail) from None
    except _DB_ERRORS as exc:
        log.warning("store database error", error=str(exc), kind=type(exc).__name__)
        raise HttpError(
            503, f"The store's database is unavailable ({type(exc).__name__}); try again"
        ) from None


def router(store: BaseStore) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)

    @api.put("/store/items", status_code=204)
    async def put_item(body: PutBody) -> Response:
        # No ttl: the store's default_ttl, as the Agent Server (the SDK never sends null);
        # "ttl": null: never expires.
        ttl = body.ttl if "ttl" in body.model_fields_set else NOT_PROVIDED
        await _call(
            lambda: store.aput(
                tuple(body.namespace), body.key, body.value, index=body.index, ttl=ttl
            )
        )
        return Response(status_code=204)

    @api.get("/store/items")
    async def get_item(request: Request) -> dict[str, Any] | None:
        params = request.query_params
        unknown = sorted(set(params) - GET_PARAMS)
        if unknown:
            allowed = sorted(GET_PARAMS)
            raise HttpError(422, f"Unknown query parameters: {unknown} (allowed: {allowed})")
        repeated = sorted(name for name in GET_PARAMS if len(params.getlist(name)) > 1)
        if repeated:
            raise HttpError(422, f"{repeated[0]}: given more than once (give it once)")
        key = params.get("key")
        if not key:
            raise HttpError(400, "Key is required")
        namespace = tuple(params.get("namespace", "").split("."))
        refresh = params.get("refresh_ttl")
        refresh_ttl: bool | None = None
        if refresh is not None:
            if refresh.lower() not in ("true", "false"):
                raise HttpError(422, f"refresh_ttl: expected true or false, got {refresh!r}")
            refresh_ttl = refresh.lower() == "true"
        item = await _call(lambda: store.aget(namespace, key, refresh_ttl=refresh_ttl))
        return None if item is None else item.dict()

    @api.delete("/store/items", status_code=204)
    async def delete_item(body: DeleteBody) -> Response:
        await _call(lambda: store.adelete(tuple(body.namespace), body.key))
        return Response(status_code=204)

    @api.post("/store/items/search")
    async def search_items(body: SearchBody) -> dict[str, Any]:
        items = await _call(
            lambda: store.asearch(
                tuple(body.namespace_prefix),
                query=body.query,
                filter=body.filter,
                limit=body.limit,
                offset=body.offset,
                refresh_ttl=body.refresh_ttl,
            )
        )
        # The store refuses a search over MAX_SEARCH_BYTES of values while reading it (422).
        return {"items": [item.dict() for item in items]}

    @api.post("/store/namespaces")
    async def list_namespaces(body: NamespacesBody) -> dict[str, Any]:
        found = await _call(
            lambda: store.alist_namespaces(
                prefix=tuple(body.prefix) if body.prefix else None,
                suffix=tuple(body.suffix) if body.suffix else None,
                max_depth=body.max_depth,
                limit=body.limit,
                offset=body.offset,
            )
        )
        return {"namespaces": [list(ns) for ns in found]}

    return api
