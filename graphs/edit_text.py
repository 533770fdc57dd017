"""LangGraph "interrupts" pattern: review and edit state.

`generate` writes a draft; `review` pauses with it and the human's answer (a string) replaces
it; `publish` records the reviewed text. A non-string answer is refused (response_schema=str).

    python starter.py start edit_text '{"topic": "Temporal"}' --thread t1
    python starter.py resume t1 '"My edited text about Temporal."'
"""

from __future__ import annotations

from typing import TypedDict

from tempograph.graph import END, START, StateGraph
from tempograph.types import interrupt


class State(TypedDict, total=False):
    topic: str
    generated_text: str
    published: str


def generate(state: State) -> State:
    return {"generated_text": f"A first draft about {state['topic']}."}


def review(state: State) -> State:
    edited: str = interrupt(
        {"instruction": "Review and edit this content", "content": state["generated_text"]},
        response_schema=str,
    )
    return {"generated_text": edited}


def publish(state: State) -> State:
    return {"published": state["generated_text"]}


builder = StateGraph(State)
builder.add_node("generate", generate)
builder.add_node("review", review)
builder.add_node("publish", publish)
builder.add_edge(START, "generate")
builder.add_edge("generate", "review")
builder.add_edge("review", "publish")
builder.add_edge("publish", END)

graph = builder.compile()
