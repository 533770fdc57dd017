"""The LangGraph Agent Server HTTP API, served from Tempograph (FastAPI): `create_app` only
assembles it. Routes: tempograph/http/routers/ (one router per resource); what they answer:
thread_views.py, run_executor.py, streaming.py, rendering.py, status.py; where each thing is
stored: thread_store.py and executions.py; the store (/store): tempograph.store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import FastAPI

from tempograph.client import GraphClient
from tempograph.http.auth import check_token, install_token_check
from tempograph.http.backend import Backend
from tempograph.http.codec_server import install_codec_server
from tempograph.http.errors import install_error_handlers
from tempograph.http.inbox import router as inbox_router
from tempograph.http.jsonbody import StrictJSONRoute
from tempograph.http.metrics import router as metrics_router
from tempograph.http.routers import assistants, crons, runs, server, threads
from tempograph.http.routers import store as store_router
from tempograph.http.serving import BodyGuard, HostGuard, HttpSettings
from tempograph.store import BaseStore, default_store

log = structlog.get_logger(__name__)

# Thread TTLs: how often the server deletes the runs of threads whose record expired, when no
# look-up or search met them first; and how far back each sweep looks again (visibility lists
# a closed record a moment after it closed).
TTL_SWEEP_SECONDS = 60.0
TTL_SWEEP_OVERLAP = timedelta(minutes=5)


async def sweep_expired_threads(backend: Backend, interval: float) -> None:
    """Every `interval` seconds, delete the runs of expired threads (ThreadStore.sweep_expired).
    A failed round (Temporal unreachable) is logged and tried again next round."""
    since: datetime | None = None
    while True:
        await asyncio.sleep(interval)
        started = datetime.now(UTC)
        try:
            swept = await backend.store.sweep_expired(since)
        except Exception as exc:  # noqa: BLE001 - a round that fails must not end the sweeper
            log.warning("thread TTL sweep failed; retrying next round", error=str(exc))
            continue
        if swept:
            log.info("expired threads swept", threads=len(swept))
        since = started - TTL_SWEEP_OVERLAP


def create_app(
    graph_client: GraphClient,
    graph_names: Sequence[str] | Mapping[str, Any],
    api_token: str | None = None,
    *,
    settings: HttpSettings | None = None,
    codec_origins: Sequence[str] = (),
    store: BaseStore | None = None,
    ttl_sweep_seconds: float | None = TTL_SWEEP_SECONDS,
) -> FastAPI:
    """An ASGI app serving `graph_names` (run by the workers of `graph_client`'s task queue).
    Given as a mapping {name: compiled graph}, the graphs' topology and schemas are served too
    (/assistants/{id}/graph, /schemas, /subgraphs); given as names, those answer 501.

    With `api_token` (server.py reads TEMPOGRAPH_API_TOKEN), every request needs
    `Authorization: Bearer <token>` or `x-api-key: <token>` (what the SDK sends from
    LANGGRAPH_API_KEY); otherwise 401. An empty token is refused (ValueError): it would
    otherwise mean no authentication at all. `settings` (HttpSettings(): a 4 MiB body limit,
    no Host check) sets the body limit, the allowed Host names and the cache sizes; the
    connection timeouts are the server's (tempograph.http.serving.server_config).
    `codec_origins`: the Temporal UI origins allowed to call the codec server (CORS).
    `store`: what /store serves (tempograph.store), by default TEMPOGRAPH_STORE_URI's (else
    the SQLite file .tempograph/store.sqlite): the database the workers' nodes use.
    `ttl_sweep_seconds`: while the app runs (its lifespan), how often the runs of threads
    whose TTL ran out are deleted when nobody looked them up; None: only on look-ups.
    """
    if ttl_sweep_seconds is not None and ttl_sweep_seconds <= 0:
        raise ValueError(
            f"ttl_sweep_seconds must be a positive number of seconds or None, "
            f"not {ttl_sweep_seconds!r}"
        )
    check_token(api_token)
    settings = settings or HttpSettings()
    backend = Backend(graph_client, graph_names, cache_size=settings.cache_size)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeper = (
            asyncio.create_task(sweep_expired_threads(backend, ttl_sweep_seconds))
            if ttl_sweep_seconds is not None
            else None
        )
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper

    app = FastAPI(title="Tempograph Agent Server", version="0.1.0", lifespan=lifespan)
    # JSON bodies refuse NaN, lone surrogates and deep nesting (422), which no answer could carry.
    app.router.route_class = StrictJSONRoute
    app.state.service = backend
    app.state.settings = settings
    # Middleware, innermost first: bodies are read (at most max_body_bytes, else 413) after
    # authentication; the Host check comes before anything else.
    app.add_middleware(BodyGuard, limit=settings.max_body_bytes)
    install_token_check(app, api_token)
    if settings.allowed_hosts is not None:
        app.add_middleware(HostGuard, allowed=settings.allowed_hosts)
    install_error_handlers(app, graph_client.client.service_client.config.target_host)
    for module in (server, assistants, threads, runs, crons):
        app.include_router(module.router(backend))
    app.state.store = store if store is not None else default_store()
    app.include_router(store_router.router(app.state.store))
    # /metrics: Prometheus (waiting runs, the process); run events are on the workers'.
    app.include_router(metrics_router(backend))
    # /inbox: the approvals inbox for browsers (its own sign-in with the same token).
    app.include_router(inbox_router(backend, api_token))
    # /codec: Temporal's codec server, when payloads are encrypted (tempograph.codec), for the
    # Temporal UI at `codec_origins` (and TEMPOGRAPH_CODEC_CORS_ORIGINS) and the temporal CLI.
    codec = graph_client.client.data_converter.payload_codec
    install_codec_server(app, codec, api_token, codec_origins)
    return app
