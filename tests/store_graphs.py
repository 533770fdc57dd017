"""A graph whose node uses the store, for workers run in their own process
(`tempograph worker --graph store=tests.store_graphs:graph`: test_store_processes.py)."""

from __future__ import annotations

import os
from typing import Any, TypedDict

from tempograph.graph import END, START, StateGraph
from tempograph.runtime import Runtime


class StoreState(TypedDict, total=False):
    user: str
    reply: dict[str, Any]


def answer(state: StoreState, runtime: Runtime[Any]) -> dict[str, Any]:
    """Reads ("inbox", user)/msg, writes ("outbox", user)/reply, naming this process."""
    assert runtime.store is not None
    msg = runtime.store.get(("inbox", state["user"]), "msg")
    reply = {"echo": None if msg is None else msg.value["text"], "pid": os.getpid()}
    runtime.store.put(("outbox", state["user"]), "reply", reply)
    return {"reply": reply}


def build() -> Any:
    g = StateGraph(StoreState)
    g.add_node("answer", answer)
    g.add_edge(START, "answer")
    g.add_edge("answer", END)
    return g.compile()


graph = build()
