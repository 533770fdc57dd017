"""config and context reach every node of an invocation (issue 12, "Public API"): the node's
`config` / `runtime` parameters, get_config(), get_stream_writer(), Runnables called from a node,
routers, subgraphs, continue-as-new; a resume brings its own config and context."""

from __future__ import annotations

import json
import operator
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import pytest
import pytest_asyncio
from langchain_core.runnables import RunnableConfig, RunnableLambda
from pydantic import BaseModel
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.config import MAX_CUSTOM_EVENTS, get_config, get_stream_writer
from tempograph.errors import GraphRunError
from tempograph.graph import END, START, StateGraph
from tempograph.runtime import Runtime, get_runtime
from tempograph.types import Command, interrupt

TASK_QUEUE = "config-context"


@dataclass
class Ctx:
    user_id: str = "anon"
    model_name: str = "default-model"


class State(TypedDict, total=False):
    seen: Annotated[list[Any], operator.add]
    route: str


METADATA_KEYS = ("req", "langgraph_node", "langgraph_step")


def _user(config: RunnableConfig) -> Any:
    return config["configurable"].get("user_id")


def with_config(state: State, config: RunnableConfig) -> dict[str, Any]:
    # A Runnable called from the node inherits its config, as under LangGraph.
    inner = RunnableLambda(lambda _, config: _user(config)).invoke(None)
    assert get_config() is config
    return {
        "seen": [
            {
                "node": "with_config",
                "user_id": _user(config),
                "thread_id": config["configurable"]["thread_id"],
                "inner": inner,
                "tags": config.get("tags"),
                "metadata": {
                    k: config["metadata"].get(k)
                    for k in ("req", "langgraph_node", "langgraph_step")
                },
            }
        ]
    }


async def with_runtime(state: State, runtime: Runtime[Ctx]) -> dict[str, Any]:
    runtime.stream_writer({"progress": "runtime"})
    get_stream_writer()({"progress": "get_stream_writer"})
    assert get_runtime() is runtime
    ctx = runtime.context
    return {
        "seen": [
            {
                "node": "with_runtime",
                "context": None if ctx is None else [ctx.user_id, ctx.model_name],
                # The worker's store (tempograph.store): its class, as a store is not JSON.
                "store": type(runtime.store).__name__,
            }
        ]
    }


def ask(state: State) -> dict[str, Any]:
    answer = interrupt("go on?")
    runtime = get_runtime()
    ctx = runtime.context
    return {
        "seen": [
            {
                "node": "ask",
                "answer": answer,
                "user_id": _user(get_config()),
                "context": None if ctx is None else ctx.user_id,
            }
        ]
    }


def route_start(state: State, config: RunnableConfig) -> str:
    return "with_config" if _user(config) != "skip" else "with_runtime"


builder = StateGraph(State, context_schema=Ctx)
builder.add_node("with_config", with_config)
builder.add_node("with_runtime", with_runtime)
builder.add_node("ask", ask)
builder.add_conditional_edges(START, route_start, ["with_config", "with_runtime"])
builder.add_edge("with_config", "with_runtime")
builder.add_edge("with_runtime", "ask")
builder.add_edge("ask", END)
main = builder.compile()


class PCtx(BaseModel):
    user_id: str
    level: int = 1


def pydantic_node(state: State, *, runtime: Runtime[PCtx]) -> dict[str, Any]:
    return {"seen": [runtime.context.model_dump()]}


pyd = StateGraph(State, context_schema=PCtx).add_node("n", pydantic_node)
pyd.add_edge(START, "n")


def chatty(state: State) -> dict[str, Any]:
    writer = get_stream_writer()
    for i in range(MAX_CUSTOM_EVENTS + 50):
        writer({"i": i})
    return {"seen": ["chatty"]}


def bad_event(state: State) -> dict[str, Any]:
    try:
        get_stream_writer()(object())
    except TypeError as exc:
        return {"seen": [f"TypeError: {exc}"[:40]]}
    return {"seen": ["no error"]}


events = StateGraph(State).add_node("chatty", chatty).add_node("bad", bad_event)
events.add_edge(START, "chatty")
events.add_edge("chatty", "bad")


# A subgraph's nodes see the parent invocation's config and context.
child = StateGraph(State, context_schema=Ctx).add_node("with_config", with_config)
child.add_node("with_runtime", with_runtime)
child.add_edge(START, "with_config")
child.add_edge("with_config", "with_runtime")
parent = StateGraph(State, context_schema=Ctx).add_node("child", child.compile())
parent.add_edge(START, "child")

# Continue-as-new between every step: the config goes on with the thread's next run.
long = StateGraph(State, context_schema=Ctx)
for name in ("a", "b", "c"):
    long.add_node(name, with_config if name != "b" else with_runtime)
long.add_edge(START, "a")
long.add_edge("a", "b")
long.add_edge("b", "c")

GRAPHS = {
    "cfg": main,
    "cfg_pydantic": pyd.compile(),
    "cfg_events": events.compile(),
    "cfg_parent": parent.compile(),
    "cfg_long": long.compile(),
}


@pytest_asyncio.fixture(scope="module")
async def graphs_(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


CONFIG = {
    "configurable": {"user_id": "u-42", "my_key": "v"},
    "tags": ["t1"],
    "metadata": {"req": "m1"},
}


def _by_node(seen: list[Any], node: str) -> list[Any]:
    return [s for s in seen if isinstance(s, dict) and s.get("node") == node]


async def _node_results(client: Client, thread: str) -> list[dict[str, Any]]:
    """The node activities' results in the thread's history (where custom events go)."""
    out: list[dict[str, Any]] = []
    async for event in client.get_workflow_handle(thread).fetch_history_events():
        if event.HasField("activity_task_completed_event_attributes"):
            for payload in event.activity_task_completed_event_attributes.result.payloads:
                value = json.loads(payload.data)
                if isinstance(value, dict) and "writes" in value:
                    out.append(value)
    return out


async def test_config_and_context_reach_nodes(graphs_: GraphClient, thread: str) -> None:
    out = await graphs_.invoke(
        "cfg", {}, thread_id=thread, config=CONFIG, context={"user_id": "ctx-user"}
    )
    [cfg] = _by_node(out["seen"], "with_config")
    assert cfg == {
        "node": "with_config",
        "user_id": "u-42",
        "thread_id": thread,
        "inner": "u-42",
        "tags": ["t1"],
        "metadata": {"req": "m1", "langgraph_node": "with_config", "langgraph_step": 1},
    }
    [rt] = _by_node(out["seen"], "with_runtime")
    # context_schema: a dataclass built from the dict, its defaults filling the rest.
    assert rt == {
        "node": "with_runtime",
        "context": ["ctx-user", "default-model"],
        "store": "SqliteStore",  # the default store; nothing is opened unless a node uses it
    }
    assert "__interrupt__" in out

    # The resume brings its own config and context (LangGraph: per invocation).
    done = await graphs_.invoke(
        "cfg",
        Command(resume="yes"),
        thread_id=thread,
        config={"configurable": {"user_id": "u-resume"}},
        context={"user_id": "ctx-resume"},
    )
    [asked] = _by_node(done["seen"], "ask")
    assert asked == {"node": "ask", "answer": "yes", "user_id": "u-resume", "context": "ctx-resume"}

    custom = [r["custom"] for r in await _node_results(graphs_.client, thread) if r["custom"]]
    assert custom == [[{"progress": "runtime"}, {"progress": "get_stream_writer"}]]


async def test_resume_without_config_has_none(graphs_: GraphClient, thread: str) -> None:
    await graphs_.invoke("cfg", {}, thread_id=thread, config=CONFIG, context={"user_id": "c"})
    done = await graphs_.resume(thread, "ok")
    [asked] = _by_node(done["seen"], "ask")
    assert asked == {"node": "ask", "answer": "ok", "user_id": None, "context": None}


async def test_router_sees_config_and_new_run_its_own(graphs_: GraphClient, thread: str) -> None:
    out = await graphs_.invoke(
        "cfg", {}, thread_id=thread, config={"configurable": {"user_id": "skip"}}
    )
    assert _by_node(out["seen"], "with_config") == []
    [rt] = _by_node(out["seen"], "with_runtime")
    assert rt["context"] is None  # no context passed: None, as in LangGraph
    await graphs_.invoke("cfg", Command(resume="x"), thread_id=thread)
    # A new run on the thread: its own config only.
    again = await graphs_.invoke("cfg", {}, thread_id=thread)
    assert [s["user_id"] for s in _by_node(again["seen"], "with_config")] == [None]


async def test_pydantic_context(graphs_: GraphClient, thread: str) -> None:
    out = await graphs_.invoke("cfg_pydantic", {}, thread_id=thread, context=PCtx(user_id="p"))
    assert out["seen"] == [{"user_id": "p", "level": 1}]


async def test_context_not_fitting_schema_fails_the_run(graphs_: GraphClient, thread: str) -> None:
    with pytest.raises(GraphRunError, match="context_schema"):
        await graphs_.invoke("cfg_pydantic", {}, thread_id=thread, context={"level": "x"})


async def test_custom_events_bounded(graphs_: GraphClient, thread: str) -> None:
    out = await graphs_.invoke("cfg_events", {}, thread_id=thread)
    assert out["seen"][0] == "chatty"
    assert out["seen"][1].startswith("TypeError: A custom stream event")
    [chatty_events] = [r["custom"] for r in await _node_results(graphs_.client, thread)][:1]
    assert chatty_events == [{"i": i} for i in range(MAX_CUSTOM_EVENTS)]


async def test_subgraph_nodes_see_parent_config(graphs_: GraphClient, thread: str) -> None:
    out = await graphs_.invoke(
        "cfg_parent", {}, thread_id=thread, config=CONFIG, context={"user_id": "sub"}
    )
    [cfg] = _by_node(out["seen"], "with_config")
    assert (cfg["user_id"], cfg["inner"]) == ("u-42", "u-42")
    [rt] = _by_node(out["seen"], "with_runtime")
    assert rt["context"] == ["sub", "default-model"]


async def test_config_survives_continue_as_new(graphs_: GraphClient, thread: str) -> None:
    out = await graphs_.invoke(
        "cfg_long",
        {},
        thread_id=thread,
        config=CONFIG,
        context={"model_name": "m"},
        steps_per_run=1,
    )
    assert [s["user_id"] for s in _by_node(out["seen"], "with_config")] == ["u-42", "u-42"]
    [rt] = _by_node(out["seen"], "with_runtime")
    assert rt["context"] == ["anon", "m"]


async def test_fork_takes_its_invocations_config(graphs_: GraphClient, thread: str) -> None:
    await graphs_.invoke("cfg_long", {}, thread_id=thread, config=CONFIG)
    history = await graphs_.get_state_history(thread)
    [first] = [c for c in history if c.next == ["a"]]
    out = await graphs_.invoke(
        "cfg_long",
        None,
        thread_id=thread,
        checkpoint_id=first.checkpoint_id,
        config={"configurable": {"user_id": "fork"}},
    )
    assert [s["user_id"] for s in _by_node(out["seen"], "with_config")] == ["fork", "fork"]
