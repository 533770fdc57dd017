"""Thread request fields checked before anything is done: `ttl` (create, patch), `supersteps`
(create), a list of updates (update_state), and a search's `extract` (with the paths' values).
Each refusal is a 422 naming the field, never a silent ignore."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tempograph._workflows.thread_record import MAX_TTL_MINUTES, ThreadTTL
from tempograph.http.errors import HttpError, check_message
from tempograph.http.schemas import SELECTABLE_THREAD_FIELDS
from tempograph.messages import END

# -------------------------------------------------------------------------------------------
# ttl: {"ttl": minutes, "strategy": "delete"} (the SDK turns a number into that object).
# -------------------------------------------------------------------------------------------

TTL_KEYS = frozenset({"ttl", "strategy"})


def parse_ttl(ttl: Any) -> ThreadTTL | None:
    if ttl is None:
        return None
    if not isinstance(ttl, dict):
        raise HttpError(422, 'ttl: expected an object {"ttl": minutes, "strategy": "delete"}')
    unknown = sorted(set(ttl) - TTL_KEYS)
    if unknown:
        raise HttpError(422, f"ttl: unknown keys {unknown}; the ttl takes {sorted(TTL_KEYS)}")
    # Absent or null: "delete" (the SDK always sends it). Anything else must be the name.
    strategy = ttl.get("strategy")
    if strategy is None:
        strategy = "delete"
    if strategy == "keep_latest":
        raise HttpError(
            422,
            "ttl.strategy 'keep_latest' is not supported: a thread's checkpoints are its runs' "
            "Temporal histories, kept whole; use 'delete' (the thread and its runs go)",
        )
    if strategy != "delete":
        raise HttpError(422, f"ttl.strategy: expected 'delete', got {strategy!r}")
    minutes = ttl.get("ttl")
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise HttpError(422, "ttl.ttl: expected a number of minutes")
    if not 0 < minutes <= MAX_TTL_MINUTES:
        raise HttpError(422, f"ttl.ttl: expected minutes > 0 and <= {MAX_TTL_MINUTES:.0f}")
    try:
        return ThreadTTL(strategy="delete", ttl_minutes=float(minutes))
    except ValidationError as exc:  # pragma: no cover - checked above
        raise HttpError(422, f"ttl: {exc}") from None


# -------------------------------------------------------------------------------------------
# supersteps: [{"updates": [{"values", "command", "as_node"}]}], one update per superstep.
# -------------------------------------------------------------------------------------------

# LangGraph's pseudo-nodes for the input and the start: a Tempograph state edit names a node
# of the graph (or __end__).
PSEUDO_NODES = frozenset({"__input__", "__start__"})
# Each superstep (and each item of an update_state list) is one state edit, one workflow update
# and one checkpoint, applied one after the other: a request makes at most this many.
MAX_EDITS = 100


@dataclass(frozen=True)
class Update:
    """One state edit of a superstep: `values` written as `as_node`; `where` names it."""

    values: dict[str, Any] | None
    as_node: str
    where: str


def parse_supersteps(supersteps: Any) -> list[Update] | None:
    if supersteps is None:
        return None
    if not isinstance(supersteps, list):
        raise HttpError(422, 'supersteps: expected a list of {"updates": [...]}')
    if not supersteps:
        return None
    if len(supersteps) > MAX_EDITS:
        raise HttpError(422, f"supersteps: at most {MAX_EDITS} per request, got {len(supersteps)}")
    updates: list[Update] = []
    for i, step in enumerate(supersteps):
        where = f"supersteps[{i}]"
        if not isinstance(step, dict) or set(step) - {"updates"}:
            raise HttpError(422, f'{where}: expected {{"updates": [...]}}')
        items = step.get("updates")
        if not isinstance(items, list) or not items:
            raise HttpError(422, f"{where}.updates: expected a non-empty list of updates")
        if len(items) > 1:
            raise HttpError(
                422,
                f"{where}.updates: several updates in one superstep are not supported (a "
                "Tempograph state edit is one node's write); send them as consecutive "
                "supersteps",
            )
        updates.append(parse_update(items[0], f"{where}.updates[0]"))
    return updates


def parse_update(update: Any, where: str) -> Update:
    if not isinstance(update, dict):
        raise HttpError(422, f"{where}: expected an object {{values, command, as_node}}")
    unknown = sorted(set(update) - {"values", "command", "as_node"})
    if unknown:
        raise HttpError(422, f"{where}: unknown keys {unknown}")
    as_node = update.get("as_node")
    if not isinstance(as_node, str) or not as_node:
        raise HttpError(422, f"{where}.as_node: required, the name of a node")
    if as_node in PSEUDO_NODES:
        raise HttpError(
            422,
            f"{where}.as_node {as_node!r} is not supported: name a node of the graph (or "
            f"{END!r}); to start from input, create the thread and run it",
        )
    values = update.get("values")
    command = update.get("command")
    if command is not None:
        if values is not None:
            raise HttpError(422, f"{where}: give values or command, not both")
        if not isinstance(command, dict):
            raise HttpError(422, f"{where}.command: expected an object")
        others = sorted(k for k, v in command.items() if k != "update" and v is not None)
        if others:
            raise HttpError(
                422,
                f"{where}.command: only `update` is supported in a state edit, not {others}",
            )
        values = command.get("update")
    if values is not None and not isinstance(values, dict):
        raise HttpError(422, f"{where}.values: expected an object (or null)")
    check_message(f"{where}.values", values)
    return Update(values=values, as_node=as_node, where=where)


def parse_state_values(values: Any) -> dict[str, Any] | list[dict[str, Any]] | None:
    """update_state's `values`: an object, null, or a non-empty list of objects (applied in
    order)."""
    if not isinstance(values, list):
        return values
    if not values:
        raise HttpError(422, "values: an empty list of updates")
    if len(values) > MAX_EDITS:
        raise HttpError(422, f"values: at most {MAX_EDITS} updates per request, got {len(values)}")
    for i, item in enumerate(values):
        if not isinstance(item, dict):
            raise HttpError(422, f"values[{i}]: expected an object")
    return values


# -------------------------------------------------------------------------------------------
# extract: {alias: "values.messages[-1].content"} (the Agent Server's rules and paths).
# -------------------------------------------------------------------------------------------

EXTRACTABLE = frozenset({"values", "metadata", "config", "interrupts"})
MAX_EXTRACT = 10
ALIAS = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# An extract alias may not be a thread field's name (the Agent Server's rule).
RESERVED = SELECTABLE_THREAD_FIELDS
PATH = re.compile(r"\.|\[")


def check_extract(extract: Any) -> dict[str, str] | None:
    if extract is None:
        return None
    if not isinstance(extract, dict):
        raise HttpError(422, "extract: expected an object {alias: path}")
    if len(extract) > MAX_EXTRACT:
        raise HttpError(
            422, f"extract: at most {MAX_EXTRACT} paths are allowed, got {len(extract)}"
        )
    reserved = sorted(set(extract) & RESERVED)
    if reserved:
        raise HttpError(422, f"extract: keys cannot use reserved field names: {reserved}")
    for alias, path in extract.items():
        if not ALIAS.fullmatch(alias):
            raise HttpError(
                422,
                f"extract: key {alias!r} must be an identifier (letters, digits, underscores)",
            )
        if not isinstance(path, str) or not path:
            raise HttpError(422, f"extract.{alias}: expected a non-empty path")
        root = path.split(".")[0].split("[")[0]
        if root not in EXTRACTABLE:
            raise HttpError(
                422,
                f"extract.{alias}: path {path!r} must start with one of {sorted(EXTRACTABLE)}",
            )
    return extract or None


def extract_path(thread: dict[str, Any], path: str) -> Any:
    """The value at `path` (dots for keys, [i] for list items, negative from the end) in the
    thread object; None when it does not resolve."""
    parts = PATH.split(path)
    current: Any = thread.get(parts[0])
    for part in parts[1:]:
        if current is None:
            return None
        if not part:
            continue
        if part.startswith("_"):
            return None  # as the Agent Server: no private keys
        if part.endswith("]"):
            try:
                index = int(part[:-1])
            except ValueError:
                return None
            if not isinstance(current, list) or not -len(current) <= index < len(current):
                return None
            current = current[index]
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def extracted(thread: dict[str, Any], extract: dict[str, str]) -> dict[str, Any]:
    return {alias: extract_path(thread, path) for alias, path in extract.items()}
