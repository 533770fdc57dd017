"""LangGraph "interrupts" pattern: approve or reject.

A node proposes an action; the `approval` node pauses with the question and routes on the
human's yes/no with `Command(goto=...)`: True runs `proceed`, False runs `cancel`. The answer
must be a JSON boolean (response_schema=bool): "yes" is refused and the run stays paused.

    python starter.py start approval '{"request": "refund order #42"}' --thread t1
    python starter.py resume t1 'true'        # or 'false'
"""

from __future__ import annotations

from typing import TypedDict

from tempograph.graph import END, START, StateGraph
from tempograph.types import Command, interrupt


class State(TypedDict, total=False):
    request: str
    action: str
    status: str


def propose(state: State) -> State:
    return {"action": f"Execute: {state['request']}", "status": "pending"}


def approval(state: State) -> Command:
    approved = interrupt(
        {"question": "Approve this action?", "action": state["action"]}, response_schema=bool
    )
    return Command(goto="proceed" if approved else "cancel")


def proceed(state: State) -> State:
    return {"status": "approved"}


def cancel(state: State) -> State:
    return {"status": "rejected"}


builder = StateGraph(State)
builder.add_node("propose", propose)
builder.add_node("approval", approval)
builder.add_node("proceed", proceed)
builder.add_node("cancel", cancel)
builder.add_edge(START, "propose")
builder.add_edge("propose", "approval")
builder.add_edge("proceed", END)
builder.add_edge("cancel", END)

graph = builder.compile()
