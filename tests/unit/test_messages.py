"""add_messages, MessagesState, Command[...] and the prebuilt nodes, without a server."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.tools import tool

from tempograph._engine.channels import apply_grouped, fold
from tempograph._engine.reducers import merge_messages, message_to_dict
from tempograph.errors import InvalidUpdateError
from tempograph.graph import (
    END,
    REMOVE_ALL_MESSAGES,
    START,
    MessagesState,
    StateGraph,
    add_messages,
)
from tempograph.prebuilt import ToolNode, tools_condition
from tempograph.types import Command


def test_coerces_dicts_tuples_strings_and_objects() -> None:
    out = merge_messages(
        [],
        [
            {"role": "user", "content": "a"},
            {"type": "human", "content": "b"},
            ("user", "c"),
            "d",
            HumanMessage("e", id="h-e"),
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"name": "f", "args": {}, "id": "c1"}],
            },
            {"role": "tool", "content": "ok", "tool_call_id": "c1", "name": "f"},
        ],
    )
    assert [m["type"] for m in out] == ["human"] * 5 + ["ai", "tool"]
    assert [m["content"] for m in out[:5]] == ["a", "b", "c", "d", "e"]
    assert all(m["id"] for m in out)
    assert out[4]["id"] == "h-e"
    assert out[5]["tool_calls"] == [{"name": "f", "args": {}, "id": "c1", "type": "tool_call"}]
    assert out[6]["status"] == "success" and out[6]["artifact"] is None
    # The same keys as LangChain's model_dump(), so messages_from_dict round-trips.
    assert list(out[5]) == list(AIMessage("", id="x").model_dump())
    assert list(out[6]) == list(ToolMessage("", tool_call_id="c1").model_dump())


def test_single_tuple_is_one_message() -> None:
    assert [m["content"] for m in merge_messages([], ("user", "hi"))] == ["hi"]


def test_workflow_ids_are_deterministic() -> None:
    left = merge_messages([], [("user", "hi")])
    assert merge_messages([], [("user", "hi")]) == left
    again = merge_messages(left, [("user", "hi")])
    assert again[0]["id"] != again[1]["id"]
    assert merge_messages(left, [("user", "hi")]) == again


def test_replace_by_id_and_remove() -> None:
    left = merge_messages([], [{"role": "user", "content": "a", "id": "1"}, ("ai", "b")])
    replaced = merge_messages(left, [{"type": "human", "content": "A", "id": "1"}])
    assert [m["content"] for m in replaced] == ["A", "b"]
    removed = merge_messages(replaced, [{"type": "remove", "id": "1", "content": ""}])
    assert [m["content"] for m in removed] == ["b"]
    with pytest.raises(ValueError, match="doesn't exist"):
        merge_messages(removed, [RemoveMessage(id="nope")])
    cleared = merge_messages(removed, [RemoveMessage(id=REMOVE_ALL_MESSAGES), "fresh"])
    assert [m["content"] for m in cleared] == ["fresh"]


def test_bad_messages_fail_as_invalid_update() -> None:
    channels = {c.name: c for c in StateGraph(MessagesState).channels}
    with pytest.raises(InvalidUpdateError, match="must contain 'role' and 'content'"):
        apply_grouped({}, {"messages": [[{"content": "no role"}]]}, channels)
    with pytest.raises(InvalidUpdateError, match="Unexpected message type: 'wizard'"):
        apply_grouped({}, {"messages": [{"role": "wizard", "content": "x"}]}, channels)


def test_first_write_to_unset_channel_is_coerced() -> None:
    assert fold(merge_messages, False, None, ["hi"])[0]["type"] == "human"


def test_public_add_messages_returns_objects() -> None:
    out = add_messages([HumanMessage("a", id="1")], [("ai", "b"), HumanMessage("A", id="1")])
    assert isinstance(out[0], HumanMessage) and out[0].content == "A"
    assert isinstance(out[1], AIMessage) and out[1].id
    oai = add_messages(format="langchain-openai")(
        [], [HumanMessage([{"type": "text", "text": "x"}])]
    )
    assert isinstance(oai[0], HumanMessage)


def test_messages_state_channel_and_objects_in_nodes() -> None:
    graph = StateGraph(MessagesState).add_node("a", lambda s: s).add_edge(START, "a").compile()
    assert graph.channels["messages"].reducer == "add_messages"
    state = graph.coerce_state({"messages": [message_to_dict(AIMessage("", id="x"))]})
    assert isinstance(state["messages"][0], AIMessage)


def test_message_dict_round_trip_is_identity() -> None:
    m = AIMessage("", id="x", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c"}])
    d = m.model_dump()
    assert message_to_dict(d) == d


def test_command_is_subscriptable() -> None:
    def node(state: MessagesState) -> Command[Literal["a", "b"]]:
        return Command(goto="a")

    assert node({"messages": []}).goto == "a"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    if city == "Nowhere":
        raise ValueError("no such city")
    return f"sunny in {city}"


def plain_add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_tool_node_and_condition() -> None:
    node = ToolNode([get_weather, plain_add])
    ai = AIMessage(
        "",
        tool_calls=[
            {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"},
            {"name": "plain_add", "args": {"a": 1, "b": 2}, "id": "c2"},
            {"name": "get_weather", "args": {"city": "Nowhere"}, "id": "c3"},
            {"name": "nope", "args": {}, "id": "c4"},
        ],
    )
    assert tools_condition({"messages": [ai]}) == "tools"
    assert tools_condition({"messages": [AIMessage("done")]}) == END
    out = asyncio.run(node.ainvoke({"messages": [ai]}))["messages"]
    assert [m.content for m in out[:2]] == ["sunny in Paris", "3"]
    assert [m.tool_call_id for m in out] == ["c1", "c2", "c3", "c4"]
    assert out[2].status == "error"
    assert out[2].content == "Error: ValueError('no such city')\n Please fix your mistakes."
    assert out[3].content.startswith("Error: nope is not a valid tool")
    with pytest.raises(ValueError):
        asyncio.run(
            ToolNode([get_weather], handle_tool_errors=False).ainvoke(
                {"messages": [AIMessage("", tool_calls=[ai.tool_calls[2]])]}
            )
        )


def test_without_langchain_nodes_get_dicts(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from tempograph._engine.reducers import to_message_objects

    monkeypatch.setitem(sys.modules, "langchain_core.messages", None)
    stored = merge_messages([], ["hi"])
    assert to_message_objects(stored) == stored


def test_non_message_dicts_from_older_runs_pass_through() -> None:
    assert merge_messages([{"id": "1", "x": 1}], [{"x": 2}]) == [{"id": "1", "x": 1}, {"x": 2}]


def test_runs_recorded_before_coercion_merge_messages_as_they_did() -> None:
    """Replay of a run without the coerce-messages patch must compute the same state and never
    fail where it did not: add_messages then appended and replaced by id, nothing more."""
    from tempograph._engine.channels import apply_grouped
    from tempograph.messages import ChannelSpec

    channels = {"messages": ChannelSpec(name="messages", reducer="add_messages")}
    old = {"messages": [{"content": "no role", "id": "1"}]}
    apply_grouped(
        old,
        {"messages": [[{"content": "edited", "id": "1"}, ("user", "a tuple")]]},
        channels,
        legacy_messages=True,
    )
    assert old["messages"] == [{"content": "edited", "id": "1"}, ("user", "a tuple")]


def test_workflow_given_ids_differ_per_thread() -> None:
    # The same first message on two threads: two ids (the salt is the thread id); stable per
    # thread, and without a salt as runs recorded before gave them (replay).
    a1 = merge_messages([], [("user", "hi")], salt="thread-a")
    a2 = merge_messages([], [("user", "hi")], salt="thread-a")
    b = merge_messages([], [("user", "hi")], salt="thread-b")
    legacy = merge_messages([], [("user", "hi")])
    assert a1 == a2
    assert a1[0]["id"] != b[0]["id"]
    assert legacy[0]["id"] not in (a1[0]["id"], b[0]["id"])
