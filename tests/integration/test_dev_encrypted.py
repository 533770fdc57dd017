"""`tempograph dev` with TEMPOGRAPH_ENCRYPTION_KEYS: the embedded dev server's UI is told the
API's codec endpoint (--ui-codec-endpoint), the codec server answers the UI's origin, and the
CLI commands, given the same keys, run and read encrypted threads."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil

from tempograph.codec import KEYS_ENV, new_key
from tests.conftest import free_port
from tests.integration.test_dev_command import cli, project, tempograph_command

MARK = "zq-dev-secret-5d2c"


async def test_dev_points_the_ui_at_the_codec_server(tmp_path: Path) -> None:
    project(tmp_path)
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TEMPOGRAPH_"))}
    env["TEMPOGRAPH_TASK_QUEUE"] = f"dev-enc-{uuid.uuid4().hex[:6]}"
    env[KEYS_ENV] = f"dev:{new_key()}"
    stderr_file = tmp_path / "dev.stderr"
    with open(stderr_file, "wb") as stderr:
        dev = await asyncio.create_subprocess_exec(
            *tempograph_command(),
            "dev",
            "--json",
            "--port",
            str(api_port),
            "--temporal-port",
            str(temporal_port),
            "--ui-port",
            str(ui_port),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    servers: list[psutil.Process] = []
    try:
        assert dev.stdout is not None
        line = await asyncio.wait_for(dev.stdout.readline(), timeout=90)
        assert line, stderr_file.read_text()
        ready: dict[str, Any] = json.loads(line)
        codec = f"http://127.0.0.1:{api_port}/codec"
        servers = [c for c in psutil.Process(dev.pid).children() if "temporal" in c.name()]
        [server] = servers
        args = server.cmdline()
        assert args[args.index("--ui-codec-endpoint") + 1] == codec

        # The CLI with the same keys starts an encrypted run and reads it back.
        cli_env = {**env, "TEMPORAL_ADDRESS": ready["temporal"]}
        thread = f"dev-enc-{uuid.uuid4().hex[:8]}"
        code, _, err = await cli(
            "run",
            "approve",
            json.dumps({"text": MARK}),
            "--thread",
            thread,
            env=cli_env,
            cwd=tmp_path,
        )
        assert code == 0, err
        code, out, err = await cli("state", thread, "--json", env=cli_env, cwd=tmp_path)
        assert code == 0, err
        assert json.loads(out)["values"]["text"] == MARK
        # Without the keys: told what to set, one line, nothing decrypted.
        no_keys = {k: v for k, v in cli_env.items() if k != KEYS_ENV}
        code, out, err = await cli("state", thread, "--json", env=no_keys, cwd=tmp_path)
        assert (code, out) == (2, ""), err
        assert err.startswith("error: ") and f"set {KEYS_ENV}" in err and MARK not in err

        ui = f"http://localhost:{ui_port}"
        async with httpx.AsyncClient(timeout=30) as http:
            # The UI knows where its codec server is.
            settings = (await http.get(f"{ui}/api/v1/settings")).json()
            assert settings["Codec"]["Endpoint"] == codec
            # What the UI's browser then sends, from the UI's origin: the run's input, as the
            # UI reads it from history, decoded.
            history = (
                await http.get(f"{ui}/api/v1/namespaces/default/workflows/{thread}/history")
            ).json()
            started = history["history"]["events"][0]["workflowExecutionStartedEventAttributes"]
            assert MARK not in json.dumps(started)
            preflight = await http.options(
                f"{codec}/decode",
                headers={"Origin": ui, "Access-Control-Request-Method": "POST"},
            )
            assert preflight.headers["access-control-allow-origin"] == ui
            decoded = await http.post(
                f"{codec}/decode",
                headers={"Origin": ui, "X-Namespace": "default"},
                json=started["input"],
            )
        assert decoded.status_code == 200, decoded.text
        assert decoded.headers["access-control-allow-origin"] == ui
        data = base64.b64decode(decoded.json()["payloads"][0]["data"])
        assert MARK.encode() in data
    finally:
        if dev.returncode is None:
            dev.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(dev.wait(), timeout=30)
        _, alive = psutil.wait_procs(servers, timeout=10)
        for orphan in alive:
            orphan.kill()
    assert code == 0, stderr_file.read_text()
