"""/runs/crons and /threads/{id}/runs/crons: crons as Temporal Schedules
(tempograph/http/cron_store.py): create (stateless, or on a thread), search, count, update,
delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from tempograph.http.backend import Backend
from tempograph.http.cron_store import (
    CronBody,
    CronCountBody,
    CronPatchBody,
    CronSearchBody,
    CronStore,
)
from tempograph.http.jsonbody import StrictJSONRoute


def router(backend: Backend) -> APIRouter:
    api = APIRouter(route_class=StrictJSONRoute)
    crons = CronStore(
        backend.gc.client, backend.catalog, backend.gc.task_queue, threads=backend.store
    )

    @api.post("/runs/crons")
    async def create_cron(body: CronBody) -> dict[str, Any]:
        return await crons.create(body)

    @api.post("/threads/{thread_id}/runs/crons")
    async def create_thread_cron(thread_id: str, body: CronBody) -> dict[str, Any]:
        return await crons.create(body, thread_id)

    @api.post("/runs/crons/search")
    async def search_crons(body: CronSearchBody) -> list[dict[str, Any]]:
        return await crons.search(body)

    @api.post("/runs/crons/count")
    async def count_crons(body: CronCountBody) -> int:
        return await crons.count(body)

    @api.patch("/runs/crons/{cron_id}")
    async def update_cron(cron_id: str, body: CronPatchBody) -> dict[str, Any]:
        return await crons.update(cron_id, body)

    @api.delete("/runs/crons/{cron_id}")
    async def delete_cron(cron_id: str) -> Response:
        await crons.delete(cron_id)
        return Response(status_code=204)

    return api
