"""Schemathesis over the served OpenAPI spec: bad input never gets a 5xx.

Every operation is fuzzed with valid (positive) and invalid (negative) requests, on random path
parameters and on threads that exist (fresh, paused at an interrupt, finished, failed), so that
requests reach the service code and not only the 404s of unknown threads.

The app runs under uvicorn on the session event loop (where the Temporal client and the worker
live); Hypothesis drives schemathesis' HTTP transport from a thread, so the loop keeps serving.
FUZZ_EXAMPLES (default 10) sets the examples per operation and mode (half as many per known
thread); FUZZ_RANDOM=1 draws new examples each run instead of the fixed (derandomized) ones.
"""

from __future__ import annotations

import asyncio
import os
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# Per known thread (positive cases only): a few each, as they run graphs for real.
THREAD_EXAMPLES = max(1, EXAMPLES // 2)
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
GRAPHS = sorted(all_graphs())


@pytest_asyncio.fixture(scope="module")
async def served(client: Client, worker: Worker) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), GRAPHS)
    async with serve(app) as url:
        yield url, app.openapi()


# Graphs the fuzzer may name as assistant_id (quick ones: each run is executed for real).
RUN_GRAPHS = ["ask", "chain", "chain_before_b", "failing", "pydantic", "typed", "approve", "send"]


async def _threads(url: str) -> list[dict[str, str]]:
    """Threads in each state (with their run and latest checkpoint), for the fuzzer to aim at."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:

        async def new(**run: Any) -> dict[str, str]:
            r = await http.post("/threads", json={})
            assert r.status_code == 200, r.text
            thread = str(r.json()["thread_id"])
            if not run:
                return {"thread_id": thread}
            r = await http.post(f"/threads/{thread}/runs/wait", json=run)
            assert r.status_code == 200, r.text
            run_id = r.headers["Content-Location"].rsplit("/", 1)[-1]
            state = (await http.get(f"/threads/{thread}/state")).json()
            ids = {"thread_id": thread, "run_id": run_id}
            if state["checkpoint_id"]:
                ids["checkpoint_id"] = state["checkpoint_id"]
            return ids

        return [
            await new(),
            await new(assistant_id="ask", input={"log": [], "x": 1}),
            await new(assistant_id="chain", input={"log": []}),
            await new(assistant_id="failing", input={"log": []}),
        ]


def _fuzz(url: str, spec: dict[str, Any], threads: list[dict[str, str]]) -> list[str]:
    """Run every operation; the failures found (one report per operation, mode and thread).
    Positive cases go to random path parameters and to each known thread; negative cases (bad
    bodies and query parameters) are refused before any thread is looked at, so they go to
    random paths only. Deleting operations run last, so the known threads live until then."""
    schema = schemathesis.openapi.from_dict(spec)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    failures: list[str] = []
    for operation in operations:
        params = {p.name for p in operation.path_parameters}
        runs: list[tuple[GenerationMode, dict[str, str] | None, int]] = [
            (GenerationMode.POSITIVE, None, EXAMPLES)
        ]
        if "thread_id" in params:
            for known in threads:
                fixed = {k: v for k, v in known.items() if k in params}
                runs.append((GenerationMode.POSITIVE, fixed, THREAD_EXAMPLES))
        if list(operation.body) or list(operation.query):
            runs.append((GenerationMode.NEGATIVE, None, EXAMPLES))
        for mode, fixed, examples in runs:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
            label = f"{operation.label} [{mode.value}, {fixed or 'random path'}]"
            try:
                _run(strategy, examples, lambda case, graph: _check(case, graph, url))
            except Unsatisfiable:
                pass  # nothing left to generate (every parameter fixed)
            except (Exception, BaseExceptionGroup) as exc:  # collected, reported together
                failures.append(f"{label}:\n{''.join(traceback.format_exception(exc))}")
    return failures


def _run(
    strategy: st.SearchStrategy[Any], examples: int, check: Callable[[Any, str | None], None]
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        print_blob=False,
    )
    @given(case=strategy, graph=st.sampled_from([None, *RUN_GRAPHS]))
    def test(case: Any, graph: str | None) -> None:
        check(case, graph)

    test()


def _check(case: Any, graph: str | None, url: str) -> None:
    """Call and check; with `graph`, a valid run body names a served graph (so it runs)."""
    if graph and isinstance(case.body, dict) and isinstance(case.body.get("assistant_id"), str):
        case.body["assistant_id"] = graph
    case.call_and_validate(base_url=url, checks=[not_a_server_error], timeout=30)


async def test_no_server_error_for_any_input(served: tuple[str, dict[str, Any]]) -> None:
    url, spec = served
    threads = await _threads(url)
    failures = await asyncio.to_thread(_fuzz, url, spec, threads)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
async def test_spec_is_served(served: tuple[str, dict[str, Any]], path: str) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get(path)).status_code == 200


NESTED = '{"x": ' * 5000 + "1" + "}" * 5000
JSON = "application/json"
DEEP = '{"x": ' * 900 + "1" + "}" * 900

# Bad input Hypothesis does not write: JSON extensions Python's parser accepts (NaN, Infinity),
# lone surrogates (valid JSON escapes, not encodable as UTF-8), nesting, wrong content types.
HAND_MADE = [
    ("POST", "/threads", '{"metadata": {"x": NaN}}', JSON),
    ("POST", "/threads", '{"metadata": {"x": -Infinity}}', JSON),
    ("POST", "/threads", '{"metadata": {"x": "\\ud800"}}', JSON),
    ("POST", "/threads", '{"metadata": {"\\udfff": 1}}', JSON),
    ("POST", "/threads", '{"thread_id": "a\\ud800"}', JSON),
    ("POST", "/threads", '{"thread_id": "a\\u0000b"}', JSON),
    ("POST", "/threads", NESTED, JSON),
    ("POST", "/threads", '{"metadata": ' + DEEP + "}", JSON),
    ("POST", "/threads", '{"metadata": {}}', "text/plain"),
    ("POST", "/threads", "\xff\xfe", JSON),
    ("POST", "/threads", "{", JSON),
    ("POST", "/threads/search", '{"ids": ["\\ud800"]}', JSON),
    ("POST", "/threads/search", '{"metadata": {"x": NaN}}', JSON),
    ("POST", "/runs/wait", '{"assistant_id": "ask", "input": {"x": NaN}}', JSON),
    ("POST", "/runs/wait", '{"assistant_id": "ask", "input": {"log": ["\\ud800"]}}', JSON),
    ("POST", "/runs/wait", '{"assistant_id": "chain", "input": ' + DEEP + "}", JSON),
    ("POST", "/runs", '{"assistant_id": "chain", "metadata": {"x": Infinity}}', JSON),
    ("POST", "/assistants/search", '{"graph_id": "\\ud800"}', JSON),
    ("GET", "/threads/%ED%A0%80", None, None),
    ("GET", "/threads/%00", None, None),
    ("GET", "/threads/" + "x" * 5000, None, None),
    ("GET", "/threads/x/history?limit=99999999999999999999999", None, None),
    ("GET", "/threads/x/runs?status=%FF", None, None),
]


@pytest.mark.parametrize(("method", "path", "content", "content_type"), HAND_MADE)
async def test_hand_made_bad_input(
    served: tuple[str, dict[str, Any]],
    method: str,
    path: str,
    content: str | None,
    content_type: str | None,
) -> None:
    url, _ = served
    headers = {"Content-Type": content_type} if content_type else {}
    raw = content.encode("utf-8", "surrogateescape") if content is not None else None
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.request(method, path, content=raw, headers=headers)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert isinstance(r.json()["detail"], str), r.text


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"metadata": {"x": NaN}}', "NaN is not valid JSON"),
        ('{"metadata": {"x": "\\udc00"}}', "a string holds a lone UTF-16 surrogate"),
        ('{"metadata": ' + DEEP + "}", "nested deeper than 72 levels"),
    ],
)
async def test_unanswerable_json_is_refused(
    served: tuple[str, dict[str, Any]], content: str, why: str
) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post("/threads", content=content, headers={"Content-Type": JSON})
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"body: JSON decode error ({why}")
