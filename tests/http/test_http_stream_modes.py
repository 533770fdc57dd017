"""Every Agent Server stream mode over HTTP, with the real langgraph-sdk (agents.md §1): the SSE
framing, each mode's shape on a plain graph (custom writer, interrupt) and on a tool-calling agent
(a chat model that streams tokens, a HumanInterrupt review, a ToolNode), errors, unknown modes.
A worker of its own on a task queue of its own (the graphs below)."""

from __future__ import annotations

import asyncio
import json
import operator
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal, TypedDict

import httpx
import pytest
import pytest_asyncio
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import tool
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client
from temporalio.common import RetryPolicy

from graphs.wait_for_user_input import stream_chunks
from tempograph import GraphClient, create_worker
from tempograph.config import get_stream_writer
from tempograph.graph import END, START, MessagesState, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.prebuilt import ToolNode
from tempograph.types import Command, interrupt

TASK_QUEUE = "http-stream-modes"

# --- plain: a (custom writer) -> ask (interrupt) -> yes | no --------------------------------


class PlainState(TypedDict, total=False):
    topic: str
    log: Annotated[list[str], operator.add]
    approved: bool


def a(state: PlainState) -> dict[str, Any]:
    get_stream_writer()({"progress": "a", "topic": state["topic"]})
    return {"log": ["a"]}


def ask(state: PlainState) -> dict[str, Any]:
    answer = interrupt({"question": "approve?", "topic": state["topic"]})
    return {"approved": answer == "yes", "log": [f"ask={answer}"]}


def yes(state: PlainState) -> dict[str, Any]:
    return {"log": ["yes"]}


def no(state: PlainState) -> dict[str, Any]:
    return {"log": ["no"]}


def kaboom(state: PlainState) -> dict[str, Any]:
    get_stream_writer()({"progress": "kaboom"})
    raise ValueError("kaboom")


def _plain() -> Any:
    g = StateGraph(PlainState)
    g.add_node("a", a)
    g.add_node("ask", ask)
    g.add_node("yes", yes)
    g.add_node("no", no)
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    g.add_conditional_edges("ask", lambda s: "yes" if s.get("approved") else "no")
    return g.compile()


def _failing() -> Any:
    g = StateGraph(PlainState)
    g.add_node("a", a)
    g.add_node("kaboom", kaboom, retry_policy=RetryPolicy(maximum_attempts=1))
    g.add_edge(START, "a")
    g.add_edge("a", "kaboom")
    return g.compile()


# --- slow: three steps with a pause between them (a stream to drop and rejoin) --------------


async def step(state: PlainState) -> dict[str, Any]:
    n = len(state.get("log", []))
    get_stream_writer()({"step": n})
    await asyncio.sleep(0.4)
    return {"log": [f"s{n}"]}


def _slow() -> Any:
    g = StateGraph(PlainState)
    for name in ("s0", "s1", "s2", "s3"):
        g.add_node(name, step)
    g.add_edge(START, "s0")
    g.add_edge("s0", "s1")
    g.add_edge("s1", "s2")
    g.add_edge("s2", "s3")
    return g.compile()


# --- agent: agent (streaming chat model) -> review (HumanInterrupt) -> tools -> agent --------

ANSWER = "Let me check the weather"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class ScriptedModel(GenericFakeChatModel):
    """A chat model that streams its words, then a last chunk with the tool call (as providers
    do; GenericFakeChatModel's own stream drops tool calls)."""

    messages: Any = None

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            return AIMessage(f"It is {last.content}")
        call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}
        return AIMessage(ANSWER, tool_calls=[call])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from stream_chunks(self._reply(messages))

    @property
    def _llm_type(self) -> str:
        return "scripted"


def agent(state: MessagesState) -> dict[str, Any]:
    return {"messages": [ScriptedModel().invoke(state["messages"])]}


def review(state: MessagesState) -> Command[Literal["tools", "__end__"]]:
    call = state["messages"][-1].tool_calls[0]
    request = {
        "action_request": {"action": call["name"], "args": call["args"]},
        "config": {
            "allow_ignore": True,
            "allow_respond": False,
            "allow_edit": False,
            "allow_accept": True,
        },
        "description": "Run the tool?",
    }
    [response] = interrupt([request])
    return Command(goto="tools" if response["type"] == "accept" else END)


def _agent() -> Any:
    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_node("review", review)
    g.add_node("tools", ToolNode([get_weather]))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", lambda s: "review" if s["messages"][-1].tool_calls else END)
    g.add_edge("tools", "agent")
    return g.compile()


GRAPHS = {
    "plain": _plain(),
    "failing_plain": _failing(),
    "slow_steps": _slow(),
    "weather_agent": _agent(),
}


@pytest_asyncio.fixture(scope="module")
async def url(client: Client) -> AsyncIterator[str]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(GRAPHS))
        async with serve(app) as base:
            yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


async def collect(parts: AsyncIterator[Any]) -> list[tuple[str, Any]]:
    return [(p.event, p.data) async for p in parts]


def of(events: list[tuple[str, Any]], name: str) -> list[Any]:
    return [data for event, data in events if event == name]


# -------------------------------------------------------------------------------------------
# Framing.
# -------------------------------------------------------------------------------------------


async def test_frames_are_the_agent_servers(url: str) -> None:
    """`event: X` CRLF `data: <compact JSON>` CRLF [`id:` CRLF] CRLF; metadata first;
    Location and Content-Location name the run."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        r = await http.post(
            f"/threads/{tid}/runs/stream",
            json={
                "assistant_id": "plain",
                "input": {"topic": "t1"},
                "stream_mode": ["updates"],
                "stream_resumable": True,
            },
        )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    blocks = r.content.split(b"\r\n\r\n")
    assert blocks[-1] == b""
    first = blocks[0].split(b"\r\n")
    assert first[0] == b"event: metadata" and first[1].startswith(b"data: {")
    meta = json.loads(first[1][6:])
    assert set(meta) == {"run_id", "attempt"} and meta["attempt"] == 1
    assert b'": ' not in first[1] and b", " not in first[1]  # compact JSON
    assert first[2].startswith(b"id: ")
    run_path = f"/threads/{tid}/runs/{meta['run_id']}"
    assert r.headers["content-location"] == run_path
    assert r.headers["location"] == f"{run_path}/stream"
    ids = [line[4:] for b in blocks[:-1] for line in b.split(b"\r\n") if line.startswith(b"id: ")]
    assert len(ids) == len(blocks) - 1  # every event has an id
    keys = [tuple(int(x) for x in i.split(b"-")) for i in ids]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # strictly increasing


async def test_unknown_mode_is_422(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    with pytest.raises(httpx.HTTPStatusError) as caught:
        await collect(
            sdk.runs.stream(tid, "plain", input={"topic": "t"}, stream_mode=["valuez"])  # type: ignore[list-item]
        )
    assert caught.value.response.status_code == 422


# -------------------------------------------------------------------------------------------
# Modes on the plain graph.
# -------------------------------------------------------------------------------------------


async def test_values_updates_custom_in_order(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(
            tid, "plain", input={"topic": "t1"}, stream_mode=["values", "updates", "custom"]
        )
    )
    assert events[0][0] == "metadata"
    [pending] = events[-1][1]["__interrupt__"]
    assert pending["value"] == {"question": "approve?", "topic": "t1"}
    assert set(pending) == {"value", "id", "response_schema"}
    assert events[1:] == [
        ("values", {"topic": "t1", "log": []}),
        ("custom", {"progress": "a", "topic": "t1"}),
        ("updates", {"a": {"log": ["a"]}}),
        ("values", {"topic": "t1", "log": ["a"]}),
        ("updates", {"__interrupt__": [pending]}),
        ("values", {"topic": "t1", "log": ["a"], "__interrupt__": [pending]}),
    ]
    resumed = await collect(
        sdk.runs.stream(
            tid, "plain", command={"resume": "yes"}, stream_mode=["values", "updates", "custom"]
        )
    )
    assert resumed[1:] == [
        ("values", {"topic": "t1", "log": ["a"]}),
        ("updates", {"ask": {"approved": True, "log": ["ask=yes"]}}),
        ("values", {"topic": "t1", "log": ["a", "ask=yes"], "approved": True}),
        ("updates", {"yes": {"log": ["yes"]}}),
        ("values", {"topic": "t1", "log": ["a", "ask=yes", "yes"], "approved": True}),
    ]


async def test_tasks_checkpoints_debug_shapes(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(
            tid, "plain", input={"topic": "t1"}, stream_mode=["tasks", "checkpoints", "debug"]
        )
    )
    tasks = of(events, "tasks")
    started = [t for t in tasks if "input" in t]
    finished = [t for t in tasks if "result" in t]
    assert [t["name"] for t in started] == ["a", "ask"]
    assert set(started[0]) == {"id", "name", "input", "triggers", "metadata"}
    assert started[0]["input"] == {"topic": "t1", "log": []}
    assert started[0]["triggers"] == ["branch:to:a"]
    assert started[0]["metadata"]["graph_id"] == "plain"
    assert finished[0] == {
        "id": started[0]["id"],
        "name": "a",
        "error": None,
        "result": {"log": ["a"]},
        "interrupts": [],
    }
    [asked] = [t for t in finished if t["name"] == "ask"]
    assert asked["result"] == {} and asked["interrupts"][0]["value"]["question"] == "approve?"

    checkpoints = of(events, "checkpoints")
    assert checkpoints, events
    for c in checkpoints:
        assert {"config", "parent_config", "values", "metadata", "next", "tasks"} <= set(c)
        assert c["config"]["configurable"]["thread_id"] == tid
    assert checkpoints[0]["next"] == ["a"] or checkpoints[0]["metadata"]["step"] == -1

    debug = of(events, "debug")
    assert {d["type"] for d in debug} >= {"task", "task_result", "checkpoint"}
    for d in debug:
        assert set(d) >= {"step", "timestamp", "type", "payload"}


async def test_events_mode_has_chain_starts(sdk: LangGraphClient) -> None:
    """Agent Inbox reads `on_chain_start` events with `metadata.langgraph_node`."""
    tid = (await sdk.threads.create())["thread_id"]
    events = of(
        await collect(sdk.runs.stream(tid, "plain", input={"topic": "t1"}, stream_mode="events")),
        "events",
    )
    starts = [e for e in events if e["event"] == "on_chain_start"]
    nodes = [e["metadata"].get("langgraph_node") for e in starts]
    assert "a" in nodes and "ask" in nodes, events


async def test_a_failing_run_ends_with_the_error_event(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(
            tid, "failing_plain", input={"topic": "t"}, stream_mode=["updates", "tasks"]
        )
    )
    assert events[-1][0] == "error"
    assert set(events[-1][1]) == {"error", "message"} and "kaboom" in events[-1][1]["message"]
    failed = [t for t in of(events, "tasks") if t.get("error")]
    assert failed and failed[0]["name"] == "kaboom"


# -------------------------------------------------------------------------------------------
# The tool-calling agent with a HumanInterrupt review.
# -------------------------------------------------------------------------------------------

QUESTION: dict[str, Any] = {"messages": [{"role": "user", "content": "weather in Paris?"}]}


async def test_agent_values_updates_and_the_review(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(tid, "weather_agent", input=QUESTION, stream_mode=["values", "updates"])
    )
    [update] = [u["agent"] for u in of(events, "updates") if "agent" in u]
    [ai] = update["messages"]
    assert ai["type"] == "ai" and ai["content"] == ANSWER
    assert ai["tool_calls"][0]["name"] == "get_weather"
    [pending] = events[-1][1]["__interrupt__"]
    assert pending["value"][0]["action_request"] == {
        "action": "get_weather",
        "args": {"city": "Paris"},
    }
    done = await collect(
        sdk.runs.stream(
            tid,
            "weather_agent",
            command={"resume": [{"type": "accept", "args": None}]},
            stream_mode=["updates", "messages-tuple"],
        )
    )
    updates = of(done, "updates")
    assert [next(iter(u)) for u in updates] == ["review", "tools", "agent"]
    [tool_message] = updates[1]["tools"]["messages"]
    assert tool_message["type"] == "tool" and tool_message["content"] == "sunny in Paris"
    # messages-tuple sends node-returned messages whole: the ToolMessage.
    whole = [m for m, _ in of(done, "messages") if m.get("type") == "tool"]
    assert whole and whole[0]["content"] == "sunny in Paris"


async def test_agent_tokens_in_messages_tuple(sdk: LangGraphClient) -> None:
    """messages-tuple: the model's chunks, as AIMessageChunk dicts with LangGraph's metadata;
    their contents make the answer; their id is the stored AI message's."""
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(
            tid, "weather_agent", input=QUESTION, stream_mode=["messages-tuple", "values"]
        )
    )
    chunks = [(m, meta) for m, meta in of(events, "messages") if m["type"] == "AIMessageChunk"]
    assert len(chunks) > 2, events
    assert "".join(m["content"] for m, _ in chunks) == ANSWER
    message, meta = chunks[0]
    assert set(message) >= {"content", "additional_kwargs", "type", "id", "tool_call_chunks"}
    assert meta["langgraph_node"] == "agent" and meta["langgraph_step"] == 1
    assert meta["thread_id"] == tid and meta["graph_id"] == "weather_agent"
    assert chunks[-1][0]["tool_call_chunks"][0]["name"] == "get_weather"
    stored = of(events, "values")[-1]["messages"][-1]
    assert {m["id"] for m, _ in chunks} == {stored["id"]}
