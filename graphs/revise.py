"""The seed's dynamic-interrupt example: a human revises a text.

`human_node` pauses the run with the text to revise; the human's answer becomes the new text.
"""

from __future__ import annotations

from typing import TypedDict

from tempograph.graph import END, START, StateGraph
from tempograph.types import interrupt


class State(TypedDict):
    some_text: str


def human_node(state: State) -> dict[str, str]:
    value = interrupt({"text_to_revise": state["some_text"]})
    return {"some_text": value}


builder = StateGraph(State)
builder.add_node("human_node", human_node)
builder.add_edge(START, "human_node")
builder.add_edge("human_node", END)

graph = builder.compile()
