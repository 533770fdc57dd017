"""LangChain v1's HumanInTheLoopMiddleware form, as a plain graph: batched review of tool calls.

`model` (a scripted stand-in for a chat model: no network) proposes one `get_weather` call per
city asked about; `review` pauses once for all of them with
`{"action_requests": [{name, args, description}], "review_configs": [{action_name,
allowed_decisions}]}` and takes `{"decisions": [...]}`, `decisions[i]` answering
`action_requests[i]`, as `create_agent(..., middleware=[HumanInTheLoopMiddleware(...)])` does:
- `{"type": "approve"}`: the call runs as proposed;
- `{"type": "edit", "edited_action": {"name": ..., "args": {...}}}`: the AI message's call is
  rewritten (same message id) and runs with the new name/args;
- `{"type": "reject", "message": "..."}`: the call does not run; an error ToolMessage tells
  the model why.
`tools` runs the calls left unanswered, then `model` sums the results up.

    python starter.py start hitl_middleware \
        '{"messages": [{"role": "user", "content": "weather in Paris"}]}' --thread t1
    python starter.py resume t1 '{"decisions": [{"type": "approve"}]}'
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.tools import tool

from tempograph.graph import END, START, MessagesState, StateGraph
from tempograph.types import Command, interrupt

DecisionType = Literal["approve", "edit", "reject"]
ALLOWED_DECISIONS: list[DecisionType] = ["approve", "edit", "reject"]


class ActionRequest(TypedDict):
    name: str
    args: dict[str, Any]
    description: str


class ReviewConfig(TypedDict):
    action_name: str
    allowed_decisions: list[DecisionType]


class HITLRequest(TypedDict):
    """`langchain.agents.middleware.human_in_the_loop.HITLRequest`, spelled out."""

    action_requests: list[ActionRequest]
    review_configs: list[ReviewConfig]


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city (a fake)."""
    return f"sunny in {city}"


TOOLS = {"get_weather": get_weather}


def _since_last_ai(messages: list[BaseMessage]) -> list[ToolMessage]:
    tail: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        tail.insert(0, message)
    return tail


def model(state: MessagesState) -> Command[Literal["review", "__end__"]]:
    """The scripted model: a call per city ("weather in Paris and Rome"), then a summary."""
    results = _since_last_ai(state["messages"])
    if results:
        summary = AIMessage("; ".join(str(r.content) for r in results))
        return Command(goto=END, update={"messages": [summary]})
    question = str(state["messages"][-1].content)
    cities = question.split(" in ", 1)[-1].split(" and ")
    calls: list[ToolCall] = [
        {"name": "get_weather", "args": {"city": c.strip()}, "id": f"call_{i}", "type": "tool_call"}
        for i, c in enumerate(cities, 1)
    ]
    return Command(goto="review", update={"messages": [AIMessage("", tool_calls=calls)]})


def _decisions(answer: Any, calls: list[ToolCall]) -> list[dict[str, Any]]:
    """Check the answer as the middleware does: one allowed decision per action request."""
    decisions = answer.get("decisions") if isinstance(answer, dict) else None
    if not isinstance(decisions, list):
        raise ValueError(f"Expected {{'decisions': [...]}}; got {answer!r}")
    if len(decisions) != len(calls):
        raise ValueError(
            f"Number of human decisions ({len(decisions)}) does not match number of hanging "
            f"tool calls ({len(calls)})."
        )
    for decision, call in zip(decisions, calls, strict=True):
        if not isinstance(decision, dict) or decision.get("type") not in ALLOWED_DECISIONS:
            raise ValueError(
                f"Unexpected human decision: {decision!r}. Expected one of "
                f"{ALLOWED_DECISIONS} for tool {call['name']!r}."
            )
    return decisions


def review(state: MessagesState) -> Command[Literal["tools", "model"]]:
    message = state["messages"][-1]
    calls: list[ToolCall] = list(message.tool_calls)
    request = HITLRequest(
        action_requests=[
            ActionRequest(
                name=c["name"],
                args=c["args"],
                description=f"Tool execution requires approval\n\nTool: {c['name']}\n"
                f"Args: {c['args']}",
            )
            for c in calls
        ],
        review_configs=[
            ReviewConfig(action_name=name, allowed_decisions=ALLOWED_DECISIONS)
            for name in dict.fromkeys(c["name"] for c in calls)
        ],
    )
    decisions = _decisions(interrupt(request), calls)

    revised: list[ToolCall] = []
    rejections: list[ToolMessage] = []
    for decision, call in zip(decisions, calls, strict=True):
        if decision["type"] == "edit":
            action = decision["edited_action"]
            call = {**call, "name": action["name"], "args": action["args"]}
        elif decision["type"] == "reject":
            reason = decision.get("message") or "The tool was not executed."
            rejections.append(
                ToolMessage(
                    f"User rejected the tool call for `{call['name']}` with reason: {reason}",
                    name=call["name"],
                    tool_call_id=call["id"],
                    status="error",
                )
            )
        revised.append(call)
    # The same id: the rewritten message replaces the proposed one.
    rewritten = AIMessage(message.content, tool_calls=revised, id=message.id)
    pending = len(rejections) < len(revised)
    return Command(
        goto="tools" if pending else "model", update={"messages": [rewritten, *rejections]}
    )


def tools(state: MessagesState) -> dict[str, Any]:
    """Run the calls of the last AI message that no ToolMessage answers yet (not the rejected)."""
    answered = {m.tool_call_id for m in _since_last_ai(state["messages"])}
    ai = next(m for m in reversed(state["messages"]) if isinstance(m, AIMessage))
    results = [
        ToolMessage(str(TOOLS[c["name"]].invoke(c["args"])), name=c["name"], tool_call_id=c["id"])
        for c in ai.tool_calls
        if c["id"] not in answered
    ]
    return {"messages": results}


builder = StateGraph(MessagesState)
builder.add_node(model)
builder.add_node(review)
builder.add_node(tools)
builder.add_edge(START, "model")
builder.add_edge("tools", "model")

graph = builder.compile()
