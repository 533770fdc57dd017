"""Built-in reducers that the workflow applies itself, by name.

The workflow never imports user code, so it cannot call an arbitrary reducer function. The
common ones (`operator.add`, `add_messages`) are recognised when the graph is compiled and
applied here, deterministically, inside the workflow. Any other reducer is applied by a local
activity on the worker that serves the graph (see tempograph/_activities/nodes.py).
Part of the pure engine (no temporalio, no langchain import); `tempograph.reducers` re-exports it.

Messages are stored in LangChain's serialized form (`BaseMessage.model_dump()`: "type",
"content", "id", "tool_calls", ...), the dicts the Agent Server returns. Inside the workflow they
stay dicts: `merge_messages` coerces and merges them without langchain-core, and gives a message
without an id one derived from its inputs (a hash), never a random one, so a replay computes the
same state. Node activities give their messages random ids before the writes leave the worker.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import uuid
from collections.abc import Callable
from typing import Any

REMOVE_ALL_MESSAGES = "__remove_all__"

# model_dump() keys by message type, in LangChain's order.
_BASE_KEYS = ("content", "additional_kwargs", "response_metadata", "type", "name", "id")
_AI_KEYS = ("tool_calls", "invalid_tool_calls", "usage_metadata")
_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "human": _BASE_KEYS,
    "system": _BASE_KEYS,
    "ai": _BASE_KEYS + _AI_KEYS,
    "AIMessageChunk": _BASE_KEYS + _AI_KEYS + ("tool_call_chunks", "chunk_position"),
    "tool": _BASE_KEYS + ("tool_call_id", "artifact", "status"),
    "function": _BASE_KEYS,
    "chat": _BASE_KEYS + ("role",),
    "remove": _BASE_KEYS,
}
_LEGACY_KEYS = frozenset(("role", "type", "content"))
_ROLES = {
    "human": "human",
    "user": "human",
    "ai": "ai",
    "assistant": "ai",
    "system": "system",
    "developer": "system",
    "tool": "tool",
    "function": "function",
    "remove": "remove",
    "AIMessageChunk": "AIMessageChunk",
    "chat": "chat",
}


def message_to_dict(message: Any) -> dict[str, Any]:
    """One message in LangChain's serialized form, from what LangGraph accepts: a message
    object, a dict with "type" or "role", a (role, content) pair, or a string (a human
    message). The id is kept as given (None when missing). Raises ValueError as LangChain's
    convert_to_messages does."""
    if isinstance(message, dict):
        if not _LEGACY_KEYS.intersection(message):
            # Not a message at all: kept as is, as before messages were coerced (a run in
            # flight may hold such dicts; failing on them now would break its replay).
            return dict(message)
        return _from_dict(message)
    if isinstance(message, str):
        return _build("human", message, {})
    if isinstance(message, tuple | list) and len(message) == 2:
        role, content = message
        return _build(_role(str(role)), content, {})
    dump = getattr(message, "model_dump", None)
    if callable(dump) and isinstance(getattr(message, "type", None), str):
        return _from_dict(dump())
    raise NotImplementedError(f"Unsupported message type: {type(message)}")


def _from_dict(message: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(message)
    try:
        kind = kwargs.pop("role") if "role" in kwargs else kwargs.pop("type")
        content = kwargs.pop("content")
    except KeyError:
        raise ValueError(
            f"Message dict must contain 'role' and 'content' keys, got {message}"
        ) from None
    return _build(_role(str(kind)), content, kwargs, developer=kind == "developer")


def _role(kind: str) -> str:
    try:
        return _ROLES[kind]
    except KeyError:
        raise ValueError(
            f"Unexpected message type: '{kind}'. Use one of 'human', 'user', 'ai', "
            "'assistant', 'function', 'tool', 'system', or 'developer'."
        ) from None


def _build(
    kind: str, content: Any, fields: dict[str, Any], *, developer: bool = False
) -> dict[str, Any]:
    keys = _TYPE_KEYS[kind]
    extra = {k: v for k, v in fields.items() if k not in keys}
    additional = dict(fields.get("additional_kwargs") or {})
    # Unknown top-level keys move into additional_kwargs, as convert_to_messages does.
    additional.update(extra)
    if developer:
        additional["__openai_role__"] = "developer"
    out: dict[str, Any] = {
        "content": "" if content is None else content,
        "additional_kwargs": additional,
        "response_metadata": dict(fields.get("response_metadata") or {}),
        "type": kind,
        "name": fields.get("name"),
        "id": fields.get("id"),
    }
    if kind in ("ai", "AIMessageChunk"):
        out["tool_calls"] = [_tool_call(c) for c in fields.get("tool_calls") or []]
        out["invalid_tool_calls"] = list(fields.get("invalid_tool_calls") or [])
        out["usage_metadata"] = fields.get("usage_metadata")
    if kind == "AIMessageChunk":
        out["tool_call_chunks"] = list(fields.get("tool_call_chunks") or [])
        out["chunk_position"] = fields.get("chunk_position")
    if kind == "tool":
        if fields.get("tool_call_id") is None:
            raise ValueError(f"A tool message needs a 'tool_call_id', got {fields}")
        out["tool_call_id"] = str(fields["tool_call_id"])
        out["artifact"] = fields.get("artifact")
        out["status"] = fields.get("status") or "success"
    if kind == "chat":
        out["role"] = fields.get("role")
    if kind == "remove" and out["id"] is None:
        raise ValueError("A remove message needs the 'id' of the message to remove")
    return out


def _tool_call(call: Any) -> dict[str, Any]:
    if not isinstance(call, dict):
        raise ValueError(f"A tool call must be a dict, got {call!r}")
    if "function" in call:  # OpenAI's shape
        function = call["function"] or {}
        arguments = function.get("arguments") or "{}"
        args = json.loads(arguments) if isinstance(arguments, str) else arguments
        return {
            "name": function.get("name"),
            "args": args,
            "id": call.get("id"),
            "type": "tool_call",
        }
    return {
        "name": call.get("name"),
        "args": call.get("args") or {},
        "id": call.get("id"),
        "type": "tool_call",
    }


def as_message_list(value: Any) -> list[Any]:
    """LangGraph wraps a single message (a tuple or dict included) into a list."""
    return list(value) if isinstance(value, list) else [value]


def needs_id(message: dict[str, Any]) -> bool:
    return "type" in message and message.get("id") is None


def stable_id(anchor: str, index: int, message: dict[str, Any]) -> str:
    """An id derived from the message and where it lands (deterministic: safe in workflows)."""
    body = json.dumps(message, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.sha256(f"{anchor}|{index}|{body}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def merge_messages(left: Any, right: Any, *, salt: str = "") -> list[dict[str, Any]]:
    """add_messages on serialized messages, as the workflow applies it: coerce both sides,
    give ids to messages without one (derived from their content, the message before them and
    `salt`, the thread: the same first message on two threads gets two ids), replace by id,
    apply removals ("remove" messages, REMOVE_ALL_MESSAGES)."""
    left_list = [message_to_dict(m) for m in as_message_list(left if left is not None else [])]
    right_list = [message_to_dict(m) for m in as_message_list(right)]
    anchor = f"{salt}|left" if salt else "left"
    for i, m in enumerate(left_list):
        if needs_id(m):
            m["id"] = stable_id(anchor, i, m)
    anchor = str(left_list[-1].get("id")) if left_list else salt
    for i, m in enumerate(right_list):
        if needs_id(m):
            m["id"] = stable_id(anchor, i, m)
    return _merge(left_list, right_list)


def _merge(left: list[Any], right: list[Any]) -> list[Any]:
    """LangGraph's merge, on anything with an id and a type (dicts or message objects)."""
    remove_all = [
        i for i, m in enumerate(right) if _type(m) == "remove" and _id(m) == REMOVE_ALL_MESSAGES
    ]
    if remove_all:
        return right[remove_all[-1] + 1 :]
    merged = list(left)
    by_id = {_id(m): i for i, m in enumerate(merged) if _id(m) is not None}
    to_remove: set[Any] = set()
    for m in right:
        mid = _id(m)
        if mid is None:  # only non-message dicts (kept as they were): appended
            merged.append(m)
            continue
        existing = by_id.get(mid)
        if existing is not None:
            if _type(m) == "remove":
                to_remove.add(mid)
            else:
                to_remove.discard(mid)
                merged[existing] = m
        else:
            if _type(m) == "remove":
                raise ValueError(
                    f"Attempting to delete a message with an ID that doesn't exist ('{mid}')"
                )
            by_id[mid] = len(merged)
            merged.append(m)
    return [m for m in merged if _id(m) is None or _id(m) not in to_remove]


def _id(message: Any) -> Any:
    return message.get("id") if isinstance(message, dict) else getattr(message, "id", None)


def _type(message: Any) -> Any:
    return message.get("type") if isinstance(message, dict) else getattr(message, "type", None)


def add_messages(left: Any = None, right: Any = None, *, format: str | None = None) -> Any:
    """LangGraph's add_messages: append messages, replacing those whose id matches and removing
    those named by RemoveMessage (REMOVE_ALL_MESSAGES clears the list first).

    Accepts message objects, dicts (`{"role": "user", ...}`, `{"type": "human", ...}`),
    `(role, content)` pairs and strings; messages without an id get a new uuid4. Returns
    LangChain message objects when langchain-core is installed, else serialized dicts.
    `add_messages(format="langchain-openai")` returns a reducer that also converts content to
    OpenAI's format (needs langchain-core). In a graph's state the workflow applies it to
    serialized messages itself (merge_messages).
    """
    if left is None and right is None:
        return functools.partial(add_messages, format=format)
    if format not in (None, "langchain-openai"):
        raise ValueError(f"Unrecognized {format=}. Expected one of 'langchain-openai', None.")
    left_list = [message_to_dict(m) for m in as_message_list(left if left is not None else [])]
    right_list = [message_to_dict(m) for m in as_message_list(right)]
    for m in left_list + right_list:
        if needs_id(m):
            m["id"] = str(uuid.uuid4())
    merged = _merge(left_list, right_list)
    if format == "langchain-openai":
        return _openai_format(merged)
    return to_message_objects(merged)


def to_message_objects(messages: list[dict[str, Any]]) -> list[Any]:
    """LangChain message objects when langchain-core is installed, else the dicts unchanged."""
    try:
        from langchain_core.messages import messages_from_dict
    except ImportError:
        return messages
    try:
        dicts = [message_to_dict(m) for m in messages]
    except (ValueError, NotImplementedError, TypeError):
        return messages  # not messages (e.g. a run from before messages were coerced)
    # Non-message dicts (kept from older runs) stay dicts.
    return [
        messages_from_dict([{"type": m["type"], "data": m}])[0] if "type" in m else m for m in dicts
    ]


def _openai_format(messages: list[dict[str, Any]]) -> list[Any]:
    try:
        from langchain_core.messages import convert_to_openai_messages
    except ImportError:
        raise ImportError(
            "add_messages(format='langchain-openai') needs langchain-core: "
            "pip install 'tempograph-hitl[langchain]'"
        ) from None
    objects = to_message_objects(messages)
    converted = convert_to_openai_messages(objects)
    out = []
    for obj, oai in zip(objects, converted, strict=True):
        # Keep the type, id and tool calls; take the content in OpenAI's block format.
        out.append(obj.model_copy(update={"content": oai.get("content", obj.content)}))
    return out


def is_message_reducer(reducer: Any) -> bool:
    """True for add_messages (ours, a partial of it, or LangGraph's)."""
    if isinstance(reducer, functools.partial):
        reducer = reducer.func
    return reducer is add_messages or (
        getattr(reducer, "__name__", "") == "add_messages"
        and getattr(reducer, "__module__", "").startswith("langgraph.")
    )


BUILTIN_REDUCERS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "add_messages": merge_messages,
}


def append_messages_by_id(left: Any, right: Any) -> list[Any]:
    """add_messages as runs recorded before message coercion applied it: append, and a message
    whose "id" matches an existing one replaces it (no coercion, no ids). Their replay must
    compute the same state, and must not fail where they did not."""
    left_list = list(left or [])
    right_list = right if isinstance(right, list) else [right]
    index = {_legacy_id(m): i for i, m in enumerate(left_list) if _legacy_id(m) is not None}
    for message in right_list:
        mid = _legacy_id(message)
        if mid is not None and mid in index:
            left_list[index[mid]] = message
        else:
            if mid is not None:
                index[mid] = len(left_list)
            left_list.append(message)
    return left_list


def _legacy_id(message: Any) -> Any:
    return message.get("id") if isinstance(message, dict) else None


# The built-in reducers of runs recorded before message coercion (GraphRun: patch
# "coerce-messages").
LEGACY_BUILTIN_REDUCERS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "add_messages": append_messages_by_id,
}


def builtin_name(reducer: Callable[..., Any]) -> str | None:
    """The name under which the workflow knows `reducer`, or None for a custom one."""
    if reducer is operator.add:
        return "add"
    if isinstance(reducer, functools.partial) and reducer.keywords.get("format") is not None:
        # add_messages(format=...) needs langchain-core: the worker applies it (custom).
        return None
    if is_message_reducer(reducer):
        return "add_messages"
    return None
