"""LangGraph graphs written against LangGraph itself (imports from `langgraph`, unchanged), for
the parity tests: each `build_*` returns the StateGraph builder, compiled once for Tempograph
and once with InMemorySaver for LangGraph's own runtime."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Command, Send, interrupt


# ---- LangGraph's "approve or reject" how-to (human-in-the-loop docs), verbatim apart from prints
class ApprovalState(TypedDict):
    llm_output: str
    decision: str


def generate_llm_output(state: ApprovalState) -> ApprovalState:
    return {"llm_output": "This is the generated output."}  # type: ignore[typeddict-item]


def human_approval(state: ApprovalState) -> Command[Literal["approved_path", "rejected_path"]]:
    decision = interrupt(
        {
            "question": "Do you approve the following output?",
            "llm_output": state["llm_output"],
        }
    )
    if decision == "approve":
        return Command(goto="approved_path", update={"decision": "approved"})
    return Command(goto="rejected_path", update={"decision": "rejected"})


def approved_node(state: ApprovalState) -> ApprovalState:
    return state


def rejected_node(state: ApprovalState) -> ApprovalState:
    return state


def build_approval() -> StateGraph[Any]:
    builder = StateGraph(ApprovalState)
    builder.add_node("generate_llm_output", generate_llm_output)
    builder.add_node("human_approval", human_approval)
    builder.add_node("approved_path", approved_node)
    builder.add_node("rejected_path", rejected_node)
    builder.set_entry_point("generate_llm_output")
    builder.add_edge("generate_llm_output", "human_approval")
    builder.add_edge("approved_path", END)
    builder.add_edge("rejected_path", END)
    return builder


# ---- LangGraph's "validate human input" how-to: several interrupt() calls in one node
class AgeState(TypedDict):
    age: int


def get_valid_age(state: AgeState) -> AgeState:
    prompt = "Please enter your age (must be a non-negative integer)."
    while True:
        user_input = interrupt(prompt)
        try:
            age = int(user_input)
            if age < 0:
                raise ValueError("Age must be non-negative.")
            break
        except (ValueError, TypeError):
            prompt = f"'{user_input}' is not valid. Please enter a non-negative integer for age."
    return {"age": age}


def report_age(state: AgeState) -> AgeState:
    return state


def build_validate() -> StateGraph[Any]:
    builder = StateGraph(AgeState)
    builder.add_node("get_valid_age", get_valid_age)
    builder.add_node("report_age", report_age)
    builder.set_entry_point("get_valid_age")
    builder.add_edge("get_valid_age", "report_age")
    builder.add_edge("report_age", END)
    return builder


# ---- conditional edges, a reducer channel, a custom reducer, a join, a Send fan-out, an
# interrupt after the join, custom stream events
def merge_counts(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    out = dict(left)
    for key, value in right.items():
        out[key] = out.get(key, 0) + value
    return out


class FlowState(TypedDict, total=False):
    topic: str
    route: str
    log: Annotated[list[str], operator.add]
    counts: Annotated[dict[str, int], merge_counts]
    items: list[str]
    verdict: str


def plan(state: FlowState) -> dict[str, Any]:
    get_stream_writer()({"planning": state["topic"]})
    route = "wide" if state["topic"].startswith("w") else "narrow"
    return {"route": route, "log": ["plan"], "counts": {"plan": 1}}


def pick(state: FlowState) -> list[str] | str:
    return ["left", "right"] if state["route"] == "wide" else "solo"


def left(state: FlowState) -> dict[str, Any]:
    return {"log": ["left"], "counts": {"branch": 1}}


def right(state: FlowState) -> dict[str, Any]:
    return {"log": ["right"], "counts": {"branch": 1}}


def solo(state: FlowState) -> dict[str, Any]:
    return {"log": ["solo"], "counts": {"branch": 1}}


def review(state: FlowState) -> dict[str, Any]:
    verdict = interrupt({"log": state["log"], "counts": state["counts"]})
    return {"verdict": verdict, "items": [f"{state['topic']}-{i}" for i in range(3)]}


def fan_out(state: FlowState) -> list[Send] | str:
    if state["verdict"] != "go":
        return END
    return [Send("work", {"item": item}) for item in state["items"]]


def work(arg: dict[str, Any]) -> dict[str, Any]:
    return {"log": [f"work:{arg['item']}"], "counts": {"work": 1}}


def build_flow() -> StateGraph[Any]:
    builder = StateGraph(FlowState)
    for name, fn in (
        ("plan", plan),
        ("left", left),
        ("right", right),
        ("solo", solo),
        ("review", review),
        ("work", work),
    ):
        builder.add_node(name, fn)
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", pick, ["left", "right", "solo"])
    builder.add_edge(["left", "right"], "review")
    builder.add_edge("solo", "review")
    builder.add_conditional_edges("review", fan_out, ["work", END])
    builder.add_edge("work", END)
    return builder


# ---- LangChain v1 create_agent with HumanInTheLoopMiddleware (a scripted fake chat model)
class ScriptedModel(GenericFakeChatModel):
    """After a tool result: a final answer; otherwise: one get_weather tool call."""

    messages: Any = None  # GenericFakeChatModel's iterator is not used

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            reply = AIMessage(content=f"Result: {last.content}. Done.")
        else:
            call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}
            reply = AIMessage(content="Let me check the weather.", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(self, tools: Any, **kw: Any) -> Any:
        return self


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"sunny in {city}"


def build_hitl_agent(checkpointer: Any = None, allowed: list[str] | None = None) -> Any:
    policy: Any = True if allowed is None else {"allowed_decisions": allowed}
    return create_agent(
        model=ScriptedModel(),
        tools=[get_weather],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"get_weather": policy})],
        checkpointer=checkpointer,
    )


# ---- LangGraph's parallel interrupts (human-in-the-loop docs): two nodes started together each
# call interrupt(); one resume answers both with a map {interrupt_id: answer}
class ParallelState(TypedDict):
    vals: Annotated[list[str], operator.add]


def node_a(state: ParallelState) -> dict[str, Any]:
    answer = interrupt("question_a")
    return {"vals": [f"a:{answer}"]}


def node_b(state: ParallelState) -> dict[str, Any]:
    answer = interrupt("question_b")
    return {"vals": [f"b:{answer}"]}


def build_parallel() -> StateGraph[Any]:
    builder = StateGraph(ParallelState)
    builder.add_node("a", node_a)
    builder.add_node("b", node_b)
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    builder.add_edge("a", END)
    builder.add_edge("b", END)
    return builder


# ---- the same with a Send fan-out: each sent task asks about its own item
class ReviewAllState(TypedDict, total=False):
    items: list[str]
    approved: Annotated[list[str], operator.add]


def spread(state: ReviewAllState) -> list[Send]:
    return [Send("check", {"item": item}) for item in state["items"]]


def check(arg: dict[str, Any]) -> dict[str, Any]:
    answer = interrupt({"approve?": arg["item"]})
    return {"approved": [arg["item"]] if answer == "yes" else []}


def build_send_interrupts() -> StateGraph[Any]:
    builder = StateGraph(ReviewAllState)
    builder.add_node("check", check)
    builder.add_conditional_edges(START, spread, ["check"])
    builder.add_edge("check", END)
    return builder


# ---- LangGraph's "edit graph state" how-to: a breakpoint before step_2, update_state while
# paused, then continue with no input; and an edit of the state while paused at an interrupt()
class EditState(TypedDict, total=False):
    input: str
    trail: Annotated[list[str], operator.add]
    note: str


def step_1(state: EditState) -> dict[str, Any]:
    return {"trail": [f"1:{state['input']}"]}


def step_2(state: EditState) -> dict[str, Any]:
    return {"trail": [f"2:{state['input']}"]}


def step_3(state: EditState) -> dict[str, Any]:
    note = interrupt({"input": state["input"], "trail": state["trail"]})
    return {"note": note, "trail": [f"3:{state['input']}"]}


def build_edit() -> StateGraph[Any]:
    builder = StateGraph(EditState)
    builder.add_node("step_1", step_1)
    builder.add_node("step_2", step_2)
    builder.add_node("step_3", step_3)
    builder.add_edge(START, "step_1")
    builder.add_edge("step_1", "step_2")
    builder.add_edge("step_2", "step_3")
    builder.add_edge("step_3", END)
    return builder


# ---- a chat node calling a streaming chat model (tokens reach a client that streams messages)
def chat(state: MessagesState) -> dict[str, Any]:
    model = GenericFakeChatModel(messages=iter([AIMessage("hello big world")]))
    return {"messages": [model.invoke(state["messages"])]}


def build_chat() -> StateGraph[Any]:
    builder = StateGraph(MessagesState)
    builder.add_node("chat", chat)
    builder.add_edge(START, "chat")
    builder.add_edge("chat", END)
    return builder


# ---- a node using the store given to compile() (LangGraph's long-term memory how-to style)
class VisitState(TypedDict, total=False):
    user: str
    visits: int


def count_visit(state: VisitState, store: BaseStore) -> dict[str, Any]:
    namespace = ("visits", state["user"])
    seen = store.get(namespace, "count")
    visits = (seen.value["n"] if seen else 0) + 1
    store.put(namespace, "count", {"n": visits})
    return {"visits": visits}


def build_visits() -> StateGraph[Any]:
    builder = StateGraph(VisitState)
    builder.add_node("count_visit", count_visit)
    builder.add_edge(START, "count_visit")
    builder.add_edge("count_visit", END)
    return builder


# ---- Subgraphs: a compiled graph added as a node (LangGraph's "interrupts in subgraphs"), and
# a node function that invokes a compiled graph itself.
class ParentState(TypedDict):
    foo: str
    log: Annotated[list[str], operator.add]


class ChildState(TypedDict):
    foo: str
    bar: str
    log: Annotated[list[str], operator.add]


def child_start(state: ChildState) -> dict[str, Any]:
    return {"bar": f"bar of {state['foo']}", "log": ["s1"]}


def child_ask(state: ChildState) -> dict[str, Any]:
    answer = interrupt({"question": "go on?", "foo": state["foo"], "bar": state["bar"]})
    return {"foo": f"{state['foo']}|{answer}", "log": [f"s2={answer}"]}


def child_confirm(state: ChildState) -> dict[str, Any]:
    answer = interrupt({"confirm": state["foo"]})
    return {"log": [f"s3={answer}"]}


def build_child() -> StateGraph[Any]:
    builder = StateGraph(ChildState)
    builder.add_node("s1", child_start)
    builder.add_node("s2", child_ask)
    builder.add_node("s3", child_confirm)
    builder.add_edge(START, "s1")
    builder.add_edge("s1", "s2")
    builder.add_edge("s2", "s3")
    return builder


def parent_start(state: ParentState) -> dict[str, Any]:
    return {"foo": state["foo"] or "hi", "log": ["p1"]}


def parent_after(state: ParentState) -> dict[str, Any]:
    answer = interrupt({"after": state["foo"]})
    return {"log": [f"after={answer}"]}


def build_subgraph_node() -> StateGraph[Any]:
    """A compiled graph as a node, with two interrupts in it and one after it."""
    builder = StateGraph(ParentState)
    builder.add_node("p1", parent_start)
    builder.add_node("sub", build_child().compile())
    builder.add_node("after", parent_after)
    builder.add_edge(START, "p1")
    builder.add_edge("p1", "sub")
    builder.add_edge("sub", "after")
    return builder


def build_two_levels() -> StateGraph[Any]:
    """A subgraph node whose graph has a subgraph node."""
    middle = StateGraph(ParentState)
    middle.add_node("inner", build_child().compile())
    middle.add_edge(START, "inner")
    builder = StateGraph(ParentState)
    builder.add_node("p1", parent_start)
    builder.add_node("outer", middle.compile())
    builder.add_edge(START, "p1")
    builder.add_edge("p1", "outer")
    return builder


CHILD = build_child().compile()


def call_child(state: ParentState) -> dict[str, Any]:
    out = CHILD.invoke({"foo": state["foo"], "log": []})
    return {"foo": out["foo"], "log": ["called"]}


def build_subgraph_call() -> StateGraph[Any]:
    """A node function invoking a compiled graph (LangGraph's "subgraph called as a
    function"): runs in the node's activity; its interrupts are refused at run time."""
    builder = StateGraph(ParentState)
    builder.add_node("p1", parent_start)
    builder.add_node("sub", call_child)
    builder.add_edge(START, "p1")
    builder.add_edge("p1", "sub")
    return builder


def quiet_child(state: ChildState) -> dict[str, Any]:
    return {"foo": f"{state['foo']}!", "log": ["quiet"]}


QUIET = StateGraph(ChildState).add_sequence([("q", quiet_child)])
QUIET.add_edge(START, "q")
QUIET_CHILD = QUIET.compile()


def call_quiet_child(state: ParentState) -> dict[str, Any]:
    out = QUIET_CHILD.invoke({"foo": state["foo"], "log": []})
    return {"foo": out["foo"], "log": out["log"]}


def build_quiet_call() -> StateGraph[Any]:
    """A node function invoking a compiled graph that does not interrupt: runs as in LangGraph."""
    builder = StateGraph(ParentState)
    builder.add_node("p1", parent_start)
    builder.add_node("sub", call_quiet_child)
    builder.add_edge(START, "p1")
    builder.add_edge("p1", "sub")
    return builder
