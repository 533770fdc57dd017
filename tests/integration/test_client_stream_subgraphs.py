"""GraphClient.stream(subgraphs=True): LangGraph's astream(subgraphs=True) over a run whose node
is a compiled subgraph (a child GraphRun): (namespace, mode, chunk), the child's parts between
the parent's task start and result, its custom events and LLM tokens, its interrupt surfaced by
the parent with the same id, a resume, two levels of subgraphs; without subgraphs the child's
custom writes do not appear (agents.md §1.6). A worker of its own (the graphs below)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypedDict

import pytest_asyncio
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.config import get_stream_writer
from tempograph.graph import END, START, StateGraph
from tempograph.types import Command, Interrupt, interrupt

TASK_QUEUE = "client-stream-subgraphs"


class State(TypedDict, total=False):
    topic: str
    prepared: str
    note: str
    answer: str
    done: str


def prep(state: State) -> dict[str, Any]:
    return {"prepared": "yes"}


def a(state: State) -> dict[str, Any]:
    get_stream_writer()({"progress": "a", "topic": state.get("topic")})
    model = GenericFakeChatModel(messages=iter([AIMessage("hello sub world")]))
    return {"note": str(model.invoke("hi").content)}


def ask(state: State) -> dict[str, Any]:
    return {"answer": interrupt({"question": "ok?", "topic": state.get("topic")})}


def after(state: State) -> dict[str, Any]:
    return {"done": f"after:{state.get('answer')}"}


def _child() -> Any:
    inner = StateGraph(State)
    inner.add_node("a", a)
    inner.add_node("ask", ask)
    inner.add_edge(START, "a")
    inner.add_edge("a", "ask")
    inner.add_edge("ask", END)
    return inner.compile()


def _nested() -> Any:
    g = StateGraph(State)
    g.add_node("prep", prep)
    g.add_node("child", _child())
    g.add_node("after", after)
    g.add_edge(START, "prep")
    g.add_edge("prep", "child")
    g.add_edge("child", "after")
    g.add_edge("after", END)
    return g.compile(name="sub_nested")


def deep_write(state: State) -> dict[str, Any]:
    get_stream_writer()({"deep": state.get("topic")})
    return {"note": "deep"}


def _two_levels() -> Any:
    inner = StateGraph(State)
    inner.add_node("deep", deep_write)
    inner.add_edge(START, "deep")
    inner_graph: Any = inner.compile()  # (add_node's hints do not list compiled graphs)
    middle = StateGraph(State)
    middle.add_node("inner", inner_graph)
    middle.add_edge(START, "inner")
    middle_graph: Any = middle.compile()
    g = StateGraph(State)
    g.add_node("mid", middle_graph)
    g.add_node("after", after)
    g.add_edge(START, "mid")
    g.add_edge("mid", "after")
    return g.compile(name="sub_two_levels")


GRAPHS = {"sub_nested": _nested(), "sub_two_levels": _two_levels()}
MODES = ["values", "updates", "custom", "tasks"]


@pytest_asyncio.fixture(scope="module")
async def gc(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


async def collect(stream: AsyncIterator[Any]) -> list[Any]:
    return [chunk async for chunk in stream]


def shape(chunks: list[Any]) -> list[tuple[Any, ...]]:
    """(namespace, mode, what): a task event's name (+ "!" for its result), an update's
    nodes, a custom event, a state's keys."""
    out: list[tuple[Any, ...]] = []
    for ns, mode, data in chunks:
        if mode == "tasks":
            what: Any = data["name"] + ("!" if "result" in data else "")
        elif mode == "updates":
            what = sorted(data)
        else:
            what = data
        out.append((ns, mode, what))
    return out


async def test_the_child_streams_between_the_parents_task_start_and_result(
    gc: GraphClient, thread: str
) -> None:
    chunks = await collect(
        gc.stream(
            "sub_nested", {"topic": "t1"}, thread_id=thread, stream_mode=MODES, subgraphs=True
        )
    )
    state = await gc.get_state(thread)
    [pending] = state.interrupts
    child_task = next(
        d["id"] for ns, m, d in chunks if ns == () and m == "tasks" and d["name"] == "child"
    )
    ns = (f"child:{child_task}",)
    start = {"topic": "t1"}
    prepared = {"topic": "t1", "prepared": "yes"}
    noted = {**prepared, "note": "hello sub world"}
    assert shape(chunks) == [
        ((), "values", start),
        ((), "tasks", "prep"),
        ((), "updates", ["prep"]),
        ((), "tasks", "prep!"),
        ((), "values", prepared),
        ((), "tasks", "child"),
        (ns, "values", prepared),  # the child's input: the parent's state
        (ns, "tasks", "a"),
        (ns, "custom", {"progress": "a", "topic": "t1"}),
        (ns, "updates", ["a"]),
        (ns, "tasks", "a!"),
        (ns, "values", noted),
        (ns, "tasks", "ask"),
        (ns, "updates", ["__interrupt__"]),
        (ns, "tasks", "ask!"),
        ((), "updates", ["__interrupt__"]),  # the parent surfaces the child's interrupt
        ((), "tasks", "child!"),
    ]
    child_pause = chunks[13][2]["__interrupt__"]
    parent_pause = chunks[15][2]["__interrupt__"]
    assert child_pause == parent_pause
    assert [i.id for i in parent_pause] == [pending.id]  # the id a resume answers
    assert isinstance(parent_pause[0], Interrupt)
    assert parent_pause[0].value == {"question": "ok?", "topic": "t1"}
    child_result = chunks[16][2]
    assert child_result["interrupts"] == [
        {"value": {"question": "ok?", "topic": "t1"}, "id": pending.id, "response_schema": None}
    ]

    resumed = await collect(
        gc.stream(
            "sub_nested",
            command=Command(resume="sure"),
            thread_id=thread,
            stream_mode=MODES,
            subgraphs=True,
        )
    )
    answered = {**noted, "answer": "sure"}
    assert shape(resumed) == [
        ((), "values", prepared),  # the state it resumes from
        ((), "tasks", "child"),  # the subgraph task runs again
        (ns, "tasks", "ask"),
        (ns, "updates", ["ask"]),
        (ns, "tasks", "ask!"),
        (ns, "values", answered),
        ((), "updates", ["child"]),
        ((), "tasks", "child!"),
        ((), "values", answered),
        ((), "tasks", "after"),
        ((), "updates", ["after"]),
        ((), "tasks", "after!"),
        ((), "values", {**answered, "done": "after:sure"}),
    ]
    assert resumed[6][2] == {"child": answered}
    assert (await gc.get_state(thread)).values == {**answered, "done": "after:sure"}


async def test_without_subgraphs_only_the_parent_streams(gc: GraphClient, thread: str) -> None:
    chunks = await collect(
        gc.stream("sub_nested", {"topic": "t2"}, thread_id=thread, stream_mode=MODES)
    )
    assert all(len(c) == 2 for c in chunks)  # (mode, chunk): no namespaces
    assert [d for m, d in chunks if m == "custom"] == []  # the child's custom writes: none
    updates = [d for m, d in chunks if m == "updates"]
    assert [sorted(u) for u in updates] == [["prep"], ["__interrupt__"]]
    state = await gc.get_state(thread)
    assert [i.id for i in updates[-1]["__interrupt__"]] == [i.id for i in state.interrupts]


async def test_one_mode_yields_namespace_and_chunk(gc: GraphClient, thread: str) -> None:
    chunks = await collect(
        gc.stream(
            "sub_nested", {"topic": "t3"}, thread_id=thread, stream_mode="custom", subgraphs=True
        )
    )
    [(namespace, chunk)] = chunks
    assert len(namespace) == 1 and namespace[0].startswith("child:")
    assert chunk == {"progress": "a", "topic": "t3"}


async def test_the_childs_llm_tokens_carry_its_namespace(gc: GraphClient, thread: str) -> None:
    chunks = await collect(
        gc.stream(
            "sub_nested",
            {"topic": "t4"},
            thread_id=thread,
            stream_mode=["messages", "custom"],
            subgraphs=True,
        )
    )
    tokens = [(ns, data) for ns, mode, data in chunks if mode == "messages"]
    assert tokens, "the child's chat model streamed"
    assert "".join(chunk["content"] for _, (chunk, _) in tokens) == "hello sub world"
    [(ns, (chunk, metadata))] = tokens[:1]
    assert len(ns) == 1 and ns[0].startswith("child:")
    assert chunk["type"] == "AIMessageChunk"
    assert metadata["langgraph_node"] == "a"
    assert metadata["langgraph_checkpoint_ns"].startswith(f"{ns[0]}|a:")
    assert metadata["thread_id"] == thread
    # `a` writes its custom event, then calls its model.
    modes = [mode for _, mode, _ in chunks]
    assert modes[0] == "custom" and set(modes[1:]) == {"messages"}
    # Without subgraphs: no tokens from the child (as LangGraph).
    other = f"{thread}-b"
    plain = await collect(
        gc.stream("sub_nested", {"topic": "t4"}, thread_id=other, stream_mode="messages")
    )
    assert plain == []


async def test_two_levels_of_subgraphs(gc: GraphClient, thread: str) -> None:
    chunks = await collect(
        gc.stream(
            "sub_two_levels",
            {"topic": "t5"},
            thread_id=thread,
            stream_mode=["custom", "updates"],
            subgraphs=True,
        )
    )
    custom = [(ns, d) for ns, m, d in chunks if m == "custom"]
    [(ns, data)] = custom
    assert data == {"deep": "t5"}
    assert len(ns) == 2 and ns[0].startswith("mid:") and ns[1].startswith("inner:")
    updates = [(ns, sorted(d)) for ns, m, d in chunks if m == "updates"]
    assert updates == [
        (ns, ["deep"]),
        (ns[:1], ["inner"]),
        ((), ["mid"]),
        ((), ["after"]),
    ]
    assert chunks[-1] == ((), "updates", {"after": {"done": "after:None"}})
