"""The activities this application's worker registers, where Temporal's samples put them.

They live in the library (`tempograph._activities`); `tempograph.create_worker` registers them
with the graphs it serves: `GraphActivities(graphs).all()`.
"""

from tempograph._activities import GraphActivities

__all__ = ["GraphActivities"]
