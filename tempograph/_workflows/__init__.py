"""The Temporal workflows a Tempograph worker registers: GraphRun (one run of a graph on a
thread) and TempographThread (an HTTP thread's record). Deterministic; they never import user
graph code or LangGraph."""

from tempograph._workflows.graph_run import GraphRun
from tempograph._workflows.thread_record import ThreadRecord

__all__ = ["GraphRun", "ThreadRecord"]
