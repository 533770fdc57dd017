"""Unchanged LangGraph graphs on Tempograph: a compiled `StateGraph` (what `builder.compile()`
or `langchain.agents.create_agent(...)` returns) is served like a Tempograph graph.

`create_worker`, `TempographPlugin`, `tempograph dev` and the HTTP API translate such graphs
with `adapt_langgraph` (tempograph/_langgraph/_convert.py): each run is still a GraphRun
workflow, each LangGraph node runs in a node activity with the context LangGraph gives it
(tempograph/_langgraph/_run.py), and `langgraph.types.interrupt()` pauses the run as
`tempograph.types.interrupt()` does. LangGraph's internals are touched in one module only
(_internals.py); the supported range is pinned by the extra `tempograph-hitl[langgraph]`.

This module imports LangGraph only when it is handed a LangGraph graph.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["SUPPORTED_LANGGRAPH", "adapt_langgraph", "is_langgraph_graph"]

SUPPORTED_LANGGRAPH = ">=1.0,<1.3"


def is_langgraph_graph(obj: Any) -> bool:
    """True for a LangGraph CompiledStateGraph (without importing LangGraph: a program that
    built one has imported it already)."""
    module = sys.modules.get("langgraph.graph.state")
    compiled = getattr(module, "CompiledStateGraph", None)
    return compiled is not None and isinstance(obj, compiled)


def adapt_langgraph(graphs: Mapping[str, Any]) -> dict[str, Any]:
    """`graphs` with every LangGraph graph translated to a Tempograph CompiledGraph; other
    values unchanged. Raises TypeError naming the graph, node or channel that cannot be run."""
    if not any(is_langgraph_graph(g) for g in graphs.values()):
        return dict(graphs)
    try:
        from tempograph._langgraph._convert import adapt
    except ImportError as exc:
        raise TypeError(
            f"Serving a LangGraph graph needs langgraph{SUPPORTED_LANGGRAPH} "
            f"(pip install 'tempograph-hitl[langgraph]'): {exc}"
        ) from exc
    return adapt(graphs)
