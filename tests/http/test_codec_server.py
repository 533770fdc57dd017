"""The codec server at /codec (tempograph/http/codec_server.py): Temporal's protocol as the
Temporal UI and the `temporal` CLI speak it, with the API's token and CORS for the UI origin."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from tempograph import GraphClient, connect
from tempograph.codec import KEYS_ENV, new_key
from tempograph.devserver import DevServer, temporal_cli
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.integration.test_encryption import INPUT_MARK, INTERRUPT_MARK, serving

TOKEN = "codec-test-token"
UI = "http://localhost:8233"


@pytest_asyncio.fixture(scope="module")
async def encrypted(server: DevServer) -> AsyncIterator[tuple[Client, str]]:
    """A client that encrypts, and the thread of a run paused under it (module-wide: the env
    variable is set only while connecting)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(KEYS_ENV, f"ui:{new_key()}")
        client = await connect(server.address)
    thread = f"codec-{uuid.uuid4().hex[:10]}"
    async with serving(client, f"codec-{uuid.uuid4().hex[:8]}") as s:
        await s.graphs.invoke("secret", {"text": INPUT_MARK}, thread_id=thread)
    yield client, thread


@pytest_asyncio.fixture(scope="module")
async def api(encrypted: tuple[Client, str]) -> AsyncIterator[str]:
    client, _ = encrypted
    app = create_app(GraphClient(client), ["secret"], TOKEN, codec_origins=[UI])
    async with serve(app) as url:
        yield url


async def history_json(client: Client, thread: str) -> dict[str, Any]:
    """The run's history as the UI and `temporal workflow show -o json` get it (protobuf JSON,
    payloads still encrypted)."""
    history = await client.get_workflow_handle(thread).fetch_history()
    return json.loads(history.to_json())


def ui_headers(**extra: str) -> dict[str, str]:
    """What the Temporal UI's codec client sends (ui: codeServerRequest)."""
    return {
        "Content-Type": "application/json",
        "X-Namespace": "default",
        "Origin": UI,
        "Authorization": f"Bearer {TOKEN}",
        **extra,
    }


async def test_decodes_what_the_ui_sends(api: str, encrypted: tuple[Client, str]) -> None:
    client, thread = encrypted
    events = (await history_json(client, thread))["events"]
    started = events[0]["workflowExecutionStartedEventAttributes"]["input"]
    assert base64.b64decode(started["payloads"][0]["metadata"]["encoding"]) == b"binary/encrypted"
    async with httpx.AsyncClient(base_url=api) as http:
        r = await http.post("/codec/decode", headers=ui_headers(), content=json.dumps(started))
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == UI
    [payload] = r.json()["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"
    assert json.loads(base64.b64decode(payload["data"]))["input"]["text"] == INPUT_MARK


async def test_encode_then_decode_round_trips(api: str) -> None:
    plain = {
        "payloads": [
            {
                "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                "data": base64.b64encode(b'{"x": "round trip"}').decode(),
            }
        ]
    }
    async with httpx.AsyncClient(base_url=api, headers=ui_headers()) as http:
        encoded = (await http.post("/codec/encode", json=plain)).json()
        meta = encoded["payloads"][0]["metadata"]
        assert base64.b64decode(meta["encryption-key-id"]) == b"ui"
        assert b"round trip" not in base64.b64decode(encoded["payloads"][0]["data"])
        # Any depth before /decode (the protocol: only the last part of the path counts).
        decoded = (await http.post("/codec/default/decode", json=encoded)).json()
    assert decoded == plain


async def test_cors_preflight_for_the_ui_origin_only(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        ok = await http.options(
            "/codec/decode",
            headers={
                "Origin": UI,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
            },
        )
        other = await http.options("/codec/decode", headers={"Origin": "https://evil.example"})
    # The preflight carries no token and passes; the POST that follows needs it.
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == UI
    allowed = ok.headers["access-control-allow-headers"].split(",")
    assert {"content-type", "x-namespace", "authorization"} <= set(allowed)
    assert other.status_code == 204 and "access-control-allow-origin" not in other.headers


async def test_same_auth_as_the_api(api: str, encrypted: tuple[Client, str]) -> None:
    client, thread = encrypted
    events = (await history_json(client, thread))["events"]
    body = json.dumps(events[0]["workflowExecutionStartedEventAttributes"]["input"])
    async with httpx.AsyncClient(base_url=api) as http:
        anonymous = await http.post(
            "/codec/decode", headers=ui_headers(Authorization=""), content=body
        )
        wrong = await http.post(
            "/codec/decode", headers=ui_headers(Authorization="Bearer nope"), content=body
        )
        by_key = await http.post(
            "/codec/decode",
            headers={**ui_headers(Authorization=""), "x-api-key": TOKEN},
            content=body,
        )
    for refused in (anonymous, wrong):
        assert refused.status_code == 401
        assert INPUT_MARK not in refused.text
        # The browser lets the UI read the refusal (it would see a CORS error otherwise).
        assert refused.headers["access-control-allow-origin"] == UI
    assert (
        by_key.status_code == 200
        and INPUT_MARK in base64.b64decode(by_key.json()["payloads"][0]["data"]).decode()
    )


async def test_bad_bodies_are_400(api: str) -> None:
    foreign_key = {
        "payloads": [
            {
                "metadata": {
                    "encoding": base64.b64encode(b"binary/encrypted").decode(),
                    "encryption-key-id": base64.b64encode(b"gone").decode(),
                },
                "data": base64.b64encode(b"\0" * 40).decode(),
            }
        ]
    }
    async with httpx.AsyncClient(base_url=api, headers=ui_headers()) as http:
        not_json = await http.post("/codec/decode", content=b"{nope")
        unknown_key = await http.post("/codec/decode", json=foreign_key)
    assert not_json.status_code == 400
    assert unknown_key.status_code == 400 and "'gone'" in unknown_key.json()["detail"]


async def test_no_codec_server_without_encryption(client: Client) -> None:
    app = create_app(GraphClient(client), ["ask"])
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        r = await http.post("/codec/decode", json={"payloads": []})
    assert r.status_code == 404


async def test_the_temporal_cli_shows_decrypted_payloads(
    api: str, server: DevServer, encrypted: tuple[Client, str]
) -> None:
    """`temporal workflow show --codec-endpoint` against /codec (with the API token)."""
    _, thread = encrypted
    args = ["workflow", "show", "-w", thread, "--address", server.address, "-o", "json"]

    async def show(*extra: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            temporal_cli(),
            *args,
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    decoded = payload_data(
        await show("--codec-endpoint", f"{api}/codec", "--codec-auth", f"Bearer {TOKEN}")
    )
    raw = payload_data(await show())
    assert INPUT_MARK.encode() in decoded and INTERRUPT_MARK.encode() in decoded
    assert INPUT_MARK.encode() not in raw and len(raw) > 1000


def payload_data(shown: str) -> bytes:
    """Every payload's data in `temporal workflow show -o json` output, base64-decoded."""
    found: list[bytes] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("metadata"), dict) and isinstance(node.get("data"), str):
                found.append(base64.b64decode(node["data"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(shown))
    return b"\n".join(found)
