"""State deltas: send a node only what changed since the state its worker already holds.

Pure functions on plain data, used by the workflow (to build deltas), the worker (to apply
them) and the client (to rebuild checkpoints from history). Sandbox-safe.
"""

from __future__ import annotations

import copy
from typing import Any

from tempograph.messages import StateDelta, StateRef


def diff(old: dict[str, Any], new: dict[str, Any]) -> StateDelta | None:
    """The delta from `old` to `new`; None when a key disappeared (send the whole state)."""
    if any(key not in new for key in old):
        return None
    delta = StateDelta()
    for key, value in new.items():
        if key not in old:
            delta.set[key] = value
            continue
        before = old[key]
        if before == value:
            continue
        if (
            isinstance(before, list)
            and isinstance(value, list)
            and len(value) > len(before)
            and value[: len(before)] == before
        ):
            delta.extend[key] = value[len(before) :]
        else:
            delta.set[key] = value
    return delta


def apply(base: dict[str, Any], delta: StateDelta) -> dict[str, Any]:
    """`base` with `delta` applied, as a new dict (`base` is left as it was)."""
    values = dict(base)
    values.update(delta.set)
    for key, items in delta.extend.items():
        values[key] = [*values.get(key, []), *items]
    return values


def resolve(ref: StateRef, known: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The state a ref names, from the ref itself or from versions already `known`; None when
    the base version is not known."""
    if ref.state is not None:
        return ref.state
    if ref.version in known:
        return known[ref.version]
    if ref.base_version is not None and ref.delta is not None and ref.base_version in known:
        return apply(known[ref.base_version], ref.delta)
    return None


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """A copy that later in-place changes to `values` (or by node code) cannot touch."""
    return copy.deepcopy(values)
