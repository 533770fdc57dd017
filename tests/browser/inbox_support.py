"""The graphs and the served app of the inbox tests (tests/browser/, tests/http/test_inbox_http.py):
each app with a worker of its own."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypedDict

from temporalio.client import Client

from graphs.hitl_middleware import graph as hitl_middleware
from graphs.inbox_review import graph as inbox_review
from tempograph import GraphClient, create_worker
from tempograph.graph import START, CompiledGraph, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.types import interrupt
from tests.sample_graphs import build_deadline, build_typed

EVIL = "<script>window.__pwned = 1</script>"
EVIL_IMG = '<img src=x onerror="window.__pwned = 2">'


class Note(TypedDict, total=False):
    topic: str
    answer: Any


def build_evil() -> CompiledGraph:
    """A payload a model could have written: markup everywhere, markdown-ish text."""

    def ask(state: Note) -> dict[str, Any]:
        text = f"**Approve** the {state['topic']}?\n\n- {EVIL}\n- `{EVIL_IMG}`"
        return {"answer": interrupt(text)}

    def ask_json(state: Note) -> dict[str, Any]:
        return {"answer": interrupt({"question": EVIL, "detail": {"html": EVIL_IMG}})}

    g = StateGraph(Note)
    g.add_node("ask", ask)
    g.add_node("ask_json", ask_json)
    g.add_edge(START, "ask")
    g.add_edge("ask", "ask_json")
    return g.compile()


def build_free() -> CompiledGraph:
    g = StateGraph(Note)
    g.add_node("ask", lambda s: {"answer": interrupt(f"What about {s['topic']}?")})
    g.add_edge(START, "ask")
    return g.compile()


GRAPHS: dict[str, CompiledGraph] = {
    "typed": build_typed(),
    "inbox_review": inbox_review,
    "hitl_middleware": hitl_middleware,
    "evil": build_evil(),
    "free": build_free(),
    "deadline": build_deadline(default="late"),
}


@contextlib.asynccontextmanager
async def inbox_server(
    client: Client, api_token: str | None
) -> AsyncIterator[tuple[str, GraphClient]]:
    """A worker for GRAPHS and the HTTP app (with the inbox) on a local port; a task queue of
    its own, so that its inbox lists only its runs."""
    queue = f"tempograph-inbox-{uuid.uuid4().hex[:8]}"
    gc = GraphClient(client, task_queue=queue)
    async with create_worker(client, GRAPHS, task_queue=queue):
        async with serve(create_app(gc, sorted(GRAPHS), api_token)) as url:
            yield url, gc
