"""LangGraph's how-to "wait for user input" (an agent asks the human), ported by changing imports.

The model has a real tool, `search`, and a pretend one, `AskHuman` (a pydantic model bound as a
tool definition). When the model calls `AskHuman`, `ask_human` pauses with the question
(`interrupt(question)`) and answers the tool call with a ToolMessage carrying what the human
said; the model then calls `search` (run by a prebuilt ToolNode, node `action`) and answers.

The chat model is a scripted stand-in (no network): it streams its reply word by word, then a
last chunk with the tool call, as a real provider does, and refuses to call a tool it was not
bound to.

    python starter.py start wait_for_user_input \
        '{"messages": [{"role": "user", "content": "Ask where I am, then the weather there"}]}' \
        --thread t1
    python starter.py resume t1 '"san francisco"'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel

from tempograph.graph import END, START, MessagesState, StateGraph
from tempograph.prebuilt import ToolNode
from tempograph.types import interrupt


def stream_chunks(reply: AIMessage) -> Iterator[ChatGenerationChunk]:
    """`reply` as a provider streams it: its words one chunk each, then a last chunk with its
    tool calls as tool_call_chunks. (LangChain hands each chunk to the callbacks itself.)"""
    for token in re.split(r"(\s)", str(reply.content)):
        yield ChatGenerationChunk(message=AIMessageChunk(content=token))
    calls = [
        {
            "name": c["name"],
            "args": json.dumps(c["args"]),
            "id": c["id"],
            "index": i,
            "type": "tool_call_chunk",
        }
        for i, c in enumerate(reply.tool_calls)
    ]
    last = AIMessageChunk(content="", tool_call_chunks=calls, chunk_position="last")  # type: ignore[arg-type]
    yield ChatGenerationChunk(message=last)


class ScriptedChatModel(GenericFakeChatModel):
    """Stands in for the how-to's ChatAnthropic. Replies from the conversation: to the user's
    request it asks the human where they are (`AskHuman`); to the human's answer it calls
    `search`; to the search result it answers. `bind_tools` binds tool definitions as real
    chat models do (`tools=` on every call), and a call to an unbound tool is refused."""

    messages: Any = None  # GenericFakeChatModel's iterator of replies: unused, replies are scripted

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        if tool_choice is not None or kwargs:
            raise TypeError("the scripted model takes tools only (no tool_choice, no options)")
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools])

    def _reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]]) -> AIMessage:
        last = messages[-1]
        call_id = f"call_{len(messages)}"  # unique within the thread
        if isinstance(last, ToolMessage):
            asked = _tool_name(messages, last.tool_call_id)
            if asked == "AskHuman":
                args = {"query": f"weather in {last.content}"}
                reply = AIMessage(
                    "Let me look that up.",
                    tool_calls=[{"name": "search", "args": args, "id": call_id}],
                )
            else:
                reply = AIMessage(f"Here is what I found: {last.content}")
        else:
            args = {"question": "Where are you?"}
            reply = AIMessage(
                "I need to know where you are first.",
                tool_calls=[{"name": "AskHuman", "args": args, "id": call_id}],
            )
        bound = {t["function"]["name"] for t in tools}
        for call in reply.tool_calls:
            if call["name"] not in bound:
                raise ValueError(f"tool {call['name']!r} is not bound to the model ({bound})")
        return reply

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._reply(messages, kwargs.get("tools", []))
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # GenericFakeChatModel's own _stream drops tool calls: stream words, then the calls.
        yield from stream_chunks(self._reply(messages, kwargs.get("tools", [])))

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"


def _tool_name(messages: list[BaseMessage], tool_call_id: str) -> str | None:
    """The name of the tool call `tool_call_id` answers."""
    for message in reversed(messages):
        for call in getattr(message, "tool_calls", None) or []:
            if call["id"] == tool_call_id:
                return str(call["name"])
    return None


# From here on, the how-to's code with its imports changed (and the model above).


@tool
def search(query: str) -> str:
    """Call to surf the web."""
    # This is a placeholder for the actual implementation
    # Don't let the LLM know this though 😊
    return (
        f"I looked up: {query}. Result: It's sunny in San Francisco, "
        "but you better look out if you're a Gemini 😈."
    )


tools = [search]
tool_node = ToolNode(tools)


# We are going "bind" all tools to the model
# We have the ACTUAL tools from above, but we also need a mock tool to ask a human
# Since `bind_tools` takes in tools but also just tool definitions,
# We can define a tool definition for `ask_human`
class AskHuman(BaseModel):
    """Ask the human a question"""

    question: str


model = ScriptedChatModel().bind_tools([*tools, AskHuman])


# Define the function that determines whether to continue or not
def should_continue(state: MessagesState) -> str:
    messages = state["messages"]
    last_message = messages[-1]
    # If there is no function call, then we finish
    if not last_message.tool_calls:
        return END
    # If tool call is asking Human, we return that node
    # You could also add logic here to let some system know that there's something that requires
    # Human input
    # For example, send a slack message, etc
    elif last_message.tool_calls[0]["name"] == "AskHuman":
        return "ask_human"
    # Otherwise if there is, we continue
    else:
        return "action"


# Define the function that calls the model
def call_model(state: MessagesState) -> dict[str, Any]:
    messages = state["messages"]
    response = model.invoke(messages)
    # We return a list, because this will get added to the existing list
    return {"messages": [response]}


# We define a fake node to ask the human
def ask_human(state: MessagesState) -> dict[str, Any]:
    tool_call_id = state["messages"][-1].tool_calls[0]["id"]
    ask = AskHuman.model_validate(state["messages"][-1].tool_calls[0]["args"])
    location = interrupt(ask.question)
    tool_message = [{"tool_call_id": tool_call_id, "type": "tool", "content": location}]
    return {"messages": tool_message}


# Define a new graph
workflow = StateGraph(MessagesState)

# Define the three nodes we will cycle between
workflow.add_node("agent", call_model)
workflow.add_node("action", tool_node)
workflow.add_node("ask_human", ask_human)

# Set the entrypoint as `agent`
# This means that this node is the first one called
workflow.add_edge(START, "agent")

# We now add a conditional edge
workflow.add_conditional_edges(
    # First, we define the start node. We use `agent`.
    # This means these are the edges taken after the `agent` node is called.
    "agent",
    # Next, we pass in the function that will determine which node is called next.
    should_continue,
    path_map=["ask_human", "action", END],
)

# We now add a normal edge from `tools` to `agent`.
# This means that after `tools` is called, `agent` node is called next.
workflow.add_edge("action", "agent")

# After we get back the human response, we go back to the agent
workflow.add_edge("ask_human", "agent")

# No checkpointer: Temporal history is the checkpoint.
graph = workflow.compile()
