"""LangGraph in-process token streaming, the reference for bench/tokens.py.

Run with the langgraph-sqlite peer's python (langgraph + langchain-core):
    bench/.venvs/langgraph-sqlite/bin/python bench/peers/tokens_langgraph.py TOKENS INTERVAL RUNS
Prints one JSON object: per run, the emit and receive times of every token (wall clock), as
`graph.astream(stream_mode="messages")` hands them to the caller.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from langgraph.graph import START, MessagesState, StateGraph  # noqa: E402

from bench.token_model import EMITTED, PacedModel  # noqa: E402


async def main(tokens: int, interval: float, runs: int) -> dict[str, Any]:
    model = PacedModel(tokens=tokens, interval=interval)

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    graph = builder.compile()
    out = []
    for _ in range(runs):
        key = uuid.uuid4().hex
        received: list[float] = []
        contents: list[str] = []
        async for chunk, _meta in graph.astream(
            {"messages": [("user", key)]}, stream_mode="messages"
        ):
            if chunk.type == "AIMessageChunk" and chunk.content:
                received.append(time.time())
                contents.append(chunk.content)
        out.append({"emitted": EMITTED[key], "received": received, "contents": contents})
    return {"runs": out}


if __name__ == "__main__":
    n, every, count = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(main(n, every, count))))
