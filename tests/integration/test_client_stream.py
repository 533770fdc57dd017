"""GraphClient.stream: LangGraph's astream over a durable run (issue 12, "Streaming"):
single and several modes, a pause and its resume, custom events, node-returned messages,
LLM token chunks from a node's chat model (published by the node activity), a failed run."""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypedDict

import pytest
import pytest_asyncio
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.config import get_stream_writer
from tempograph.errors import GraphRunError
from tempograph.graph import END, START, MessagesState, StateGraph
from tempograph.types import Command, Interrupt, interrupt

TASK_QUEUE = "client-stream"


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    answer: str


def a(state: State) -> dict[str, Any]:
    get_stream_writer()({"progress": "a"})
    return {"log": ["a"]}


def ask(state: State) -> dict[str, Any]:
    return {"answer": interrupt({"question": "approve?"})}


def b(state: State) -> dict[str, Any]:
    return {"log": [f"b:{state['answer']}"]}


def boom(state: State) -> dict[str, Any]:
    raise ValueError("kaboom")


def chat(state: MessagesState) -> dict[str, Any]:
    model = GenericFakeChatModel(messages=iter([AIMessage("hello big world")]))
    return {"messages": [model.invoke(state["messages"])]}


def reply(state: MessagesState) -> dict[str, Any]:
    return {"messages": [AIMessage("a whole answer")]}


def _plain() -> Any:
    g = StateGraph(State)
    g.add_node("a", a)
    g.add_node("ask", ask)
    g.add_node("b", b)
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    g.add_edge("ask", "b")
    g.add_edge("b", END)
    return g.compile(name="stream_plain")


def _failing() -> Any:
    g = StateGraph(State)
    g.add_node("boom", boom)
    g.add_edge(START, "boom")
    g.add_edge("boom", END)
    return g.compile(name="stream_failing")


def _chat() -> Any:
    g = StateGraph(MessagesState)
    g.add_node("chat", chat)
    g.add_node("reply", reply)
    g.add_edge(START, "chat")
    g.add_edge("chat", "reply")
    g.add_edge("reply", END)
    return g.compile(name="stream_chat")


GRAPHS = {"stream_plain": _plain(), "stream_failing": _failing(), "stream_chat": _chat()}


@pytest_asyncio.fixture(scope="module")
async def gc(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


async def collect(stream: AsyncIterator[Any]) -> list[Any]:
    return [chunk async for chunk in stream]


async def test_values_alone_yield_states_then_the_pause(gc: GraphClient, thread: str) -> None:
    chunks = await collect(gc.stream("stream_plain", {"log": []}, thread_id=thread))
    assert chunks[:2] == [{"log": []}, {"log": ["a"]}]
    [pause] = chunks[2:]
    [asked] = pause["__interrupt__"]
    assert isinstance(asked, Interrupt) and asked.value == {"question": "approve?"}
    state = await gc.get_state(thread)
    assert asked.id == state.interrupts[0].id  # the id a resume answers


async def test_several_modes_and_a_resume(gc: GraphClient, thread: str) -> None:
    modes = ["values", "updates", "custom"]
    chunks = await collect(
        gc.stream("stream_plain", {"log": []}, thread_id=thread, stream_mode=modes)
    )
    assert chunks[:4] == [
        ("values", {"log": []}),
        ("custom", {"progress": "a"}),
        ("updates", {"a": {"log": ["a"]}}),
        ("values", {"log": ["a"]}),
    ]
    mode, data = chunks[-1]
    assert mode == "updates" and [i.value for i in data["__interrupt__"]] == [
        {"question": "approve?"}
    ]
    assert len(chunks) == 5  # the pause shows once, in updates, as in LangGraph
    resumed = await collect(
        gc.stream(
            "stream_plain",
            command=Command(resume="yes"),
            thread_id=thread,
            stream_mode=["values", "updates"],
        )
    )
    assert resumed == [
        ("values", {"log": ["a"]}),  # the state it resumes from
        ("updates", {"ask": {"answer": "yes"}}),
        ("values", {"log": ["a"], "answer": "yes"}),
        ("updates", {"b": {"log": ["b:yes"]}}),
        ("values", {"log": ["a", "b:yes"], "answer": "yes"}),
    ]


async def test_tasks_checkpoints_debug_and_events(gc: GraphClient, thread: str) -> None:
    modes = ["tasks", "checkpoints", "debug", "events"]
    chunks = await collect(
        gc.stream("stream_plain", {"log": []}, thread_id=thread, stream_mode=modes)
    )
    tasks = [d for m, d in chunks if m == "tasks"]
    assert [(t["name"], "input" in t) for t in tasks] == [
        ("a", True),
        ("a", False),
        ("ask", True),
        ("ask", False),
    ]
    assert tasks[0]["triggers"] == ["branch:to:a"]
    state = await gc.get_state(thread)
    assert tasks[-1]["interrupts"][0]["id"] == state.interrupts[0].id
    checkpoints = [d for m, d in chunks if m == "checkpoints"]
    assert [c["next"] for c in checkpoints] == [["a"], ["ask"]]
    assert checkpoints[-1]["config"]["configurable"]["checkpoint_id"] == state.checkpoint_id
    assert {d["type"] for m, d in chunks if m == "debug"} == {"checkpoint", "task", "task_result"}
    events = [d for m, d in chunks if m == "events"]
    assert (events[0]["event"], events[0]["name"]) == ("on_chain_start", "stream_plain")
    starts = [e["metadata"]["langgraph_node"] for e in events[1:] if e["event"] == "on_chain_start"]
    assert starts == ["a", "ask"]
    assert events[-1]["event"] == "on_chain_end" and events[-1]["parent_ids"] == []


async def test_a_failed_run_raises_after_its_parts(gc: GraphClient, thread: str) -> None:
    seen: list[Any] = []
    with pytest.raises(GraphRunError, match="kaboom"):
        async for chunk in gc.stream(
            "stream_failing", {"log": []}, thread_id=thread, stream_mode=["values", "tasks"]
        ):
            seen.append(chunk)
    assert seen[0] == ("values", {"log": []})
    assert seen[-1][1]["error"] == {"error": "ValueError", "message": "kaboom"}


async def test_modes_are_checked(gc: GraphClient, thread: str) -> None:
    with pytest.raises(ValueError, match="Unknown stream mode"):
        await collect(gc.stream("stream_plain", {"log": []}, thread_id=thread, stream_mode="nope"))
    with pytest.raises(ValueError, match="not both"):
        await collect(
            gc.stream("stream_plain", {"log": []}, command=Command(resume=1), thread_id=thread)
        )


async def test_a_returned_message_is_sent_whole(gc: GraphClient, thread: str) -> None:
    chunks = await collect(
        gc.stream(
            "stream_chat", {"messages": [("user", "hi")]}, thread_id=thread, stream_mode="messages"
        )
    )
    whole = [
        (m, meta) for m, meta in chunks if m["type"] == "ai" and m["content"] == "a whole answer"
    ]
    [(message, metadata)] = whole
    assert metadata["langgraph_node"] == "reply" and metadata["langgraph_step"] == 2


async def test_llm_tokens_stream_from_a_node(gc: GraphClient, thread: str) -> None:
    chunks = await collect(
        gc.stream(
            "stream_chat",
            {"messages": [("user", "hi")]},
            thread_id=thread,
            stream_mode=["messages", "updates"],
        )
    )
    tokens = [d[0] for m, d in chunks if m == "messages" and d[0]["type"] == "AIMessageChunk"]
    assert len(tokens) > 1 and "".join(t["content"] for t in tokens) == "hello big world"
    assert len({t["id"] for t in tokens}) == 1
    metadata = next(d[1] for m, d in chunks if m == "messages")
    assert metadata["langgraph_node"] == "chat" and metadata["thread_id"] == thread
    # Tokens come before the node's update, and the streamed message is not sent again.
    kinds = [m for m, _ in chunks]
    assert kinds.index("updates") > kinds.index("messages")
    whole = [d[0] for m, d in chunks if m == "messages" and d[0]["type"] == "ai"]
    assert [w["content"] for w in whole] == ["a whole answer"]
