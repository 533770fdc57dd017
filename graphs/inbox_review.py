"""Agent Inbox's review form: LangGraph's prebuilt HumanInterrupt, answered with HumanResponses.

`draft` (a scripted stand-in for a chat model: no network) proposes a `send_email` tool call;
`review` pauses with `interrupt([HumanInterrupt])` — a list of one request, as
`langgraph.prebuilt.interrupt` defines it and Agent Inbox renders it — and takes the answer
list Agent Inbox sends, `[{"type": ..., "args": ...}]`:
- `accept` (args None): send the email as drafted;
- `edit` (args `{"action": "send_email", "args": {...}}`): rewrite the AI message's tool call
  (same message id, so it replaces the message) and send that;
- `response` (args a text): answer the tool call with the text instead; back to `draft`;
- `ignore` (args None): end the run, nothing sent.

    python starter.py start inbox_review \
        '{"messages": [{"role": "user", "content": "reply to alice@example.com"}]}' --thread t1
    python starter.py resume t1 '[{"type": "accept", "args": null}]'
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import tool

from tempograph.graph import END, START, MessagesState, StateGraph
from tempograph.prebuilt import ToolNode
from tempograph.types import Command, interrupt


class ActionRequest(TypedDict):
    action: str
    args: dict[str, Any]


class HumanInterruptConfig(TypedDict):
    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class HumanInterrupt(TypedDict):
    """`langgraph.prebuilt.interrupt.HumanInterrupt`, spelled out: no langgraph import here."""

    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict):
    type: Literal["accept", "ignore", "response", "edit"]
    args: None | str | ActionRequest


RESPONSE_TYPES = ("accept", "ignore", "response", "edit")
ALLOWED = HumanInterruptConfig(
    allow_ignore=True, allow_respond=True, allow_edit=True, allow_accept=True
)


@tool
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email (a fake: it only says what it would have sent)."""
    return f"Sent to {to}: {subject!r}"


def _reply(messages: list[BaseMessage]) -> AIMessage:
    """The scripted model: a tool call for a request, a closing line after a tool result."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return AIMessage(f"Done. {last.content}")
    to = str(last.content).split()[-1]
    args = {"to": to, "subject": "Re: your message", "body": "Thanks, I will get back to you."}
    return AIMessage("", tool_calls=[{"name": "send_email", "args": args, "id": "call_1"}])


def draft(state: MessagesState) -> Command[Literal["review", "__end__"]]:
    reply = _reply(state["messages"])
    return Command(goto="review" if reply.tool_calls else END, update={"messages": [reply]})


def _answer(answer: Any) -> HumanResponse:
    """Agent Inbox sends a list of one HumanResponse; a bare one is taken too."""
    response = answer[0] if isinstance(answer, list) and len(answer) == 1 else answer
    if not isinstance(response, dict) or response.get("type") not in RESPONSE_TYPES:
        raise ValueError(
            "Expected [{'type': 'accept'|'edit'|'response'|'ignore', 'args': ...}] "
            f"(a HumanResponse list, as Agent Inbox sends it); got {answer!r}"
        )
    return response  # type: ignore[return-value]


def review(state: MessagesState) -> Command[Literal["tools", "draft", "__end__"]]:
    message = state["messages"][-1]
    call = message.tool_calls[0]
    request = HumanInterrupt(
        action_request=ActionRequest(action=call["name"], args=call["args"]),
        config=ALLOWED,
        description=f"The assistant wants to email {call['args']['to']}. Send it?",
    )
    response = _answer(interrupt([request]))

    if response["type"] == "accept":
        return Command(goto="tools")
    if response["type"] == "edit":
        edited = response["args"]
        assert isinstance(edited, dict), "edit args are {'action': ..., 'args': {...}}"
        rewritten = AIMessage(
            message.content,
            tool_calls=[{"name": edited["action"], "args": edited["args"], "id": call["id"]}],
            id=message.id,  # the same id: it replaces the message instead of appending one
        )
        return Command(goto="tools", update={"messages": [rewritten]})
    if response["type"] == "response":
        answer = ToolMessage(str(response["args"]), name=call["name"], tool_call_id=call["id"])
        return Command(goto="draft", update={"messages": [answer]})
    return Command(goto=END)


builder = StateGraph(MessagesState)
builder.add_node(draft)
builder.add_node(review)
builder.add_node("tools", ToolNode([send_email]))
builder.add_edge(START, "draft")
builder.add_edge("tools", "draft")

graph = builder.compile()
