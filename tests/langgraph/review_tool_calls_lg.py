"""LangGraph's how-to "review tool calls" UNCHANGED: graphs/review_tool_calls.py (Tempograph's
port) with LangGraph's own imports, as the how-to has them (langgraph.graph, langgraph.prebuilt,
langgraph.types); the chat model is langchain-core's fake one. The graph is built in a function
so that each test compiles a fresh one (for Tempograph, and with InMemorySaver for LangGraph).
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt


@tool
def weather_search(city: str) -> str:
    """Search for the weather"""
    return f"Sunny in {city}!"


def scripted_reply(messages: list[BaseMessage]) -> AIMessage:
    """What the fake model says: a tool call for a question, a summary after a tool result."""
    last = messages[-1]
    if last.type == "tool":
        return AIMessage(f"The weather: {last.content}")
    city = str(last.content).split()[-1]
    return AIMessage(
        "", tool_calls=[{"name": "weather_search", "args": {"city": city}, "id": "call_1"}]
    )


class State(MessagesState):
    """Simple state."""


def call_llm(state: State) -> dict[str, Any]:
    model = FakeMessagesListChatModel(responses=[scripted_reply(state["messages"])])
    return {"messages": [model.invoke(state["messages"])]}


def human_review_node(state: State) -> Command[Literal["call_llm", "run_tool"]]:
    last_message = state["messages"][-1]
    tool_call = last_message.tool_calls[-1]

    # this is the value we'll be providing via Command(resume=<human_review>)
    human_review = interrupt({"question": "Is this correct?", "tool_call": tool_call})

    review_action = human_review["action"]
    review_data = human_review.get("data")

    if review_action == "continue":
        return Command(goto="run_tool")
    if review_action == "update":
        updated_message = {
            "role": "ai",
            "content": last_message.content,
            "tool_calls": [{"id": tool_call["id"], "name": tool_call["name"], "args": review_data}],
            # The same id as the message it replaces: otherwise it is appended.
            "id": last_message.id,
        }
        return Command(goto="run_tool", update={"messages": [updated_message]})
    tool_message = {
        "role": "tool",
        "content": review_data,
        "name": tool_call["name"],
        "tool_call_id": tool_call["id"],
    }
    return Command(goto="call_llm", update={"messages": [tool_message]})


def route_after_llm(state: State) -> Literal["__end__", "human_review_node"]:
    if tools_condition(state) == "tools":
        return "human_review_node"
    return "__end__"


def build_review() -> StateGraph[Any]:
    builder = StateGraph(State)
    builder.add_node(call_llm)
    builder.add_node("run_tool", ToolNode([weather_search]))
    builder.add_node(human_review_node)
    builder.add_edge(START, "call_llm")
    builder.add_conditional_edges("call_llm", route_after_llm)
    builder.add_edge("run_tool", "call_llm")
    return builder
