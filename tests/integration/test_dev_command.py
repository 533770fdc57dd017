"""`tempograph dev` in an empty folder with a langgraph.json pointing at a graph file: one process
serves it (embedded dev server, worker, HTTP API); langgraph-sdk and `tempograph run/state/resume`
drive it; on SIGTERM the dev server goes with it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import psutil
from langgraph_sdk import get_client

from tests.conftest import free_port

GRAPH_FILE = """
import os
from typing import TypedDict

from tempograph.graph import END, START, StateGraph
from tempograph.types import interrupt


class State(TypedDict, total=False):
    text: str
    answer: str
    greeting: str


def ask(state: State) -> dict:
    answer = interrupt({"question": f"approve {state['text']}?"})
    return {"answer": answer, "greeting": os.environ.get("DEV_TEST_GREETING", "")}


builder = StateGraph(State)
builder.add_node("ask", ask)
builder.add_edge(START, "ask")
builder.add_edge("ask", END)
graph = builder.compile()
"""


def tempograph_command() -> list[str]:
    script = Path(sys.executable).parent / "tempograph"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tempograph.cli"]


def project(folder: Path) -> None:
    (folder / "my_agent").mkdir()
    (folder / "my_agent" / "agent.py").write_text(GRAPH_FILE)
    (folder / ".env").write_text("DEV_TEST_GREETING=hello from .env\n")
    config = {
        "graphs": {"approve": "./my_agent/agent.py:graph"},
        "env": ".env",
        "dependencies": ["."],
        "python_version": "3.11",  # ignored, with a warning
    }
    (folder / "langgraph.json").write_text(json.dumps(config))


async def cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *tempograph_command(),
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_dev_serves_a_langgraph_json_project(tmp_path: Path) -> None:
    project(tmp_path)
    api_port, temporal_port = free_port(), free_port()
    task_queue = f"dev-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TEMPOGRAPH_"))}
    env["TEMPOGRAPH_TASK_QUEUE"] = task_queue
    env.pop("DEV_TEST_GREETING", None)
    stderr_file = tmp_path / "dev.stderr"
    servers: list[psutil.Process] = []
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
            "none",
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
        assert ready["api"] == f"http://127.0.0.1:{api_port}"
        assert ready["docs"] == f"http://127.0.0.1:{api_port}/docs"
        assert ready["temporal"].endswith(f":{temporal_port}")
        assert ready["graphs"] == ["approve"] and ready["task_queue"] == task_queue
        warnings = stderr_file.read_text()
        assert "ignoring 'python_version'" in warnings
        assert (tmp_path / ".data" / "temporal.db").exists()  # runs survive restarts

        # The LangGraph HTTP API, with the real SDK.
        sdk = get_client(url=ready["api"])
        thread = await sdk.threads.create()
        out = await sdk.runs.wait(thread["thread_id"], "approve", input={"text": "deploy"})
        assert isinstance(out, dict)
        [pending] = out["__interrupt__"]
        assert pending["value"] == {"question": "approve deploy?"}
        out = await sdk.runs.wait(thread["thread_id"], "approve", command={"resume": "yes"})
        assert out == {"text": "deploy", "answer": "yes", "greeting": "hello from .env"}

        # The CLI, against the embedded server.
        cli_env = {**env, "TEMPORAL_ADDRESS": ready["temporal"]}
        thread_id = f"dev-{uuid.uuid4().hex[:8]}"
        code, out_text, err = await cli(
            "run", "approve", '{"text": "ship"}', "--thread", thread_id, env=cli_env, cwd=tmp_path
        )
        assert code == 0, err
        assert "interrupted (interrupt)" in out_text and f"resume {thread_id} '" in out_text
        code, out_text, err = await cli("state", thread_id, "--json", env=cli_env, cwd=tmp_path)
        assert code == 0, err
        assert json.loads(out_text)["next"] == ["ask"]
        code, out_text, err = await cli(
            "resume", thread_id, '"ok"', "--json", env=cli_env, cwd=tmp_path
        )
        assert code == 0, err
        assert json.loads(out_text)["answer"] == "ok"
        # An unknown graph: the worker's error, one line, exit 1.
        code, _, err = await cli("run", "nope", "{}", env=cli_env, cwd=tmp_path)
        assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
        assert "nope" in err

        servers = [c for c in psutil.Process(dev.pid).children() if "temporal" in c.name()]
        assert len(servers) == 1
    finally:
        if dev.returncode is None:
            dev.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(dev.wait(), timeout=30)
    assert code == 0, stderr_file.read_text()
    gone, alive = psutil.wait_procs(servers, timeout=10)
    for orphan in alive:
        orphan.kill()
    assert not alive, "the embedded dev server outlived `tempograph dev`"
