"""Moved to tempograph._engine.channels (the pure engine); this path keeps working."""

from tempograph._engine.channels import (
    CustomReducer,
    apply_grouped,
    apply_writes,
    fold,
    group_writes,
    initial_values,
)

__all__ = [
    "CustomReducer",
    "apply_grouped",
    "apply_writes",
    "fold",
    "group_writes",
    "initial_values",
]
