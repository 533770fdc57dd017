"""Built-in reducers that the workflow applies itself, by name.

The workflow never imports user code, so it cannot call an arbitrary reducer function. The
common ones (`operator.add`, `add_messages`) are recognised when the graph is compiled and
applied here, deterministically, inside the workflow. Any other reducer is applied by a local
activity on the worker that serves the graph (see tempograph/_activities/nodes.py).
Part of the pure engine (no temporalio); `tempograph.reducers` re-exports it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any


def add_messages(left: Any, right: Any) -> list[Any]:
    """Append messages; a message whose "id" matches an existing one replaces it."""
    left_list = list(left or [])
    right_list = right if isinstance(right, list) else [right]
    index = {_message_id(m): i for i, m in enumerate(left_list) if _message_id(m) is not None}
    for message in right_list:
        mid = _message_id(message)
        if mid is not None and mid in index:
            left_list[index[mid]] = message
        else:
            if mid is not None:
                index[mid] = len(left_list)
            left_list.append(message)
    return left_list


def _message_id(message: Any) -> Any:
    if isinstance(message, dict):
        return message.get("id")
    return getattr(message, "id", None)


BUILTIN_REDUCERS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "add_messages": add_messages,
}


def builtin_name(reducer: Callable[..., Any]) -> str | None:
    """The name under which the workflow knows `reducer`, or None for a custom one."""
    if reducer is operator.add:
        return "add"
    if reducer is add_messages:
        return "add_messages"
    # LangGraph's own add_messages, for code ported without changing that import.
    if getattr(reducer, "__name__", "") == "add_messages" and getattr(
        reducer, "__module__", ""
    ).startswith("langgraph."):
        return "add_messages"
    return None
