"""Prebuilt nodes, as in `langgraph.prebuilt`: ToolNode and tools_condition.

Both work on LangChain message objects (what nodes see with langchain-core installed) and on
serialized message dicts (without it).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from tempograph.messages import END

__all__ = ["ToolNode", "tools_condition"]

TOOL_CALL_ERROR_TEMPLATE = "Error: {error}\n Please fix your mistakes."
INVALID_TOOL_NAME_ERROR_TEMPLATE = (
    "Error: {requested_tool} is not a valid tool, try one of [{available_tools}]."
)

ErrorHandler = bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]


def _field(message: Any, name: str, default: Any = None) -> Any:
    if isinstance(message, dict):
        return message.get(name, default)
    return getattr(message, name, default)


def _messages_of(state: Any, key: str) -> list[Any]:
    if isinstance(state, list):
        return state
    messages = state.get(key) if isinstance(state, dict) else getattr(state, key, None)
    if messages is None:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    return list(messages)


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """Route to "tools" when the last AI message has tool calls, else to END."""
    messages = _messages_of(state, messages_key)
    if not messages:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    if _field(messages[-1], "tool_calls"):
        return "tools"
    return END  # type: ignore[return-value]


class _PlainTool:
    """A plain function as a tool, when langchain-core is not installed."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.name = fn.__name__

    async def run(self, args: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(self.fn):
            return await self.fn(**args)
        return await asyncio.to_thread(self.fn, **args)


def _as_tool(tool: Any) -> Any:
    if hasattr(tool, "ainvoke") and hasattr(tool, "name"):
        return tool  # a LangChain BaseTool
    if not callable(tool):
        raise TypeError(f"ToolNode: {tool!r} is neither a LangChain tool nor a function")
    try:
        from langchain_core.tools import StructuredTool
    except ImportError:
        return _PlainTool(tool)
    return StructuredTool.from_function(
        tool if not inspect.iscoroutinefunction(tool) else None,
        coroutine=tool if inspect.iscoroutinefunction(tool) else None,
        name=tool.__name__,
        description=inspect.getdoc(tool) or tool.__name__,
    )


def _tool_message(content: Any, call: dict[str, Any], status: str = "success") -> Any:
    if not isinstance(content, str | list):
        content = json.dumps(content, default=str) if isinstance(content, dict) else str(content)
    try:
        from langchain_core.messages import ToolMessage
    except ImportError:
        return {
            "content": content,
            "additional_kwargs": {},
            "response_metadata": {},
            "type": "tool",
            "name": call["name"],
            "id": None,
            "tool_call_id": call["id"],
            "artifact": None,
            "status": status,
        }
    return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"], status=status)


class ToolNode:
    """Run the tool calls of the last AI message and answer each with a ToolMessage.

    `tools`: LangChain tools or plain functions (wrapped as LangChain tools when langchain-core
    is installed). A node of its own: `builder.add_node("tools", ToolNode([...]))` (name
    "tools" by default). `handle_tool_errors` as in LangGraph: True (default) turns an error
    into a ToolMessage "Error: <repr>\\n Please fix your mistakes." with status "error"; a
    string is sent instead; a callable makes the content from the exception; an exception type
    (or tuple) handles only those; False re-raises.
    """

    def __init__(
        self,
        tools: Sequence[Any],
        *,
        name: str = "tools",
        handle_tool_errors: ErrorHandler = True,
        messages_key: str = "messages",
    ) -> None:
        self.name = name
        self.handle_tool_errors = handle_tool_errors
        self.messages_key = messages_key
        self.tools_by_name: dict[str, Any] = {}
        for tool in tools:
            wrapped = _as_tool(tool)
            self.tools_by_name[wrapped.name] = wrapped

    def invoke(self, input: Any, config: Any = None, **_: Any) -> Any:  # noqa: A002
        return asyncio.run(self.ainvoke(input, config))

    async def ainvoke(self, input: Any, config: Any = None, **_: Any) -> Any:  # noqa: A002
        calls = self._tool_calls(input)
        outputs = await asyncio.gather(*(self._run_one(call, config) for call in calls))
        if isinstance(input, list):
            return list(outputs)
        return {self.messages_key: list(outputs)}

    def _tool_calls(self, input: Any) -> list[dict[str, Any]]:  # noqa: A002
        messages = _messages_of(input, self.messages_key)
        for message in reversed(messages):
            if _field(message, "type") == "ai":
                return [dict(c) for c in _field(message, "tool_calls") or []]
        raise ValueError("No AIMessage found in input")

    async def _run_one(self, call: dict[str, Any], config: Any) -> Any:
        tool = self.tools_by_name.get(call["name"])
        if tool is None:
            content = INVALID_TOOL_NAME_ERROR_TEMPLATE.format(
                requested_tool=call["name"], available_tools=", ".join(self.tools_by_name)
            )
            return _tool_message(content, call, "error")
        try:
            if isinstance(tool, _PlainTool):
                return _tool_message(await tool.run(call.get("args") or {}), call)
            output = await tool.ainvoke({**call, "type": "tool_call"}, config)
        except Exception as exc:
            content = self._handled(exc)
            return _tool_message(content, call, "error")
        if _field(output, "type") == "tool":
            return output
        return _tool_message(output, call)

    def _handled(self, exc: Exception) -> str:
        handler = self.handle_tool_errors
        if handler is False:
            raise exc
        if handler is True:
            return TOOL_CALL_ERROR_TEMPLATE.format(error=repr(exc))
        if isinstance(handler, str):
            return handler
        if isinstance(handler, (type, tuple)):
            if isinstance(exc, handler):
                return TOOL_CALL_ERROR_TEMPLATE.format(error=repr(exc))
            raise exc
        return handler(exc)
