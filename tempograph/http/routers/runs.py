"""Runs on a thread (/threads/{id}/runs...: wait, create, stream, list, get, join, cancel) and
stateless runs (/runs, /runs/wait, /runs/stream: a temporary thread, deleted afterwards unless
on_completion is "keep")."""

from __future__ import annotations

import asyncio
import urllib.parse
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from tempograph.http.backend import Backend
from tempograph.http.errors import HttpError
from tempograph.http.jsonbody import StrictJSONRoute
from tempograph.http.routers.threads import only_known_query
from tempograph.http.run_executor import RunRecord
from tempograph.http.schemas import RunBody, RunsCancelBody
from tempograph.http.sse import EventStream
from tempograph.http.streaming import join_stream, start_stream, stream_modes, wants_live


def _url_part(value: str) -> str:
    return urllib.parse.quote(value, safe="!$&'()*+,;=:@")  # RFC 3986 pchar


def run_headers_of(thread_id: str, run_id: str) -> dict[str, str]:
    """Content-Location and Location (the join), as the Agent Server's cancel with wait."""
    base = f"/threads/{_url_part(thread_id)}/runs/{_url_part(run_id)}"
    return {"Content-Location": base, "Location": f"{base}/join"}


def run_headers(run: RunRecord, *, join: bool, stream: bool = False) -> dict[str, str]:
    """Content-Location (and Location of the join, or of the stream to rejoin): the thread id
    percent-encoded, as headers are latin-1 and thread ids are any string."""
    base = f"/threads/{_url_part(run.thread_id)}/runs/{_url_part(run.run_id)}"
    headers = {"Content-Location": base}
    if join:
        headers["Location"] = f"{base}/join"
    if stream:
        # langgraph-sdk reconnects there (GET, with Last-Event-ID) when the stream drops.
        headers["Location"] = f"{base}/stream"
    return headers


THREAD_STREAM_REFUSAL = (
    "threads.stream (the v3 thread streaming protocol: POST /threads/{thread_id}/commands, "
    "GET /threads/{thread_id}/stream/events) is not supported by Tempograph: use runs.stream, "
    "runs.join_stream or threads.join_stream"
)


# What runs.cancel reads from its query; anything else is refused, not ignored.
CANCEL_QUERY = frozenset({"wait", "action"})


def cancel_action(action: str) -> Literal["interrupt", "rollback"]:
    if action == "interrupt":
        return "interrupt"
    if action == "rollback":
        return "rollback"
    raise HttpError(422, "action: must be 'interrupt' or 'rollback'")


def router(backend: Backend) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)
    executor = backend.executor

    @api.post("/threads/{thread_id}/runs/wait")
    async def wait_run(thread_id: str, body: RunBody) -> JSONResponse:
        run = await executor.submit(thread_id, body, stateless=False)
        result = await executor.wait_for(run)
        return JSONResponse(result, headers=run_headers(run, join=True))

    @api.post("/runs/wait")
    async def wait_stateless(body: RunBody) -> JSONResponse:
        run = await executor.submit(str(uuid.uuid4()), body, stateless=True)
        result = await executor.wait_for(run)
        await executor.after_stateless(run, body.on_completion)
        keep = body.on_completion == "keep"
        return JSONResponse(result, headers=run_headers(run, join=keep))

    @api.post("/threads/{thread_id}/runs")
    async def create_run(thread_id: str, body: RunBody) -> JSONResponse:
        # A background run asking for a live mode is joined for it later (runs.join_stream):
        # its node calls publish their live output from the start.
        live = wants_live(stream_modes(body.stream_mode))
        run = await executor.submit(thread_id, body, stateless=False, stream=live)
        return JSONResponse(
            (await executor.accepted(run)).to_json(), headers=run_headers(run, join=False)
        )

    async def background_stateless(body: RunBody) -> RunRecord:
        live = wants_live(stream_modes(body.stream_mode))
        run = await executor.submit(str(uuid.uuid4()), body, stateless=True, stream=live)
        await executor.created(run)
        assert run.task is not None
        on_completion = body.on_completion
        run.task.add_done_callback(
            lambda _: executor.spawn(executor.after_stateless(run, on_completion))
        )
        return run

    @api.post("/runs")
    async def create_stateless(body: RunBody) -> JSONResponse:
        run = await background_stateless(body)
        return JSONResponse(run.to_json(), headers=run_headers(run, join=False))

    @api.post("/runs/batch")
    async def create_batch(bodies: list[RunBody]) -> list[dict[str, Any]]:
        # Every body is validated (422) before any run starts; the runs start together.
        if not bodies:
            raise HttpError(422, "a batch holds at least one run")
        for body in bodies:
            # A created assistant is read from Temporal first (this process may never have).
            executor.validate(await backend.catalog.apply(body), stateless=True)
        runs = await asyncio.gather(*(background_stateless(body) for body in bodies))
        return [run.to_json() for run in runs]

    async def stream(thread_id: str, body: RunBody, *, stateless: bool) -> EventStream:
        run, events = await start_stream(executor, thread_id, body, stateless=stateless)
        return EventStream(events, headers=run_headers(run, join=False, stream=True))

    @api.post("/threads/{thread_id}/runs/stream")
    async def stream_run(thread_id: str, body: RunBody) -> EventStream:
        return await stream(thread_id, body, stateless=False)

    @api.post("/runs/stream")
    async def stream_stateless(body: RunBody) -> EventStream:
        return await stream(str(uuid.uuid4()), body, stateless=True)

    @api.get("/threads/{thread_id}/runs")
    async def list_runs(
        thread_id: str, limit: int = 10, offset: int = 0, status: str | None = None
    ) -> list[dict[str, Any]]:
        if limit < 0 or offset < 0:
            raise HttpError(422, "limit and offset must be >= 0")
        return await executor.list_runs(thread_id, limit=limit, offset=offset, status=status)

    @api.get("/threads/{thread_id}/runs/{run_id}")
    async def get_run(thread_id: str, run_id: str) -> dict[str, Any]:
        return await executor.get_run(thread_id, run_id)

    @api.get("/threads/{thread_id}/runs/{run_id}/stream")
    async def join_run_stream(
        thread_id: str,
        run_id: str,
        cancel_on_disconnect: bool = False,
        stream_mode: Annotated[list[str] | None, Query()] = None,
        last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    ) -> EventStream:
        modes = [m for m in stream_mode or [] if m]  # the SDK sends `stream_mode=` when unset
        events = await join_stream(
            executor,
            thread_id,
            run_id,
            stream_mode=modes or None,
            last_event_id=last_event_id,
            cancel_on_disconnect=cancel_on_disconnect,
        )
        return EventStream(events)

    @api.get("/threads/{thread_id}/runs/{run_id}/join")
    async def join_run(thread_id: str, run_id: str) -> dict[str, Any]:
        return await executor.join(thread_id, run_id)

    @api.post("/threads/{thread_id}/runs/{run_id}/cancel")
    async def cancel_run(
        request: Request,
        thread_id: str,
        run_id: str,
        wait: bool = False,
        action: str = "interrupt",
    ) -> Response:
        # As the Agent Server: 202 at once; with wait, 200 and the cancelled run's result once
        # it has stopped (null when rollback deleted it).
        only_known_query(request, CANCEL_QUERY)
        chosen = cancel_action(action)
        await executor.cancel_run(thread_id, run_id, wait=wait, action=chosen)
        if not wait:
            return Response(status_code=202)
        try:
            result: Any = await executor.join(thread_id, run_id)
        except HttpError as exc:
            if exc.status != 404 or chosen != "rollback":
                raise
            result = None
        return JSONResponse(result, headers=run_headers_of(thread_id, run_id))

    @api.post("/runs/cancel")
    async def cancel_runs(
        request: Request, body: RunsCancelBody, action: str = "interrupt"
    ) -> Response:
        only_known_query(request, frozenset({"action"}))
        await executor.cancel_many(
            thread_id=body.thread_id,
            run_ids=body.run_ids,
            status=body.status,
            action=cancel_action(action),
        )
        return Response(status_code=204)

    # threads.stream (langgraph-sdk's v3 thread streaming protocol): not served; said so
    # instead of a bare "Not Found" (support.py's table).
    @api.post("/threads/{thread_id}/commands")
    async def thread_commands(thread_id: str) -> Response:
        raise HttpError(404, THREAD_STREAM_REFUSAL)

    @api.get("/threads/{thread_id}/stream/events")
    async def thread_stream_events(thread_id: str) -> Response:
        raise HttpError(404, THREAD_STREAM_REFUSAL)

    @api.delete("/threads/{thread_id}/runs/{run_id}", status_code=204)
    async def delete_run(thread_id: str, run_id: str) -> Response:
        await executor.delete_run(thread_id, run_id)
        return Response(status_code=204)

    return api
