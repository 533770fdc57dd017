"""Applying writes to state: last-write-wins keys and reducer keys (LangGraph channels).

Shared by the workflow (which resolves built-in reducers itself and hands custom ones to an
activity) and by the node activity (which applies a node's own writes before its router runs).
Pure and deterministic: safe inside the workflow sandbox.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tempograph._engine.reducers import (
    BUILTIN_REDUCERS,
    LEGACY_BUILTIN_REDUCERS,
    merge_messages,
)
from tempograph.errors import InvalidUpdateError
from tempograph.messages import ChannelSpec

CustomReducer = Callable[[str, bool, Any, list[Any]], Any]


def group_writes(writes: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    """Group writes by key, keeping the order in which they were produced."""
    grouped: dict[str, list[Any]] = {}
    for key, value in writes:
        grouped.setdefault(key, []).append(value)
    return grouped


def initial_values(channels: Iterable[ChannelSpec]) -> dict[str, Any]:
    return {c.name: _copy(c.initial) for c in channels if c.has_initial}


def apply_grouped(
    values: dict[str, Any],
    grouped: Mapping[str, list[Any]],
    channels: Mapping[str, ChannelSpec],
    *,
    legacy_messages: bool = False,
    message_salt: str = "",
) -> list[str]:
    """Apply one step's writes in place. Returns the keys whose reducer is custom (not applied).
    `legacy_messages`: add_messages as runs recorded before message coercion applied it.
    `message_salt`: mixed into the ids given to messages without one (merge_messages)."""
    builtins = LEGACY_BUILTIN_REDUCERS if legacy_messages else BUILTIN_REDUCERS
    if message_salt and not legacy_messages:
        builtins = {
            **builtins,
            "add_messages": functools.partial(merge_messages, salt=message_salt),
        }
    custom: list[str] = []
    for key, updates in grouped.items():
        channel = channels.get(key)
        if channel is None:
            continue  # LangGraph ignores keys that are not in the schema
        if channel.reducer == "last":
            if len(updates) > 1:
                raise InvalidUpdateError(
                    f"At key '{key}': Can receive only one value per step. "
                    "Use an Annotated key to handle multiple values."
                )
            values[key] = updates[0]
        elif channel.reducer in builtins:
            has_current = key in values or channel.has_initial
            current = values[key] if key in values else _copy(channel.initial)
            try:
                values[key] = fold(builtins[channel.reducer], has_current, current, updates)
            except (TypeError, ValueError, AttributeError) as exc:
                # e.g. a string written to an `Annotated[list, operator.add]` key. Raised as an
                # InvalidUpdateError so the run fails clearly (any other error inside the
                # workflow would fail its task over and over: a hung run).
                raise InvalidUpdateError(
                    f"At key '{key}': reducer '{channel.reducer}' cannot apply "
                    f"{[type(u).__name__ for u in updates]} to {type(current).__name__}: {exc}"
                ) from exc
        else:
            custom.append(key)
    return custom


def apply_writes(
    values: dict[str, Any],
    writes: Iterable[tuple[str, Any]],
    channels: Mapping[str, ChannelSpec],
    custom_reducer: CustomReducer,
) -> None:
    """Apply writes in place, calling `custom_reducer` for reducers the workflow cannot run."""
    grouped = group_writes(writes)
    for key in apply_grouped(values, grouped, channels):
        values[key] = custom_reducer(key, key in values, values.get(key), grouped[key])


def fold(
    reducer: Callable[[Any, Any], Any], has_current: bool, current: Any, updates: list[Any]
) -> Any:
    """Fold one step's updates into a channel with `reducer`; the first update of an unset
    channel becomes its value (messages are still coerced and given ids)."""
    value = current
    for i, update in enumerate(updates):
        if i == 0 and not has_current:
            is_merge = getattr(reducer, "func", reducer) is merge_messages
            value = reducer([], update) if is_merge else update
        else:
            value = reducer(value, update)
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
