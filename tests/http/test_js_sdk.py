"""LangGraph's official JavaScript SDK (`@langchain/langgraph-sdk`, pinned in tests/js/package.json)
against Tempograph's HTTP API: node scripts in tests/js/ stream runs of the example agents with
stream modes values + updates + messages-tuple, answer their interrupts with `command.resume`,
tour the newer methods (api_tour.mjs: assistants create/update/versions, graph and schemas,
crons stateless and on a thread, runs cancel and delete) and print what they saw as JSON; the
assertions are here.

Needs node >= 20 and npm on PATH (a clear failure without them, never a skip). `npm ci` runs
once into tests/js/node_modules and again only when package.json or package-lock.json change."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client

from graphs import inbox_review, wait_for_user_input
from tempograph import GraphClient, create_worker
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.sample_graphs import build_slow

JS = Path(__file__).resolve().parents[1] / "js"
MODULES = JS / "node_modules"
STAMP = MODULES / ".tempograph-installed"  # hash of the manifests npm ci installed
TASK_QUEUE = "js-sdk"
GRAPHS = {
    "inbox_review": inbox_review.graph,
    "wait_for_user_input": wait_for_user_input.graph,
    # A step that takes 1.5 s: a run to cancel while it executes (api_tour.mjs).
    "slow": build_slow(),
}
NODE_MAJOR = 20
SCRIPT_TIMEOUT = 90.0

DRAFTED = {
    "to": "alice@example.com",
    "subject": "Re: your message",
    "body": "Thanks, I will get back to you.",
}
MESSAGE_KEYS = {"content", "additional_kwargs", "response_metadata", "type", "name", "id"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not on PATH: the JavaScript SDK tests need node >= {NODE_MAJOR} and npm "
            "(install Node.js, e.g. `apt-get install nodejs npm`)",
            pytrace=False,
        )
    return path


def _manifest_hash() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((JS / name).read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    """node's path, with tests/js/node_modules installed from package-lock.json (`npm ci`)."""
    node = _tool("node")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < NODE_MAJOR:
        pytest.fail(f"node {version} is too old: the JS SDK needs node >= {NODE_MAJOR}")
    npm = _tool("npm")
    wanted = _manifest_hash()
    # Another pytest process in this checkout may be installing too.
    lock_path = (
        Path(tempfile.gettempdir()) / f"tempograph-npm-{hashlib.sha1(bytes(JS)).hexdigest()}"
    )
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (STAMP.exists() and STAMP.read_text() == wanted):
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=JS,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                pytest.fail(f"npm ci failed in {JS}:\n{done.stdout}\n{done.stderr}")
            STAMP.write_text(wanted)
    yield node


@pytest_asyncio.fixture(scope="module")
async def url(client: Client) -> AsyncIterator[str]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        app = create_app(GraphClient(client, task_queue=TASK_QUEUE), GRAPHS)
        async with serve(app) as base:
            yield base


async def _run_script(node: str, url: str, script: str) -> Any:
    """Run tests/js/<script> against `url`; its stdout is one JSON document."""
    proc = await asyncio.create_subprocess_exec(
        node,
        script,
        cwd=JS,
        env={**os.environ, "TEMPOGRAPH_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), SCRIPT_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"node {script} did not finish in {SCRIPT_TIMEOUT} s")
    assert proc.returncode == 0, f"node {script} failed:\n{err.decode()}"
    return json.loads(out)


@pytest_asyncio.fixture(scope="module")
async def review(node: str, url: str) -> dict[str, Any]:
    """What review.mjs saw: per answer type, the streamed request, resume and thread."""
    result: dict[str, Any] = await _run_script(node, url, "review.mjs")
    return result


@pytest_asyncio.fixture(scope="module")
async def api_tour(node: str, url: str) -> dict[str, Any]:
    """What api_tour.mjs saw: assistants, graph and schemas, crons, runs cancel and delete."""
    result: dict[str, Any] = await _run_script(node, url, "api_tour.mjs")
    return result


@pytest_asyncio.fixture(scope="module")
async def ask_human(node: str, url: str) -> dict[str, Any]:
    result: dict[str, Any] = await _run_script(node, url, "ask_human.mjs")
    return result


def _data(events: list[dict[str, Any]], event: str) -> list[Any]:
    return [e["data"] for e in events if e["event"] == event]


def _node_updates(events: list[dict[str, Any]]) -> list[str]:
    """The nodes of the `updates` events, in order (the interrupt chunk left out)."""
    return [node for u in _data(events, "updates") for node in u if node != "__interrupt__"]


def _langchain_shaped(messages: list[dict[str, Any]]) -> None:
    """Messages as the Agent Server returns them: model_dump() dicts with unique ids."""
    for m in messages:
        assert set(m) >= MESSAGE_KEYS, m
        assert isinstance(m["id"], str) and m["id"], m
        if m["type"] == "ai":
            assert {"tool_calls", "invalid_tool_calls", "usage_metadata"} <= set(m), m
        if m["type"] == "tool":
            assert {"tool_call_id", "artifact", "status"} <= set(m), m
    assert len({m["id"] for m in messages}) == len(messages)


def _check_run_created(events: list[dict[str, Any]], thread_id: str) -> None:
    """The run the SDK read from the response headers (onRunCreated) is the one the stream's
    first event, `metadata`, names."""
    created, metadata = events[0], events[1]
    assert created["event"] == "run_created" and metadata["event"] == "metadata"
    assert metadata["data"] == {"run_id": created["data"]["run_id"], "attempt": 1}
    assert created["data"]["thread_id"] == thread_id


def _check_paused_stream(seen: dict[str, Any], request: dict[str, Any]) -> list[dict[str, Any]]:
    """The first run's stream up to its pause; returns the paused state's messages."""
    first = seen["first"]
    _check_run_created(first, seen["thread_id"])
    assert {e["event"] for e in first} <= {
        "run_created",
        "metadata",
        "values",
        "updates",
        "messages",
    }
    values = _data(first, "values")
    assert [m["type"] for m in values[0]["messages"]] == ["human"]  # the input state first
    [interrupt] = seen["interrupts"]
    assert interrupt["value"] == [request] and len(interrupt["id"]) == 32
    assert _data(first, "updates")[-1] == {"__interrupt__": [interrupt]}
    assert values[-1]["__interrupt__"] == [interrupt]
    paused = seen["paused"]
    assert (paused["status"], paused["next"]) == ("interrupted", ["review"])
    assert [i["id"] for i in paused["tasks"][0]["interrupts"]] == [interrupt["id"]]
    messages: list[dict[str, Any]] = paused["values"]["messages"]
    assert {k: v for k, v in values[-1].items() if k != "__interrupt__"} == paused["values"]
    return messages


def _check_resumed_stream(seen: dict[str, Any]) -> list[dict[str, Any]]:
    """The resume's stream: the paused state first, the final state last and on the thread."""
    resumed, final = seen["resumed"], seen["final"]
    _check_run_created(resumed, seen["thread_id"])
    values = _data(resumed, "values")
    assert values[0] == seen["paused"]["values"]  # the state it resumes from, no __interrupt__
    assert all("__interrupt__" not in v for v in values)
    assert _data(resumed, "updates")[0].keys() == {"review"}
    assert (final["status"], final["next"], final["tasks"]) == ("idle", [], [])
    assert values[-1] == final["values"]
    messages: list[dict[str, Any]] = final["values"]["messages"]
    _langchain_shaped(messages)
    return messages


REQUEST = {
    "action_request": {"action": "send_email", "args": DRAFTED},
    "config": {
        "allow_ignore": True,
        "allow_respond": True,
        "allow_edit": True,
        "allow_accept": True,
    },
    "description": "The assistant wants to email alice@example.com. Send it?",
}


def test_accept_sends_the_drafted_email(review: dict[str, Any]) -> None:
    seen = review["accept"]
    assert seen["created_status"] == "idle"
    paused = _check_paused_stream(seen, REQUEST)
    messages = _check_resumed_stream(seen)
    assert _node_updates(seen["resumed"]) == ["review", "tools", "draft"]
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai"]
    assert messages[:2] == paused  # ids and content kept across the pause
    call = messages[1]["tool_calls"][0]
    assert call == {"name": "send_email", "args": DRAFTED, "id": "call_1", "type": "tool_call"}
    tool = messages[2]
    assert (tool["name"], tool["tool_call_id"], tool["status"]) == (
        "send_email",
        "call_1",
        "success",
    )
    assert tool["content"] == "Sent to alice@example.com: 'Re: your message'"
    assert messages[3]["content"] == "Done. Sent to alice@example.com: 'Re: your message'"


def test_edit_replaces_the_tool_call(review: dict[str, Any]) -> None:
    seen = review["edit"]
    paused = _check_paused_stream(seen, REQUEST)
    messages = _check_resumed_stream(seen)
    assert _node_updates(seen["resumed"]) == ["review", "tools", "draft"]
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai"]
    # The edited AI message replaced the drafted one: same id, new args.
    assert messages[1]["id"] == paused[1]["id"]
    edited = {**DRAFTED, "subject": "Edited by a human"}
    assert messages[1]["tool_calls"][0]["args"] == edited
    [(_, review_update)] = _data(seen["resumed"], "updates")[0].items()
    assert review_update["messages"][0]["id"] == paused[1]["id"]
    assert messages[2]["content"] == "Sent to alice@example.com: 'Edited by a human'"


def test_response_answers_the_tool_call_instead(review: dict[str, Any]) -> None:
    seen = review["response"]
    _check_paused_stream(seen, REQUEST)
    messages = _check_resumed_stream(seen)
    assert _node_updates(seen["resumed"]) == ["review", "draft"]  # the tool never ran
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai"]
    answer = messages[2]
    assert (answer["content"], answer["tool_call_id"], answer["name"]) == (
        "Do not email her, call her instead.",
        "call_1",
        "send_email",
    )
    assert messages[3]["content"] == "Done. Do not email her, call her instead."


def test_ignore_ends_the_run(review: dict[str, Any]) -> None:
    seen = review["ignore"]
    paused = _check_paused_stream(seen, REQUEST)
    messages = _check_resumed_stream(seen)
    assert _node_updates(seen["resumed"]) == ["review"]
    assert messages == paused


def test_threads_are_separate(review: dict[str, Any]) -> None:
    threads = {seen["thread_id"] for seen in review.values()}
    assert len(threads) == 4
    runs = {seen["first"][0]["data"]["run_id"] for seen in review.values()}
    assert len(runs) == 4


def test_the_agent_asks_the_human(ask_human: dict[str, Any]) -> None:
    """graphs/wait_for_user_input.py: the question is the interrupt, the answer a ToolMessage."""
    [interrupt] = ask_human["interrupts"]
    assert interrupt["value"] == "Where are you?"
    first = ask_human["first"]
    _check_run_created(first, ask_human["thread_id"])
    _check_run_created(ask_human["resumed"], ask_human["thread_id"])
    assert _node_updates(first) == ["agent"]
    assert _data(first, "updates")[-1] == {"__interrupt__": [interrupt]}
    paused = ask_human["paused"]
    assert (paused["status"], paused["next"]) == ("interrupted", ["ask_human"])

    resumed, final = ask_human["resumed"], ask_human["final"]
    assert _node_updates(resumed) == ["ask_human", "agent", "action", "agent"]
    assert _data(resumed, "values")[-1] == final["values"]
    assert (final["status"], final["next"]) == ("idle", [])
    messages = final["values"]["messages"]
    _langchain_shaped(messages)
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai", "tool", "ai"]
    [ask] = messages[1]["tool_calls"]
    assert (ask["name"], ask["args"]) == ("AskHuman", {"question": "Where are you?"})
    assert (messages[2]["tool_call_id"], messages[2]["content"]) == (ask["id"], "san francisco")
    [search] = messages[3]["tool_calls"]
    assert search["args"] == {"query": "weather in san francisco"}
    assert messages[4]["tool_call_id"] == search["id"] and messages[4]["name"] == "search"
    assert messages[5]["content"].startswith("Here is what I found: I looked up: weather in san")


# --- messages-tuple ----------------------------------------------------------------------


def _tuples(events: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The `messages` events of a messages-tuple stream, as (message or chunk, metadata)."""
    out = []
    for data in _data(events, "messages"):
        assert isinstance(data, list) and len(data) == 2, data
        out.append((data[0], data[1]))
    return out


def test_model_tokens_stream_as_messages_tuple(ask_human: dict[str, Any]) -> None:
    """The agent's chat model streams: its chunks arrive as `messages` events, in order, before
    the node's update, with LangGraph's metadata, sharing the id of the message it stores."""
    thread_id = ask_human["thread_id"]
    for events, calls in ((ask_human["first"], 1), (ask_human["resumed"], 2)):
        run_id = events[0]["data"]["run_id"]
        chunks = [(c, meta) for c, meta in _tuples(events) if c["type"] == "AIMessageChunk"]
        assert chunks, "no token chunks in the messages-tuple stream"
        for _, meta in chunks:
            assert meta["langgraph_node"] == "agent" and isinstance(meta["langgraph_step"], int)
            assert (meta["thread_id"], meta["run_id"]) == (thread_id, run_id)
        by_id: dict[str, list[dict[str, Any]]] = {}
        for chunk, _ in chunks:
            by_id.setdefault(chunk["id"], []).append(chunk)
        assert len(by_id) == calls  # one id per model call
        stored = [
            m
            for u in _data(events, "updates")
            for node, writes in u.items()
            if node == "agent"
            for m in writes["messages"]
        ]
        assert [m["id"] for m in stored] == list(by_id)
        for message, parts in zip(stored, by_id.values(), strict=True):
            assert "".join(p["content"] for p in parts) == message["content"]
            assert len(parts) > 2  # word by word, not the whole message at once
            calls_streamed = [c for p in parts for c in p["tool_call_chunks"]]
            assert [c["name"] for c in calls_streamed] == [c["name"] for c in message["tool_calls"]]
        # Tokens come before the update of the node that made them.
        names = [e["event"] for e in events]
        first_update = next(
            i for i, e in enumerate(events) if e["event"] == "updates" and "agent" in e["data"]
        )
        assert names.index("messages") < first_update


def test_node_returned_messages_stream_whole(review: dict[str, Any]) -> None:
    """Messages a node returns without streaming them (ToolNode's ToolMessage, the scripted
    drafter's AIMessage) arrive once each, whole, as the Agent Server sends them."""
    seen = review["accept"]
    tuples = _tuples(seen["resumed"])
    final = seen["final"]["values"]["messages"]
    whole = {m["id"]: (m, meta) for m, meta in tuples if m["type"] in ("ai", "tool")}
    assert len(whole) == len([m for m, _ in tuples if m["type"] in ("ai", "tool")])  # once
    tool, meta = whole[final[2]["id"]]
    assert tool == final[2] and meta["langgraph_node"] == "tools"
    reply, meta = whole[final[3]["id"]]
    assert reply == final[3] and meta["langgraph_node"] == "draft"


def test_js_assistants_create_update_versions(api_tour: dict[str, Any]) -> None:
    seen = api_tour["assistants"]
    created, updated = seen["created"], seen["updated"]
    assert created["graph_id"] == "wait_for_user_input" and created["name"] == "js tour"
    assert created["config"]["tags"] == ["from-js"] and created["version"] == 1
    assert updated["assistant_id"] == created["assistant_id"] and updated["version"] == 2
    assert updated["name"] == "js tour v2"
    # metadata is merged into the current version's
    assert updated["metadata"] == {**created["metadata"], "step": 2}
    assert [v["version"] for v in seen["versions"]] == [2, 1]
    assert [v["name"] for v in seen["versions"]] == ["js tour v2", "js tour"]
    assert seen["fetched"] == updated
    assert seen["found"] == [created["assistant_id"]]
    assert seen["afterDelete"] == 404


def test_js_graph_and_schemas(api_tour: dict[str, Any]) -> None:
    graph = api_tour["graph"]
    assert graph["nodes"][0] == "__start__" and graph["nodes"][-1] == "__end__"
    assert {"agent", "action", "ask_human"} <= set(graph["nodes"]) and graph["edges"] >= 4
    schemas = api_tour["schemas"]
    assert schemas["graph_id"] == "wait_for_user_input"
    assert {"input_schema", "output_schema", "state_schema", "config_schema"} <= set(
        schemas["keys"]
    )
    assert "messages" in schemas["stateProperties"]


def test_js_crons(api_tour: dict[str, Any]) -> None:
    seen = api_tour["crons"]
    stateless, on_thread = seen["stateless"], seen["onThread"]
    assert stateless["thread_id"] is None and stateless["schedule"] == "0 9 1 1 *"
    assert on_thread["thread_id"] is not None and on_thread["schedule"] == "30 9 1 1 *"
    assert on_thread["payload"]["multitask_strategy"] == "reject"
    assert seen["searched"] == sorted([stateless["cron_id"], on_thread["cron_id"]])
    assert seen["byThread"] == [on_thread["cron_id"]]
    assert seen["counted"] == 2
    assert seen["refusedRollback"] == 422
    assert seen["afterDelete"] == 0


def test_js_runs_cancel_and_delete(api_tour: dict[str, Any]) -> None:
    seen = api_tour["runs"]
    first, second = seen["ids"]
    assert seen["noWait"] is None  # 202: the SDK returns nothing
    assert seen["waited"]["log"][-1] == "two"  # 200: the cancelled run's values
    assert seen["statuses"] == ["interrupted", "interrupted"]
    assert seen["afterDelete"] == 404
    assert first not in seen["listed"] and second in seen["listed"]
