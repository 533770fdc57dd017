"""Moved to tempograph._engine.statedelta (the pure engine); this path keeps working."""

from tempograph._engine.statedelta import apply, diff, resolve, snapshot

__all__ = ["apply", "diff", "resolve", "snapshot"]
