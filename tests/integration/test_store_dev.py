"""`tempograph dev` with the default store: in a fresh folder, /store (langgraph-sdk) and a
node of a run (runtime.store) use one SQLite file, .tempograph/store.sqlite under the working
directory, which another process then reads."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

from langgraph_sdk import get_client

from tempograph.store import SqliteStore
from tests.conftest import SessionServer, free_port
from tests.integration.test_dev_command import tempograph_command

GRAPH = Path(__file__).resolve().parents[1] / "store_graphs.py"


async def test_dev_serves_the_default_store(server: SessionServer, tmp_path: Path) -> None:
    api_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TEMPOGRAPH_"))}
    env["TEMPORAL_ADDRESS"] = server.address  # the session's server: none is started
    env["TEMPOGRAPH_TASK_QUEUE"] = f"store-dev-{uuid.uuid4().hex[:6]}"
    stderr_file = tmp_path / "dev.stderr"
    with open(stderr_file, "wb") as stderr:
        dev = await asyncio.create_subprocess_exec(
            *tempograph_command(),
            "dev",
            "--json",
            "--graph",
            f"store={GRAPH}:graph",
            "--port",
            str(api_port),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    try:
        assert dev.stdout is not None
        line = await asyncio.wait_for(dev.stdout.readline(), timeout=90)
        assert line, stderr_file.read_text()
        ready: dict[str, Any] = json.loads(line)
        sdk = get_client(url=ready["api"], api_key=None)
        user = f"u{uuid.uuid4().hex[:8]}"
        await sdk.store.put_item(["inbox", user], "msg", {"text": "hello dev"})
        out = await sdk.runs.wait(None, "store", input={"user": user})
        assert out == {"user": user, "reply": {"echo": "hello dev", "pid": dev.pid}}
        reply = await sdk.store.get_item(["outbox", user], "reply")
        assert reply["value"] == {"echo": "hello dev", "pid": dev.pid}
        await sdk.aclose()

        # The default store's file, read from this process while dev still runs.
        path = tmp_path / ".tempograph" / "store.sqlite"
        assert path.exists()
        other = SqliteStore(path)
        item = other.get(("outbox", user), "reply")
        assert item is not None and item.value == {"echo": "hello dev", "pid": dev.pid}
        other.close()
    finally:
        if dev.returncode is None:
            dev.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(dev.wait(), timeout=30)
    assert code == 0, stderr_file.read_text()
