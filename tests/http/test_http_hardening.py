"""Limits of the HTTP API, over real sockets (uvicorn on a free port, as server.py serves it):
body size (413 before parsing), slow clients (header and body deadlines), the Host allow-list,
the API token, thread and path ids, value depth and size, Temporal unavailable (503), bounded
per-process caches."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from structlog.testing import capture_logs
from temporalio.client import Client
from temporalio.worker import Worker

import server as server_module
from tempograph import GraphClient, connect, create_worker, limits
from tempograph.devserver import DevServer
from tempograph.http import create_app
from tempograph.http.bounded import BoundedDict, BoundedSet
from tempograph.http.serving import HttpSettings
from tempograph.http.testing import free_port, serve
from tempograph.payloads import MAX_PAYLOAD_BYTES
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = sorted(all_graphs())
TIMEOUT = 1.0  # the header and body deadlines of the served app


@pytest_asyncio.fixture(scope="module")
async def url(client: Client, worker: Worker) -> AsyncIterator[str]:
    settings = HttpSettings(header_timeout=TIMEOUT, body_timeout=TIMEOUT)
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), GRAPHS, settings=settings)
    async with serve(app, settings=settings) as base:
        yield base


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


async def raw_request(url: str, head: bytes, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Send `head` (and the start of a body) over a socket; the status and JSON answer."""
    reader, writer = await asyncio.open_connection(*address(url))
    try:
        writer.write(head + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)  # until the server closes
    finally:
        writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, json.loads(answer.split(b"\r\n\r\n", 1)[1])


# ---------------------------------------------------------------------------------------------
# Body size.
# ---------------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_before_it_is_read(url: str) -> None:
    # A 50 MB metadata body (today: 500) and a 5 MB run body (today: 200 with a raw gRPC
    # message): answered from Content-Length, after a few bytes of the body.
    for path, size in (("/threads", 50_000_000), ("/threads/x/runs/wait", 5_000_000)):
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n"
        ).encode()
        status, body = await raw_request(url, head, b'{"metadata": {"blob": "xxxx')
        assert status == 413
        assert body["detail"] == (
            f"Request body too large: {size} bytes; the limit is {4 * 1024 * 1024} bytes "
            "(TEMPOGRAPH_MAX_BODY_BYTES)"
        )


async def test_a_chunked_body_is_counted_as_it_arrives(client: Client, worker: Worker) -> None:
    settings = HttpSettings(max_body_bytes=64 * 1024)
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), GRAPHS, settings=settings)
    async with serve(app, settings=settings) as base:
        reader, writer = await asyncio.open_connection(*address(base))
        writer.write(
            b"POST /threads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 16 * 1024
        for _ in range(8):  # 128 KiB, past the limit at the 5th chunk
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b"the limit is 65536 bytes" in answer
        # Below the limit, a chunked body is served.
        async with httpx.AsyncClient(base_url=base) as http:

            async def small() -> AsyncIterator[bytes]:
                yield b'{"metadata": '
                yield b'{"a": 1}}'

            json_type = {"Content-Type": "application/json"}
            r = await http.post("/threads", content=small(), headers=json_type)
            assert r.status_code == 200 and r.json()["metadata"] == {"a": 1}


# ---------------------------------------------------------------------------------------------
# Slow clients.
# ---------------------------------------------------------------------------------------------


async def test_slow_clients_are_closed_by_the_header_and_body_deadlines(url: str) -> None:
    """100 connections sending their headers a byte at a time (and some idle, some sending a
    body slowly) are all closed by the server within the deadline, while others are served."""
    request = b"GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 100 + b"\r\n\r\n"

    async def slow_headers() -> float:
        reader, writer = await asyncio.open_connection(*address(url))
        started = time.monotonic()
        try:
            for byte in request:
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    got = await asyncio.wait_for(reader.read(1024), timeout=0.2)
                except TimeoutError:
                    continue
                assert got == b"" or got.startswith(b"HTTP/1.1 408 "), got
                await reader.read()  # the rest, up to the close
                return time.monotonic() - started
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
        finally:
            writer.close()
        raise AssertionError("a slow request was served")

    async def idle() -> float:
        reader, writer = await asyncio.open_connection(*address(url))
        started = time.monotonic()
        try:
            got = await asyncio.wait_for(reader.read(), timeout=10)
        finally:
            writer.close()
        assert got == b"" or got.startswith(b"HTTP/1.1 408 "), got
        return time.monotonic() - started

    async def slow_body() -> float:
        reader, writer = await asyncio.open_connection(*address(url))
        started = time.monotonic()
        writer.write(
            b"POST /threads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        await writer.drain()
        try:
            got = await asyncio.wait_for(reader.read(), timeout=10)
        finally:
            writer.close()
        assert got.startswith(b"HTTP/1.1 408 "), got
        assert b"Request body not received within 1 s" in got
        return time.monotonic() - started

    async def served() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            for _ in range(5):
                assert (await http.get("/ok")).status_code == 200
                await asyncio.sleep(0.2)

    tasks = [slow_headers() for _ in range(100)] + [idle() for _ in range(20)]
    tasks += [slow_body() for _ in range(10)]
    durations, _ = await asyncio.gather(asyncio.gather(*tasks), served())
    assert max(durations) < TIMEOUT + 2, max(durations)
    assert min(durations) > TIMEOUT - 0.2


async def test_an_idle_keep_alive_connection_gets_a_new_header_deadline(url: str) -> None:
    reader, writer = await asyncio.open_connection(*address(url))
    try:
        writer.write(b"GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = await asyncio.wait_for(reader.readuntil(b'{"ok":true}'), timeout=5)
        assert first.startswith(b"HTTP/1.1 200 ")
        writer.write(b"GET /ok HTTP/1.1\r\nHo")  # then nothing
        await writer.drain()
        started = time.monotonic()
        rest = await asyncio.wait_for(reader.read(), timeout=10)
        assert rest.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < TIMEOUT + 1
    finally:
        writer.close()


# ---------------------------------------------------------------------------------------------
# Host header (DNS rebinding), API token.
# ---------------------------------------------------------------------------------------------


async def test_host_header_allow_list_on_loopback(client: Client, worker: Worker) -> None:
    settings = HttpSettings.from_env(
        {"TEMPOGRAPH_ALLOWED_HOSTS": "api.internal"}, bind_host="127.0.0.1"
    )
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), GRAPHS, settings=settings)
    async with serve(app, settings=settings) as base, httpx.AsyncClient(base_url=base) as http:
        port = address(base)[1]
        for host in ("evil.example", f"evil.example:{port}", "localhost.evil.example", ""):
            r = await http.get("/info", headers={"Host": host})
            assert r.status_code == 421, (host, r.text)
            assert "DNS rebinding" in r.json()["detail"]
        for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
            r = await http.get("/info", headers={"Host": host})
            assert r.status_code == 200, (host, r.text)
        assert (await http.get("/ok", headers={"Host": "API.internal:80"})).status_code == 200
    # Bound to every interface: no list unless one is given.
    assert HttpSettings.from_env({}, bind_host="0.0.0.0").allowed_hosts is None
    assert HttpSettings.from_env({}, bind_host="::1").allowed_hosts == (
        "localhost",
        "127.0.0.1",
        "::1",
    )
    everything = {"TEMPOGRAPH_ALLOWED_HOSTS": "*"}
    assert HttpSettings.from_env(everything, bind_host="127.0.0.1").allowed_hosts is None


def test_an_empty_token_refuses_to_start(graphs: GraphClient) -> None:
    with pytest.raises(ValueError, match="empty"):
        create_app(graphs, GRAPHS, api_token="")
    with pytest.raises(server_module.ConfigError, match="set but empty"):
        server_module.api_token({"TEMPOGRAPH_API_TOKEN": ""})
    assert server_module.api_token({}) is None
    assert server_module.api_token({"TEMPOGRAPH_API_TOKEN": "s3cret"}) == "s3cret"
    # The real command line: exits before connecting to anything.
    done = subprocess.run(
        [sys.executable, "server.py"],
        cwd=ROOT,
        env={"TEMPOGRAPH_API_TOKEN": "", "TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TEMPOGRAPH_API_TOKEN is set but empty" in done.stderr


def test_no_token_on_a_public_address_warns() -> None:
    with capture_logs() as logs:
        server_module.check_exposure("0.0.0.0", None)
        server_module.check_exposure("127.0.0.1", None)
        server_module.check_exposure("0.0.0.0", "s3cret")
    [warning] = logs
    assert warning["log_level"] == "warning" and "NO AUTHENTICATION" in warning["event"]


# ---------------------------------------------------------------------------------------------
# Ids and values.
# ---------------------------------------------------------------------------------------------


async def test_thread_and_path_ids(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for bad in ("a/b", "a\x00b", "x" * (limits.MAX_THREAD_ID_CHARS + 1)):
            r = await http.post("/threads", json={"thread_id": bad})
            assert r.status_code == 422, r.text
            assert r.json()["detail"].startswith("thread_id: A thread id")
            r = await http.post(
                "/runs/wait", json={"assistant_id": "chain", "input": {"log": []}}
            )  # (stateless runs pick their own ids)
            assert r.status_code == 200
        long = "x" * 600
        r = await http.post(
            f"/threads/{long}/runs/wait",
            json={"assistant_id": "chain", "input": {"log": []}, "if_not_exists": "create"},
        )
        assert r.status_code == 422 and "at most 512 characters" in r.json()["detail"]
        # Over 1000 characters in a path: 422, not a raw RPC error.
        huge = "y" * 1001
        for method, path in (
            ("GET", f"/threads/{huge}"),
            ("DELETE", f"/threads/{huge}"),
            ("GET", f"/threads/{huge}/state"),
            ("GET", f"/threads/t/runs/{huge}"),
            ("POST", f"/threads/t/runs/{huge}/cancel"),
            ("GET", f"/assistants/{huge}"),
            ("GET", f"/threads/t/state/{huge}"),
        ):
            r = await http.request(method, path)
            assert r.status_code == 422, (method, path, r.text)
            assert "at most 1000 characters (got 1001)" in r.json()["detail"]
        r = await http.post(
            f"/threads/{huge}/runs/wait",
            json={"assistant_id": "chain", "input": {"log": []}, "if_not_exists": "create"},
        )
        assert r.status_code == 422


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"v": value}
    return value


async def test_values_nested_too_deeply_are_422(url: str) -> None:
    too_deep = deep(limits.MAX_JSON_DEPTH + 1)
    thread = f"t-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        assert (await http.post("/threads", json={"thread_id": thread})).status_code == 200
        for path, body, what in (
            ("/threads", {"metadata": too_deep}, "metadata"),
            (f"/threads/{thread}/runs/wait", {"assistant_id": "ask", "input": too_deep}, "input"),
            (
                f"/threads/{thread}/runs",
                {"assistant_id": "ask", "command": {"resume": too_deep}},
                "command",
            ),
            (
                f"/threads/{thread}/runs/wait",
                {"assistant_id": "ask", "input": {}, "metadata": too_deep},
                "metadata",
            ),
            (f"/threads/{thread}/state", {"values": too_deep}, "values"),
        ):
            r = await http.post(path, json=body)
            assert r.status_code == 422, (path, r.text)
            assert r.json()["detail"].startswith(
                f"{what} is nested deeper than {limits.MAX_JSON_DEPTH} levels"
            ), r.text
        r = await http.patch(f"/threads/{thread}", json={"metadata": too_deep})
        assert r.status_code == 422
        # Deeper than a body's few levels on top: refused while parsing.
        r = await http.post("/threads", json={"metadata": deep(100)})
        assert r.status_code == 422 and "values are limited to 64 levels" in r.json()["detail"]
        # Just within the limit: served.
        r = await http.post("/threads", json={"metadata": {"v": deep(limits.MAX_JSON_DEPTH - 1)}})
        assert r.status_code == 200, r.text
        # Nothing ran on the thread.
        assert (await http.get(f"/threads/{thread}")).json()["values"] is None


async def test_messages_over_the_message_limit_are_413(url: str) -> None:
    blob = "x" * (limits.MAX_MESSAGE_BYTES + 10)
    thread = f"t-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        assert (await http.post("/threads", json={"thread_id": thread})).status_code == 200
        for path, body, what in (
            (
                f"/threads/{thread}/runs/wait",
                {"assistant_id": "ask", "input": {"b": blob}},
                "input",
            ),
            (
                f"/threads/{thread}/runs/wait",
                {"assistant_id": "ask", "command": {"resume": blob}},
                "command",
            ),
            ("/runs/wait", {"assistant_id": "chain", "input": {"log": [blob]}}, "input"),
            ("/threads", {"metadata": {"b": blob}}, "metadata"),
            (f"/threads/{thread}/state", {"values": {"b": blob}}, "values"),
        ):
            r = await http.post(path, json=body)
            assert r.status_code == 413, (path, r.text)
            detail = r.json()["detail"]
            assert detail.startswith(f"{what} is ") and "limits.MAX_MESSAGE_BYTES" in detail
            assert str(limits.MAX_MESSAGE_BYTES) in detail
        r = await http.patch(f"/threads/{thread}", json={"metadata": {"b": blob}})
        assert r.status_code == 413
        t = (await http.get(f"/threads/{thread}")).json()
        assert (t["values"], t["metadata"]) == (None, {})


async def test_a_state_over_the_reply_limit_is_413_and_the_thread_shows_interrupted(
    url: str,
) -> None:
    """A paused run whose state and interrupt exceed the reply limit: the state query refuses
    to answer (PayloadTooLarge). The state endpoints say so (413, naming the limit), not "is a
    worker up?"; the thread object shows the run's status (interrupted) without values."""
    thread = f"t-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        assert (await http.post("/threads", json={"thread_id": thread})).status_code == 200
        r = await http.post(
            f"/threads/{thread}/runs",
            json={"assistant_id": "big_ask", "input": {"size": 1_000_000}},
        )
        assert r.status_code == 200, r.text
        r = await http.get(f"/threads/{thread}/runs/{r.json()['run_id']}/join")
        assert r.status_code == 200
        for method, path, body in (
            ("GET", f"/threads/{thread}/state", None),
            ("POST", f"/threads/{thread}/state/checkpoint", {"checkpoint": {}}),
        ):
            r = await http.request(method, path, json=body)
            assert r.status_code == 413, (path, r.status_code, r.text[:300])
            detail = r.json()["detail"]
            assert "worker" not in detail and "MAX_PAYLOAD_BYTES" in detail, detail
            assert str(MAX_PAYLOAD_BYTES) in detail and thread in detail, detail
        # Its checkpoints stay readable.
        r = await http.post(f"/threads/{thread}/history", json={"limit": 1})
        assert r.status_code == 200 and len(r.json()[0]["values"]["text"]) == 1_000_000
        t = (await http.get(f"/threads/{thread}")).json()
        assert (t["status"], t["values"]) == ("interrupted", None), t
        found = (await http.post("/threads/search", json={"ids": [thread]})).json()
        assert [(f["status"], f["values"]) for f in found] == [("interrupted", None)]
        r = await http.post("/threads/search", json={"ids": [thread], "status": "interrupted"})
        assert [f["thread_id"] for f in r.json()] == [thread]


async def test_a_paused_thread_without_a_worker_is_503_on_state_and_interrupted(
    client: Client,
) -> None:
    """No worker polls the thread's task queue: its state cannot be read (503, "is a worker
    up?"), while the thread object still shows the status its run recorded (interrupted)."""
    task_queue = f"no-worker-{uuid.uuid4().hex[:8]}"
    app = create_app(GraphClient(client, task_queue=task_queue), ["ask"])
    thread = f"t-{uuid.uuid4().hex[:8]}"
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        async with create_worker(client, {"ask": all_graphs()["ask"]}, task_queue=task_queue):
            r = await http.post(
                f"/threads/{thread}/runs/wait",
                json={"assistant_id": "ask", "input": {"log": []}, "if_not_exists": "create"},
            )
            assert r.status_code == 200 and "__interrupt__" in r.json(), r.text
        r = await http.get(f"/threads/{thread}/state")
        assert r.status_code == 503 and "worker" in r.json()["detail"], r.text
        t = (await http.get(f"/threads/{thread}")).json()
        assert (t["status"], t["values"]) == ("interrupted", None), t


# ---------------------------------------------------------------------------------------------
# Temporal unavailable.
# ---------------------------------------------------------------------------------------------


async def test_temporal_unreachable_is_503(tmp_path: Path) -> None:
    srv = DevServer(
        port=free_port(),
        ui_port=None,
        db_filename=tmp_path / "temporal.db",
        log_file=tmp_path / "server.log",
    )
    await srv.start()
    try:
        gone = await connect(srv.address)
    finally:
        srv.stop()
    lazy = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    # (The SDK retries an unavailable server for a few seconds: one call for the stopped one.)
    for temporal, calls in ((gone, 1), (lazy, 4)):
        address_ = temporal.service_client.config.target_host
        app = create_app(GraphClient(temporal, task_queue=TASK_QUEUE), GRAPHS)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as http:
            for method, path, body in (
                ("GET", "/threads/t-1", None),
                ("POST", "/threads", {}),
                ("POST", "/threads/t-1/runs/wait", {"assistant_id": "ask", "input": {}}),
                ("DELETE", "/threads/t-1", None),
            )[:calls]:
                r = await http.request(method, path, json=body)
                assert r.status_code == 503, (path, r.text)
                assert r.json() == {"detail": f"Temporal unreachable at {address_}"}


# ---------------------------------------------------------------------------------------------
# Bounded caches.
# ---------------------------------------------------------------------------------------------


def test_bounded_caches() -> None:
    seen: BoundedSet[int] = BoundedSet(3)
    for i in range(10):
        seen.add(i)
    assert len(seen) == 3 and list(seen) == [7, 8, 9] and 6 not in seen
    pinned = {1, 2}
    cache: BoundedDict[int, int] = BoundedDict(2, pinned=lambda v: v in pinned)
    for i in range(5):
        cache[i] = i
    assert sorted(cache) == [1, 2]  # kept while pinned
    pinned.clear()
    cache[9] = 9
    assert len(cache) == 2 and 9 in cache


async def test_the_service_caches_stay_bounded(client: Client, worker: Worker) -> None:
    settings = HttpSettings(cache_size=4)
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), GRAPHS, settings=settings)
    service = app.state.service
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as http:
        made = []
        for i in range(10):
            r = await http.post("/threads", json={"metadata": {"i": i}})
            made.append(r.json()["thread_id"])
            r = await http.post(
                f"/threads/{made[-1]}/runs/wait",
                json={"assistant_id": "chain", "input": {"log": []}},
            )
            assert r.status_code == 200
            assert len(service.threads) <= 4 and len(service.runs) <= 4
        # An evicted thread is read again from Temporal.
        first = (await http.get(f"/threads/{made[0]}")).json()
        assert first["metadata"]["i"] == 0 and first["values"]["log"] == ["a", "b", "c"]
        for thread in made:
            assert (await http.delete(f"/threads/{thread}")).status_code == 204
            assert len(service.deleted) <= 4 and len(service.threads) <= 4
        # Deleted threads stay deleted once forgotten here (their tombstones say so).
        for thread in made:
            assert (await http.get(f"/threads/{thread}")).status_code == 404
