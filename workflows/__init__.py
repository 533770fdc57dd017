"""The workflows this application's worker registers, where Temporal's samples put them.

They live in the library (`tempograph._workflows`); `tempograph.create_worker` registers them.
"""

from tempograph._workflows import GraphRun, ThreadRecord

__all__ = ["GraphRun", "ThreadRecord"]
