"""Moved to tempograph._engine.reducers (the pure engine); this path keeps working."""

from tempograph._engine.reducers import BUILTIN_REDUCERS, add_messages, builtin_name

__all__ = ["BUILTIN_REDUCERS", "add_messages", "builtin_name"]
