"""LangGraph "interrupts" pattern: review tool calls.

The `agent` node proposes a `send_email` tool call; `review_tool_call` pauses with it and takes
a ReviewDecision (enforced: any other shape is refused and the run stays paused):
- {"action": "approve"}: the tool runs with the proposed args;
- {"action": "edit", "args": {...}}: the tool runs with the args merged with the edited ones;
- {"action": "reject", "feedback": "..."}: back to the agent, which revises the call using the
  feedback, or gives up after MAX_REVISIONS rejections (so the loop always ends).

The tool is a fake: it records the email instead of sending it.

    python starter.py start tool_review '{"to": "alice@example.com", "message": "Hi"}' --thread t1
    python starter.py resume t1 '{"action": "approve"}'
    python starter.py resume t1 '{"action": "edit", "args": {"subject": "Hello"}}'
    python starter.py resume t1 '{"action": "reject", "feedback": "be more formal"}'
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import BaseModel

from tempograph.graph import END, START, StateGraph
from tempograph.types import Command, interrupt

MAX_REVISIONS = 2


class ToolCall(TypedDict):
    name: str
    args: dict[str, Any]


class State(TypedDict, total=False):
    to: str
    message: str
    tool_call: ToolCall | None
    feedback: str | None
    revisions: int
    result: str
    status: str


class ReviewDecision(BaseModel):
    action: Literal["approve", "edit", "reject"]
    args: dict[str, Any] | None = None
    feedback: str | None = None


def send_email(to: str, subject: str, body: str) -> str:
    """The fake tool: no network, just a receipt of what would have been sent."""
    return f"Email sent to {to} (subject: {subject!r}): {body}"


TOOLS = {"send_email": send_email}


def agent(state: State) -> State:
    """Propose a tool call; after a rejection, revise it with the feedback or give up."""
    feedback = state.get("feedback")
    body = state["message"]
    revisions = state.get("revisions", 0)
    if feedback is not None:
        if revisions >= MAX_REVISIONS:
            return {"tool_call": None, "feedback": None, "status": "gave_up"}
        revisions += 1
        body = f"{body} [revised: {feedback}]"
    call: ToolCall = {
        "name": "send_email",
        "args": {"to": state["to"], "subject": "Update", "body": body},
    }
    return {"tool_call": call, "feedback": None, "revisions": revisions, "status": "proposed"}


def after_agent(state: State) -> str:
    return "review_tool_call" if state.get("tool_call") else END


def review_tool_call(state: State) -> Command:
    call = state["tool_call"]
    assert call is not None
    decision: ReviewDecision = interrupt(
        {"question": "Review this tool call", "tool_call": call},
        response_schema=ReviewDecision,
    )
    if decision.action == "approve":
        return Command(goto="run_tool")
    if decision.action == "edit":
        edited: ToolCall = {"name": call["name"], "args": {**call["args"], **(decision.args or {})}}
        return Command(goto="run_tool", update={"tool_call": edited})
    return Command(goto="agent", update={"feedback": decision.feedback or "rejected"})


def run_tool(state: State) -> State:
    call = state["tool_call"]
    assert call is not None
    result = TOOLS[call["name"]](**call["args"])
    return {"result": result, "status": "done"}


builder = StateGraph(State)
builder.add_node("agent", agent)
builder.add_node("review_tool_call", review_tool_call)
builder.add_node("run_tool", run_tool)
builder.add_edge(START, "agent")
builder.add_conditional_edges("agent", after_agent, ["review_tool_call", END])
builder.add_edge("run_tool", END)

graph = builder.compile()
