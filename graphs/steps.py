"""The seed's static-breakpoint example: three steps, paused before step_3 (compiled in).

Breakpoints can also be given per run: `interrupt_before=["step_2"]`, `interrupt_after="*"`.
A resume with no value continues to the next breakpoint.
"""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from tempograph.graph import END, START, StateGraph


class State(TypedDict):
    input: str
    log: Annotated[list[str], operator.add]


def step_1(state: State) -> dict[str, list[str]]:
    return {"log": ["step_1"]}


def step_2(state: State) -> dict[str, list[str]]:
    return {"log": ["step_2"]}


def step_3(state: State) -> dict[str, list[str]]:
    return {"log": ["step_3"]}


builder = StateGraph(State)
builder.add_node("step_1", step_1)
builder.add_node("step_2", step_2)
builder.add_node("step_3", step_3)
builder.add_edge(START, "step_1")
builder.add_edge("step_1", "step_2")
builder.add_edge("step_2", "step_3")
builder.add_edge("step_3", END)

graph = builder.compile(interrupt_before=["step_3"])
