"""Payload encryption (tempograph.codec) on a real dev server: what Temporal stores holds no
plaintext, and keys rotate under paused runs (old key still decrypts, new key encrypts, the
history replays)."""

from __future__ import annotations

import operator
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypedDict

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from tempograph import GraphClient, connect, create_worker
from tempograph._workflows.graph_run import GraphRun
from tempograph.codec import ENCODING, KEY_ID_METADATA, KEYS_ENV, data_converter, new_key
from tempograph.devserver import DevServer
from tempograph.errors import GraphRunError
from tempograph.graph import END, START, StateGraph
from tempograph.types import Command, interrupt

INPUT_MARK = "zq-input-7c1e"
STATE_MARK = "zq-state-91ab"
INTERRUPT_MARK = "zq-interrupt-44d0"
ANSWER_MARK = "zq-answer-e3f2"
FAIL_MARK = "zq-failure-0b6a"
MARKS = (INPUT_MARK, STATE_MARK, INTERRUPT_MARK, ANSWER_MARK)


class Secret(TypedDict, total=False):
    text: str
    notes: Annotated[list[str], operator.add]
    answer: str


def write(state: Secret) -> dict[str, Any]:
    return {"notes": [f"saw {state['text']} {STATE_MARK}"]}


def ask(state: Secret) -> dict[str, Any]:
    return {"answer": interrupt({"question": f"approve? {INTERRUPT_MARK}"})}


def fail(state: Secret) -> dict[str, Any]:
    raise ValueError(f"cannot process {FAIL_MARK}")


def build_secret() -> Any:
    g = StateGraph(Secret)
    g.add_node("write", write)
    g.add_node("ask", ask)
    g.add_edge(START, "write")
    g.add_edge("write", "ask")
    g.add_edge("ask", END)
    return g.compile()


def build_failing() -> Any:
    g = StateGraph(Secret)
    g.add_node("fail", fail)
    g.add_edge(START, "fail")
    g.add_edge("fail", END)
    return g.compile()


GRAPHS = {"secret": build_secret(), "secret_fail": build_failing()}


def walk_payloads(msg: Message, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Payload]]:
    """Every Payload inside a protobuf message, with the dotted field path leading to it."""
    if isinstance(msg, Payload):
        yield ".".join(path), msg
        return
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        where = (*path, field.name)
        if field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if isinstance(item, Message):
                    yield from walk_payloads(item, (*path, f"{field.name}[{key}]"))
            continue
        for item in [value] if isinstance(value, Message) else list(value):
            yield from walk_payloads(item, where)


def raw_bytes(history: WorkflowHistory) -> bytes:
    """The history as Temporal stores it (protobuf: payload bytes appear as they are)."""
    return b"".join(event.SerializeToString() for event in history.events)


def stored_payloads(history: WorkflowHistory) -> list[tuple[str, Payload]]:
    return [pair for event in history.events for pair in walk_payloads(event)]


# Unencrypted payloads a history may hold: the search attributes (on purpose: the server
# filters on them: status and graph name; TemporalChangeVersion: the SDK's patch ids) and the
# SDK core's own bookkeeping in markers, which it writes without the codec: a patch's id, a
# local activity's type, attempt and times (its result is encrypted).
PLAINTEXT_BY_DESIGN = re.compile(
    r"(workflow_execution_started|upsert_workflow_search_attributes)_event_attributes"
    r"\.search_attributes\.indexed_fields\[(Tempograph\w+|TemporalChangeVersion)\]"
    r"|marker_recorded_event_attributes\.details\[(patch-data|data)\]\.payloads"
)


def plaintext_payloads(history: WorkflowHistory) -> set[str]:
    return {
        path
        for event in history.events
        for path, payload in walk_payloads(event)
        if payload.metadata.get("encoding") != ENCODING
    }


def key_ids(history: WorkflowHistory) -> set[str]:
    return {
        p.metadata[KEY_ID_METADATA].decode()
        for _, p in stored_payloads(history)
        if KEY_ID_METADATA in p.metadata
    }


@pytest.fixture
def task_queue() -> str:
    return f"enc-{uuid.uuid4().hex[:8]}"


async def encrypted_client(server: DevServer, monkeypatch: pytest.MonkeyPatch, keys: str) -> Client:
    """A client as every entry point makes one: `connect` with the keys in the environment."""
    monkeypatch.setenv(KEYS_ENV, keys)
    client = await connect(server.address)
    assert client.data_converter.payload_codec is not None
    return client


class Served:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.graphs = GraphClient(client, task_queue=task_queue)
        self.task_queue = task_queue


@asynccontextmanager
async def serving(client: Client, task_queue: str) -> AsyncIterator[Served]:
    async with create_worker(client, GRAPHS, task_queue=task_queue):
        yield Served(client, task_queue)


async def test_history_holds_no_plaintext(
    server: DevServer, monkeypatch: pytest.MonkeyPatch, task_queue: str, thread: str
) -> None:
    client = await encrypted_client(server, monkeypatch, f"k1:{new_key()}")
    async with serving(client, task_queue) as s:
        paused = await s.graphs.invoke("secret", {"text": INPUT_MARK}, thread_id=thread)
        assert INTERRUPT_MARK in paused["__interrupt__"][0].value["question"]
        done = await s.graphs.invoke("secret", Command(resume=ANSWER_MARK), thread_id=thread)
        assert done["answer"] == ANSWER_MARK and STATE_MARK in done["notes"][0]
        # What this client reads back is decrypted.
        state = await s.graphs.get_state(thread)
        assert state.values["text"] == INPUT_MARK

        failed_thread = f"{thread}-fail"
        with pytest.raises(GraphRunError) as failed:
            await s.graphs.invoke("secret_fail", {"text": "x"}, thread_id=failed_thread)
        assert FAIL_MARK in str(failed.value)  # the failure's message decrypts for the client

    handle = client.get_workflow_handle(thread)
    history = await handle.fetch_history()
    stored = raw_bytes(history)
    described = (await handle.describe()).raw_description.SerializeToString()
    for mark in MARKS:
        assert mark.encode() not in stored, mark
        assert mark.encode() not in described, mark
    failed_history = await client.get_workflow_handle(failed_thread).fetch_history()
    assert FAIL_MARK.encode() not in raw_bytes(failed_history)

    # Every payload is encrypted but the search attributes, which stay plaintext on purpose
    # (the server filters on them: status and graph name only).
    assert len(stored_payloads(history)) > 10
    plain = plaintext_payloads(history) | plaintext_payloads(failed_history)
    assert all(PLAINTEXT_BY_DESIGN.fullmatch(path) for path in plain), plain
    assert any("search_attributes" in path for path in plain)
    assert key_ids(history) == {"k1"}


async def test_the_scan_finds_plaintext_without_encryption(
    graphs: GraphClient, client: Client, thread: str
) -> None:
    """The check above can fail: the same scan finds a marker in an unencrypted run."""
    await graphs.invoke("ask", {"log": [INPUT_MARK], "x": 1}, thread_id=thread)
    history = await client.get_workflow_handle(thread).fetch_history()
    assert INPUT_MARK.encode() in raw_bytes(history)


async def test_keys_rotate_under_a_paused_run(
    server: DevServer, monkeypatch: pytest.MonkeyPatch, task_queue: str, thread: str
) -> None:
    old, new = new_key(), new_key()
    # Paused under the old key alone.
    first = await encrypted_client(server, monkeypatch, f"old:{old}")
    async with serving(first, task_queue) as s:
        paused = await s.graphs.invoke("secret", {"text": INPUT_MARK}, thread_id=thread)
        assert "__interrupt__" in paused
    history = await first.get_workflow_handle(thread).fetch_history()
    assert key_ids(history) == {"old"}

    # Rotated: the new key first (it encrypts), the old one kept (it decrypts). A new worker
    # replays the paused run's history (old key) and resumes it (new key).
    second = await encrypted_client(server, monkeypatch, f"new:{new},old:{old}")
    async with serving(second, task_queue) as s:
        state = await s.graphs.get_state(thread)
        assert state.values["text"] == INPUT_MARK and state.next == ["ask"]
        done = await s.graphs.resume(thread, ANSWER_MARK)
        assert done["answer"] == ANSWER_MARK
        # A run started after the rotation pauses and resumes under the new key alone.
        later = f"{thread}-later"
        await s.graphs.invoke("secret", {"text": "later"}, thread_id=later)
        assert (await s.graphs.resume(later, "ok"))["answer"] == "ok"

    history = await second.get_workflow_handle(thread).fetch_history()
    assert key_ids(history) == {"old", "new"}
    payloads = [p for _, p in stored_payloads(history) if KEY_ID_METADATA in p.metadata]
    assert payloads[0].metadata[KEY_ID_METADATA] == b"old"  # the run's input
    assert payloads[-1].metadata[KEY_ID_METADATA] == b"new"  # its result
    later_history = await second.get_workflow_handle(f"{thread}-later").fetch_history()
    assert key_ids(later_history) == {"new"}
    for mark in MARKS:
        assert mark.encode() not in raw_bytes(history)

    # Replay (a deploy, a worker restart) needs every key the history used.
    rotated = data_converter(keys=None, environ={KEYS_ENV: f"new:{new},old:{old}"})
    ok = await Replayer(workflows=[GraphRun], data_converter=rotated).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert ok.replay_failure is None
    without_old = data_converter(environ={KEYS_ENV: f"new:{new}"})
    failed = await Replayer(workflows=[GraphRun], data_converter=without_old).replay_workflow(
        history, raise_on_replay_failure=False
    )
    # The workflow task fails decoding the old payloads (its message is encrypted too).
    assert failed.replay_failure is not None and "ValueError" in str(failed.replay_failure)
