"""The activities a Tempograph worker registers: the only place user graph code runs (nodes,
routers, custom reducers, the graph description)."""

from tempograph._activities.nodes import GraphActivities

__all__ = ["GraphActivities"]
