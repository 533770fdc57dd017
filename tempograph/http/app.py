"""The LangGraph Agent Server HTTP API, served from Tempograph (FastAPI).

`create_app(graph_client, graph_names)` serves each graph as a system assistant. The real
`langgraph-sdk` client (`get_client(url=...)`) works against it unchanged: threads, thread state
and history, update_state, runs (wait, create, join, list, get, cancel), stateless runs.
See tempograph/http/service.py for where each thing is stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from tempograph import limits
from tempograph.client import GraphClient
from tempograph.errors import NoWorkerError, TemporalUnavailableError, ThreadIdConflictError
from tempograph.http.jsonbody import PathIdTooLongError, StrictJSONRoute
from tempograph.http.schemas import (
    AssistantCountBody,
    AssistantSearchBody,
    CheckpointRef,
    HistoryBody,
    RunBody,
    StateCheckpointBody,
    StateUpdateBody,
    ThreadCountBody,
    ThreadCreateBody,
    ThreadPatchBody,
    ThreadSearchBody,
)
from tempograph.http.service import (
    UNAVAILABLE,
    HttpError,
    RunRecord,
    Service,
    token_matches,
)
from tempograph.http.serving import BodyGuard, HostGuard, HttpSettings

# Paths anyone may call even when an API token is set (health checks).
OPEN_PATHS = {"/ok"}

log = logging.getLogger("tempograph.http")


def create_app(
    graph_client: GraphClient,
    graph_names: list[str],
    api_token: str | None = None,
    *,
    settings: HttpSettings | None = None,
) -> FastAPI:
    """An ASGI app serving `graph_names` (run by the workers of `graph_client`'s task queue).

    With `api_token` (server.py reads TEMPOGRAPH_API_TOKEN), every request needs
    `Authorization: Bearer <token>` or `x-api-key: <token>` (what the SDK sends from
    LANGGRAPH_API_KEY); otherwise 401. An empty token is refused (ValueError): it would
    otherwise mean no authentication at all. `settings` (HttpSettings(): a 4 MiB body limit,
    no Host check) sets the body limit, the allowed Host names and the cache sizes; the
    connection timeouts are the server's (tempograph.http.serving.server_config).
    """
    if api_token is not None and not api_token.strip():
        raise ValueError(
            "The API token is empty: set a non-empty token (TEMPOGRAPH_API_TOKEN), or none at "
            "all to serve without authentication"
        )
    settings = settings or HttpSettings()
    service = Service(graph_client, graph_names, cache_size=settings.cache_size)
    app = FastAPI(title="Tempograph Agent Server", version="0.1.0")
    # JSON bodies refuse NaN, lone surrogates and deep nesting (422), which no answer could carry.
    app.router.route_class = StrictJSONRoute
    app.state.service = service
    app.state.settings = settings
    # Innermost: bodies are read (at most max_body_bytes, else 413) after authentication.
    app.add_middleware(BodyGuard, limit=settings.max_body_bytes)
    address = graph_client.client.service_client.config.target_host

    @app.middleware("http")
    async def authenticate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        authorized = not api_token or token_matches(
            api_token, request.headers.get("authorization"), request.headers.get("x-api-key")
        )
        if not authorized and request.url.path not in OPEN_PATHS:
            return JSONResponse(
                {"detail": "Missing or invalid API key"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await call_next(request)

    if settings.allowed_hosts is not None:  # outermost: before anything else
        app.add_middleware(HostGuard, allowed=settings.allowed_hosts)

    @app.exception_handler(HttpError)
    async def on_http_error(request: Request, exc: HttpError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(PathIdTooLongError)
    @app.exception_handler(limits.LimitError)
    async def on_limit(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    unavailable = f"Temporal unreachable at {address}"

    @app.exception_handler(RPCError)
    async def on_rpc_error(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.UNAVAILABLE:
            log.warning("%s: %s", unavailable, exc.message)
            return JSONResponse({"detail": unavailable}, status_code=503)
        log.error(
            "Temporal refused a request to %s: %s (%s)", request.url.path, exc.message, exc.status
        )
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)

    @app.exception_handler(RuntimeError)
    async def on_runtime_error(request: Request, exc: RuntimeError) -> JSONResponse:
        if str(exc).startswith("Failed client connect"):  # a lazy client's (re)connect
            log.warning("%s: %s", unavailable, exc)
            return JSONResponse({"detail": unavailable}, status_code=503)
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _describe_errors(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def on_starlette(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(TemporalUnavailableError)
    async def on_unavailable(request: Request, exc: TemporalUnavailableError) -> JSONResponse:
        log.warning("%s", exc)
        return JSONResponse({"detail": unavailable}, status_code=503)

    @app.exception_handler(NoWorkerError)
    async def on_no_worker(request: Request, exc: NoWorkerError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(ThreadIdConflictError)
    async def on_id_conflict(request: Request, exc: ThreadIdConflictError) -> JSONResponse:
        thread_id = request.path_params.get("thread_id", "")
        return JSONResponse({"detail": UNAVAILABLE.format(thread_id)}, status_code=409)

    # -----------------------------------------------------------------------------------------
    # Server.
    # -----------------------------------------------------------------------------------------

    @app.get("/ok")
    async def ok() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/info")
    async def info() -> dict[str, Any]:
        return {
            "version": "tempograph-0.1.0",
            "langgraph_py_version": None,
            "flags": {"assistants": True, "crons": False, "langsmith": False},
            "graphs": service.graphs,
        }

    # -----------------------------------------------------------------------------------------
    # Assistants (one system assistant per graph).
    # -----------------------------------------------------------------------------------------

    @app.post("/assistants/search")
    async def search_assistants(body: AssistantSearchBody) -> list[dict[str, Any]]:
        found = service.search_assistants(
            graph_id=body.graph_id, name=body.name, metadata=body.metadata
        )
        key = body.sort_by or "created_at"
        found.sort(key=lambda a: str(a.get(key) or ""), reverse=body.sort_order == "desc")
        return found[body.offset : body.offset + body.limit]

    @app.post("/assistants/count")
    async def count_assistants(body: AssistantCountBody) -> int:
        found = service.search_assistants(
            graph_id=body.graph_id, name=body.name, metadata=body.metadata
        )
        return len(found)

    @app.get("/assistants/{assistant_id}")
    async def get_assistant(assistant_id: str) -> dict[str, Any]:
        graph = service.graph_of(assistant_id)
        if graph is None:
            raise HttpError(404, f"Assistant {assistant_id} not found")
        return service.assistant(graph)

    # -----------------------------------------------------------------------------------------
    # Threads.
    # -----------------------------------------------------------------------------------------

    @app.post("/threads")
    async def create_thread(body: ThreadCreateBody) -> dict[str, Any]:
        if body.supersteps:
            raise HttpError(422, "supersteps are not supported yet: create the thread, then run")
        return await service.create_thread(body.thread_id, body.metadata, body.if_exists)

    @app.post("/threads/search")
    async def search_threads(body: ThreadSearchBody) -> list[dict[str, Any]]:
        return await service.search_threads(
            ids=body.ids,
            metadata=body.metadata,
            values=body.values,
            status=body.status,
            sort_by=body.sort_by,
            sort_order=body.sort_order,
            limit=body.limit,
            offset=body.offset,
        )

    @app.post("/threads/count")
    async def count_threads(body: ThreadCountBody) -> int:
        found = await service.search_threads(
            metadata=body.metadata, values=body.values, status=body.status, limit=10_000
        )
        return len(found)

    @app.get("/threads/{thread_id}")
    async def get_thread(thread_id: str) -> dict[str, Any]:
        return await service.get_thread(thread_id)

    @app.patch("/threads/{thread_id}")
    async def patch_thread(thread_id: str, body: ThreadPatchBody) -> dict[str, Any]:
        return await service.patch_thread(thread_id, body.metadata)

    @app.delete("/threads/{thread_id}", status_code=204)
    async def delete_thread(thread_id: str) -> Response:
        await service.delete_thread(thread_id)
        return Response(status_code=204)

    @app.get("/threads/{thread_id}/state")
    async def get_state(thread_id: str, subgraphs: bool = False) -> dict[str, Any]:
        return await service.get_state(thread_id)

    @app.post("/threads/{thread_id}/state")
    async def update_state(thread_id: str, body: StateUpdateBody) -> dict[str, Any]:
        if isinstance(body.values, list):
            raise HttpError(422, "values: a list of updates is not supported; send one object")
        checkpoint_id = body.checkpoint_id or (
            body.checkpoint.checkpoint_id if body.checkpoint else None
        )
        return await service.update_state(thread_id, body.values, body.as_node, checkpoint_id)

    @app.post("/threads/{thread_id}/state/checkpoint")
    async def get_state_checkpoint(thread_id: str, body: StateCheckpointBody) -> dict[str, Any]:
        if not body.checkpoint.checkpoint_id:
            return await service.get_state(thread_id)
        return await service.get_state_at(thread_id, body.checkpoint.checkpoint_id)

    @app.get("/threads/{thread_id}/state/{checkpoint_id}")
    async def get_state_at(
        thread_id: str, checkpoint_id: str, subgraphs: bool = False
    ) -> dict[str, Any]:
        return await service.get_state_at(thread_id, checkpoint_id)

    @app.post("/threads/{thread_id}/history")
    async def history(thread_id: str, body: HistoryBody) -> list[dict[str, Any]]:
        return await service.get_history(
            thread_id, limit=body.limit, before=_checkpoint_id(body.before), metadata=body.metadata
        )

    @app.get("/threads/{thread_id}/history")
    async def history_get(
        thread_id: str, limit: int = 10, before: str | None = None
    ) -> list[dict[str, Any]]:
        if limit < 0:
            raise HttpError(422, "limit: must be >= 0")
        return await service.get_history(thread_id, limit=limit, before=before, metadata=None)

    # -----------------------------------------------------------------------------------------
    # Runs.
    # -----------------------------------------------------------------------------------------

    @app.post("/threads/{thread_id}/runs/wait")
    async def wait_run(thread_id: str, body: RunBody) -> JSONResponse:
        run = await service.submit(thread_id, body, stateless=False)
        result = await service.wait_for(run)
        return JSONResponse(result, headers=_run_headers(run, join=True))

    @app.post("/runs/wait")
    async def wait_stateless(body: RunBody) -> JSONResponse:
        run = await service.submit(str(uuid.uuid4()), body, stateless=True)
        result = await service.wait_for(run)
        await service.after_stateless(run, body.on_completion)
        keep = body.on_completion == "keep"
        return JSONResponse(result, headers=_run_headers(run, join=keep))

    @app.post("/threads/{thread_id}/runs")
    async def create_run(thread_id: str, body: RunBody) -> JSONResponse:
        run = await service.submit(thread_id, body, stateless=False)
        return JSONResponse(
            (await service.created(run)).to_json(), headers=_run_headers(run, join=False)
        )

    @app.post("/runs")
    async def create_stateless(body: RunBody) -> JSONResponse:
        run = await service.submit(str(uuid.uuid4()), body, stateless=True)
        await service.created(run)
        assert run.task is not None
        on_completion = body.on_completion
        run.task.add_done_callback(lambda _: _spawn(service.after_stateless(run, on_completion)))
        return JSONResponse(run.to_json(), headers=_run_headers(run, join=False))

    async def _stream(thread_id: str, body: RunBody, *, stateless: bool) -> StreamingResponse:
        modes = _stream_modes(body.stream_mode)
        seen = set() if stateless else await service.checkpoint_ids(thread_id)
        continuing = body.command is not None or body.input is None
        run = await service.submit(thread_id, body, stateless=stateless)
        await service.created(run)

        async def events() -> AsyncIterator[bytes]:
            try:
                async for event, data in service.stream(run, modes, seen, continuing=continuing):
                    yield f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
            finally:
                if stateless:  # (also when the client goes away: the run goes on, then this)
                    _spawn(service.after_stateless(run, body.on_completion))

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers=_run_headers(run, join=False),
        )

    @app.post("/threads/{thread_id}/runs/stream")
    async def stream_run(thread_id: str, body: RunBody) -> StreamingResponse:
        return await _stream(thread_id, body, stateless=False)

    @app.post("/runs/stream")
    async def stream_stateless(body: RunBody) -> StreamingResponse:
        return await _stream(str(uuid.uuid4()), body, stateless=True)

    def _spawn(work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        service.tasks.add(task)
        task.add_done_callback(service.tasks.discard)

    @app.get("/threads/{thread_id}/runs")
    async def list_runs(
        thread_id: str, limit: int = 10, offset: int = 0, status: str | None = None
    ) -> list[dict[str, Any]]:
        if limit < 0 or offset < 0:
            raise HttpError(422, "limit and offset must be >= 0")
        return await service.list_runs(thread_id, limit=limit, offset=offset, status=status)

    @app.get("/threads/{thread_id}/runs/{run_id}")
    async def get_run(thread_id: str, run_id: str) -> dict[str, Any]:
        return await service.get_run(thread_id, run_id)

    @app.get("/threads/{thread_id}/runs/{run_id}/join")
    async def join_run(thread_id: str, run_id: str) -> dict[str, Any]:
        return await service.join(thread_id, run_id)

    @app.post("/threads/{thread_id}/runs/{run_id}/cancel")
    async def cancel_run(
        thread_id: str, run_id: str, wait: bool = False, action: str = "interrupt"
    ) -> Response:
        if action not in ("interrupt", "rollback"):
            raise HttpError(422, "action: must be 'interrupt' or 'rollback'")
        await service.cancel_run(thread_id, run_id, wait=wait)
        return Response(status_code=204)

    return app


def _stream_modes(stream_mode: str | list[str] | None) -> set[str]:
    """Supported: "values" (the default) and "updates" (interrupt chunks only); other modes
    are accepted and send nothing."""
    if stream_mode is None:
        return {"values"}
    return {stream_mode} if isinstance(stream_mode, str) else set(stream_mode)


def _run_headers(run: RunRecord, *, join: bool) -> dict[str, str]:
    """Content-Location (and Location of the join): the thread id percent-encoded, as headers
    are latin-1 and thread ids are any string."""
    base = f"/threads/{_url_part(run.thread_id)}/runs/{_url_part(run.run_id)}"
    headers = {"Content-Location": base}
    if join:
        headers["Location"] = f"{base}/join"
    return headers


def _url_part(value: str) -> str:
    return urllib.parse.quote(value, safe="!$&'()*+,;=:@")  # RFC 3986 pchar


def _checkpoint_id(before: str | CheckpointRef | dict[str, Any] | None) -> str | None:
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


def _describe_errors(errors: Any) -> str:
    """Pydantic errors as one line: `body.assistant_id: Field required; ...`; a body that is not
    JSON as `body: JSON decode error (<why>)`."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":
            why = (error.get("ctx") or {}).get("error")
            parts.append(f"body: JSON decode error ({why})" if why else "body: JSON decode error")
            continue
        loc = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request"
