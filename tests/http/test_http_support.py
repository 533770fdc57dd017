"""The support table (tempograph/http/support.py), the one source of the README's list of
what the Agent Server API supports: every public method of langgraph-sdk's clients has a row,
every row's route is served (an unsupported one answers its status, naming what), README.md
holds the generated section, and /info says what is supported."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from fastapi import FastAPI
from langgraph_sdk._async import assistants, cron, runs, store, threads
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph.http import create_app
from tempograph.http.routers.server import served_routes
from tempograph.http.support import CLIENTS, TABLE, markdown, readme_section, rows
from tempograph.http.testing import serve
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs

ROOT = Path(__file__).resolve().parents[2]
SDK_CLIENTS = {
    "assistants": assistants.AssistantsClient,
    "threads": threads.ThreadsClient,
    "runs": runs.RunsClient,
    "crons": cron.CronClient,
    "store": store.StoreClient,
}


def public_methods(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_every_sdk_method_has_one_row() -> None:
    assert set(SDK_CLIENTS) == set(CLIENTS)
    for group, cls in SDK_CLIENTS.items():
        assert cls.__name__ == CLIENTS[group]
        names = [m.name for m in rows(group)]
        assert len(names) == len(set(names)), f"{group}: a method listed twice"
        assert set(names) == public_methods(cls), group
    assert len(TABLE) == sum(len(public_methods(c)) for c in SDK_CLIENTS.values())


def test_readme_holds_the_generated_section() -> None:
    section = readme_section((ROOT / "README.md").read_text())
    assert section is not None, "README.md has no support-table markers"
    assert section == markdown(), (
        "README.md's support table is not the generated one: paste the output of "
        "`python -m tempograph.http.support --markdown` between the markers"
    )


def test_the_cli_prints_the_section() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tempograph.http.support", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout == markdown()
    assert out.stdout.count("\n| `") == len(TABLE)


def routes_of(row_routes: str) -> list[tuple[str, str]]:
    """("VERB", "/path") of each route a row names (`[/{x}]`: with and without)."""
    found: list[tuple[str, str]] = []
    for part in row_routes.split(", "):
        verb, path = part.split(" ", 1)
        optional = re.search(r"\[(.*)\]", path)
        if optional:
            found.append((verb, path.replace(optional.group(0), "")))
            found.append((verb, path.replace(optional.group(0), optional.group(1))))
        else:
            found.append((verb, path))
    return found


@pytest_asyncio.fixture(scope="module")
async def app(client: Client, worker: Worker) -> FastAPI:
    return create_app(GraphClient(client, task_queue=TASK_QUEUE), all_graphs())


@pytest_asyncio.fixture(scope="module")
async def url(app: FastAPI) -> AsyncIterator[str]:
    async with serve(app) as base:
        yield base


def test_every_supported_row_is_served(app: FastAPI) -> None:
    served = served_routes(app.routes)
    for method in TABLE:
        if method.support != "unsupported":
            for verb, path in routes_of(method.routes):
                assert (verb, path) in served, f"{method.group}.{method.name}: {verb} {path}"


async def test_unsupported_rows_answer_their_status(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        for method in TABLE:
            if method.support != "unsupported":
                continue
            assert method.status is not None and 400 <= method.status < 500
            for verb, path in routes_of(method.routes):
                concrete = re.sub(r"\{[^}]+\}", "x", path)
                r = await http.request(verb, concrete, json={} if verb == "POST" else None)
                assert r.status_code == method.status, (method.name, r.text)
                assert method.name in r.json()["detail"], r.text


async def test_info_says_what_is_supported(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        info = (await http.get("/info")).json()
    assert isinstance(info["version"], str) and info["version"]
    assert info["langgraph_py_version"] is None  # Tempograph runs no langgraph
    flags = info["flags"]
    assert flags["assistants"] is True and flags["crons"] is True
    assert flags["store"] is True  # the /store routes are served
    assert flags["strict_resume"] is True
    assert flags["stream_namespaces"] is False
    async with httpx.AsyncClient(base_url=url) as http:
        refused = await http.post(
            "/runs/wait",
            json={"assistant_id": "chain", "input": {}, "stream_namespaces": [""]},
        )
    assert refused.status_code == 422 and "stream_namespaces" in refused.text
    assert flags["langsmith"] is False
    assert info["host"]["kind"] == "tempograph"
    assert info["tempograph"]["task_queue"] == TASK_QUEUE
    assert "chain" in info["graphs"]
