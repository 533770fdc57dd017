"""LangGraph "interrupts" pattern: validate human input.

`collect` asks for an age; an answer that is not a whole number in 0..150 is kept in state and
the next question says why, and a conditional edge loops back to `collect` until a valid age is
stored.

    python starter.py start ask_age '{}' --thread t1
    python starter.py resume t1 '"thirty"'    # asked again: 'thirty' is not a valid age
    python starter.py resume t1 '30'
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from tempograph.graph import END, START, StateGraph
from tempograph.types import interrupt

QUESTION = "What is your age?"


class State(TypedDict, total=False):
    age: int | None
    invalid_answer: str | None


def parse_age(answer: Any) -> int | None:
    """The age in `answer` (an int, or a string of digits), or None if it is not valid."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, str) and answer.strip().isdigit():
        answer = int(answer.strip())
    if isinstance(answer, int) and 0 <= answer <= 150:
        return answer
    return None


def collect(state: State) -> State:
    previous = state.get("invalid_answer")
    prompt = QUESTION if previous is None else f"'{previous}' is not a valid age. {QUESTION}"
    answer = interrupt(prompt)
    age = parse_age(answer)
    if age is None:
        return {"invalid_answer": answer if isinstance(answer, str) else json.dumps(answer)}
    return {"age": age, "invalid_answer": None}


def after_collect(state: State) -> str:
    return END if state.get("age") is not None else "collect"


builder = StateGraph(State)
builder.add_node("collect", collect)
builder.add_edge(START, "collect")
builder.add_conditional_edges("collect", after_collect, ["collect", END])

graph = builder.compile()
