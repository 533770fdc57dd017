"""Graphs used by the tests: the fixtures of ../shared/research/langgraph-hitl.md §8, and more.

Every node counts its entries per (thread, node) in ENTRIES, so tests can check which nodes ran
again after a resume (the worker runs in the test process).
"""

from __future__ import annotations

import asyncio
import dataclasses
import operator
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel
from temporalio.common import RetryPolicy

from tempograph.graph import END, START, CompiledGraph, MessagesState, StateGraph
from tempograph.runtime import Runtime
from tempograph.types import Command, Send, interrupt

ENTRIES: Counter[tuple[str, str]] = Counter()


def entered(config: dict[str, Any], node: str) -> None:
    ENTRIES[(config["configurable"]["thread_id"], node)] += 1


def logger_node(name: str) -> Any:
    def node(state: Any, config: dict[str, Any]) -> dict[str, list[str]]:
        entered(config, name)
        return {"log": [name]}

    node.__name__ = name
    return node


class LogState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


class AskState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    x: int
    human: str


# ASK: START -> a -> ask -> b -> END, plus an unwired c.
def ask(state: AskState, config: dict[str, Any]) -> dict[str, Any]:
    entered(config, "ask")
    v = interrupt({"question": "approve?", "x": state.get("x")})
    return {"log": [f"ask={v}"], "human": str(v)}


def build_ask(**compile_kwargs: Any) -> CompiledGraph:
    g = StateGraph(AskState)
    g.add_node("a", logger_node("a"))
    g.add_node("ask", ask)
    g.add_node("b", logger_node("b"))
    g.add_node("c", logger_node("c"))
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    g.add_edge("ask", "b")
    g.add_edge("b", END)
    g.add_edge("c", END)
    return g.compile(**compile_kwargs)


def build_chain(**compile_kwargs: Any) -> CompiledGraph:
    g = StateGraph(LogState)
    for name in ("a", "b", "c"):
        g.add_node(name, logger_node(name))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g.compile(**compile_kwargs)


# MULTI: two interrupts in one node, matched by order.
async def two(state: LogState, config: dict[str, Any]) -> dict[str, Any]:
    entered(config, "two")
    x = interrupt("first")
    y = interrupt("second")
    return {"log": [f"{x}+{y}"]}


def build_multi() -> CompiledGraph:
    g = StateGraph(LogState)
    g.add_node("two", two)
    g.add_edge(START, "two")
    return g.compile()


# PAR: qa, qb interrupt in parallel with a plain p; join waits for all three.
def question(name: str, prompt: str) -> Any:
    def node(state: LogState, config: dict[str, Any]) -> dict[str, Any]:
        entered(config, name)
        return {"log": [f"{name[-1]}=" + interrupt(prompt)]}

    return node


def build_par() -> CompiledGraph:
    g = StateGraph(LogState)
    g.add_node("qa", question("qa", "q-a"))
    g.add_node("qb", question("qb", "q-b"))
    g.add_node("p", lambda s, c: (entered(c, "p"), {"log": ["plain"]})[1])
    g.add_node("join", logger_node("join"))
    for n in ("qa", "qb", "p"):
        g.add_edge(START, n)
    g.add_edge(["qa", "qb", "p"], "join")
    return g.compile()


# ROUTE: a router after `a` sees a's own writes but not its parallel sibling's.
class RouteState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    route: str
    n: int
    m: int
    seen: list[Any]


def build_route(**compile_kwargs: Any) -> CompiledGraph:
    g = StateGraph(RouteState)
    g.add_node("a", lambda s: {"log": ["a"], "n": 1})
    g.add_node("sib", lambda s: {"m": 2})
    g.add_node("x", logger_node("x"))
    g.add_node("y", logger_node("y"))
    g.add_edge(START, "a")
    g.add_edge(START, "sib")

    def router(state: RouteState) -> Literal["to_x", "to_y"]:
        # Record what the router saw by routing: n must be visible (own write), m must not.
        if state.get("n") == 1 and state.get("m") is None:
            return "to_x" if state.get("route", "x") == "x" else "to_y"
        raise AssertionError(f"router saw {state}")

    g.add_conditional_edges("a", router, {"to_x": "x", "to_y": "y"})
    return g.compile(**compile_kwargs)


# JOIN: branches of unequal length; a join waits for both, separate edges fire twice.
def build_joins() -> CompiledGraph:
    g = StateGraph(LogState)
    for name in ("a1", "a2", "b", "j", "k"):
        g.add_node(name, logger_node(name))
    g.add_edge(START, "a1")
    g.add_edge(START, "b")
    g.add_edge("a1", "a2")
    g.add_edge(["a2", "b"], "j")  # waits for both: runs once
    g.add_edge("a2", "k")
    g.add_edge("b", "k")  # two separate edges: k runs once per arrival (twice)
    return g.compile()


# SEND: fan out one review task per item, each interrupts.
class SendState(TypedDict, total=False):
    items: list[str]
    out: Annotated[list[str], operator.add]


def review(arg: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    entered(config, "rev")
    answer = interrupt({"review": arg["item"]})
    return {"out": [f"{arg['item']}:{answer}"]}


def build_send() -> CompiledGraph:
    g = StateGraph(SendState)
    g.add_node("rev", review)
    g.add_conditional_edges(START, lambda s: [Send("rev", {"item": i}) for i in s["items"]])
    return g.compile()


# APPROVE: the approval node routes with Command(goto=...) on the human's answer.
class ApprovalState(TypedDict, total=False):
    action: str
    status: str


def approval(state: ApprovalState) -> Command:
    ok = interrupt({"question": "Approve?", "action": state["action"]})
    return Command(goto="proceed" if ok else "cancel")


def build_approve() -> CompiledGraph:
    g = StateGraph(ApprovalState)
    g.add_node("approval", approval)
    g.add_node("proceed", lambda s: {"status": "approved"})
    g.add_node("cancel", lambda s: {"status": "rejected"})
    g.add_edge(START, "approval")
    g.add_edge("proceed", END)
    g.add_edge("cancel", END)
    return g.compile()


# Errors.
class PlainState(TypedDict, total=False):
    n: int
    blob: str
    log: Annotated[list[str], operator.add]


def build_double_write() -> CompiledGraph:
    g = StateGraph(PlainState)
    g.add_node("p1", lambda s: {"n": 1})
    g.add_node("p2", lambda s: {"n": 2})
    g.add_edge(START, "p1")
    g.add_edge(START, "p2")
    return g.compile()


def swallow(state: PlainState) -> dict[str, Any]:
    try:
        interrupt("q")
    except Exception:  # noqa: BLE001 - the documented pitfall: this swallows the pause
        return {"log": ["caught GraphInterrupt"]}
    return {"log": ["not reached"]}


def build_swallow() -> CompiledGraph:
    g = StateGraph(PlainState)
    g.add_node("swallow", swallow)
    g.add_edge(START, "swallow")
    return g.compile()


def build_route19() -> CompiledGraph:
    """Scenario 19: a -> (router on `route`) -> x or y, paused after a."""
    g = StateGraph(RouteState)
    g.add_node("a", logger_node("a"))
    g.add_node("x", logger_node("x"))
    g.add_node("y", logger_node("y"))
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: s["route"], ["x", "y"])
    return g.compile(interrupt_after=["a"])


def build_count_then_ask() -> CompiledGraph:
    """Counts to 5 in a loop (one step each), fans out two reviews with Send, then asks."""
    g = StateGraph(SendState)
    g.add_node("count", lambda s: {"out": [f"n{len(s.get('out', []))}"]})
    g.add_node("rev", review)
    g.add_node("final", lambda s: {"out": ["final=" + interrupt("done?")]})

    def again(state: SendState) -> Any:
        if len(state["out"]) < 5:
            return "count"
        return [Send("rev", {"item": i}) for i in state["items"]]

    g.add_edge(START, "count")
    g.add_conditional_edges("count", again)
    g.add_edge("rev", "final")
    return g.compile()


def build_sub() -> CompiledGraph:
    """Scenario 28: START -> p1 -> sub, where sub is a compiled graph s1 -> s2 and s2 asks."""

    def s2(state: LogState, config: dict[str, Any]) -> dict[str, Any]:
        entered(config, "s2")
        return {"log": ["s2=" + interrupt("sub-q")]}

    inner = StateGraph(LogState)
    inner.add_node("s1", logger_node("s1"))
    inner.add_node("s2", s2)
    inner.add_edge(START, "s1")
    inner.add_edge("s1", "s2")
    g = StateGraph(LogState)
    g.add_node("p1", logger_node("p1"))
    g.add_node("sub", inner.compile())
    g.add_node("qa", question("qa", "q-a"))
    g.add_edge(START, "p1")
    g.add_edge("p1", "sub")
    g.add_conditional_edges(START, lambda s: ["qa"] if s.get("log") == ["par"] else [])
    return g.compile()


def build_ask_after() -> CompiledGraph:
    """Scenario 23: ask -> after."""
    g = StateGraph(LogState)
    g.add_node("ask", lambda s: {"log": ["ask=" + interrupt("q")]})
    g.add_node("after", logger_node("after"))
    g.add_edge(START, "ask")
    g.add_edge("ask", "after")
    return g.compile()


def build_fan_then_z() -> CompiledGraph:
    """Scenario 24: p1 || p2, then z, with a breakpoint before z."""
    g = StateGraph(LogState)
    for name in ("p1", "p2", "z"):
        g.add_node(name, logger_node(name))
    g.add_edge(START, "p1")
    g.add_edge(START, "p2")
    g.add_edge(["p1", "p2"], "z")
    return g.compile(interrupt_after=["p1"])


def build_loop() -> CompiledGraph:
    g = StateGraph(PlainState)
    g.add_node("spin", lambda s: {"n": s.get("n", 0) + 1})
    g.add_edge(START, "spin")
    g.add_edge("spin", "spin")
    return g.compile()


def kaboom(state: PlainState) -> dict[str, Any]:
    raise ValueError("kaboom")


def build_failing() -> CompiledGraph:
    g = StateGraph(PlainState)
    g.add_node("boom", kaboom, retry_policy=RetryPolicy(maximum_attempts=1))
    g.add_edge(START, "boom")
    return g.compile()


def build_big() -> CompiledGraph:
    g = StateGraph(PlainState)
    g.add_node("grow", lambda s: {"blob": "x" * 3_000_000})
    g.add_edge(START, "grow")
    return g.compile()


def build_bad_return() -> CompiledGraph:
    g = StateGraph(PlainState)
    g.add_node("bad", lambda s: "hello")
    g.add_edge(START, "bad")
    return g.compile()


async def nap(state: PlainState) -> dict[str, Any]:
    await asyncio.sleep(1.5)
    return {"n": 1}


def build_slow() -> CompiledGraph:
    g = StateGraph(PlainState)
    g.add_node("nap", nap)
    g.add_edge(START, "nap")
    return g.compile()


# Pydantic state, an async node, and a custom reducer (applied by an activity).
def keep_max(left: int, right: int) -> int:
    return max(left, right)


class Draft(BaseModel):
    title: str
    score: Annotated[int, keep_max] = 0
    notes: Annotated[list[str], operator.add] = []


async def score(state: Draft) -> dict[str, Any]:
    await asyncio.sleep(0)
    assert isinstance(state, Draft)
    return {"score": len(state.title), "notes": [f"scored {state.title}"]}


def lower(state: Draft) -> dict[str, Any]:
    return {"score": 1, "notes": ["lowered?"]}


def build_pydantic() -> CompiledGraph:
    g = StateGraph(Draft)
    g.add_node("score", score)
    g.add_node("lower", lower)
    g.add_node("review", lambda s: {"title": interrupt({"title": s.title, "score": s.score})})
    g.add_edge(START, "score")
    g.add_edge("score", "lower")
    g.add_edge("lower", "review")
    return g.compile()


# The same name, two versions: v2 inserts a node; runs started on v1 keep v1's topology.
def build_versioned(version: int) -> CompiledGraph:
    g = StateGraph(LogState)
    g.add_node("a", logger_node("a"))
    g.add_node("ask", lambda s: {"log": ["ask=" + interrupt("go?")]})
    g.add_node("c", logger_node("c"))
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    if version == 1:
        g.add_edge("ask", "c")
    else:
        g.add_node("new", logger_node("new"))
        g.add_edge("ask", "new")
        g.add_edge("new", "c")
    return g.compile()


# Typed answers and deadlines.
class Decision(BaseModel):
    approved: bool
    note: str = ""


class DecisionState(TypedDict, total=False):
    action: str
    decision: str


def decide(state: DecisionState) -> dict[str, Any]:
    answer = interrupt({"action": state["action"]}, response_schema=Decision)
    assert isinstance(answer, Decision)  # the node gets the model, not a dict
    return {"decision": f"{answer.approved}:{answer.note}"}


def build_typed() -> CompiledGraph:
    g = StateGraph(DecisionState)
    g.add_node("decide", decide)
    g.add_edge(START, "decide")
    return g.compile()


def build_deadline(default: Any = "NO DEFAULT") -> CompiledGraph:
    def wait(state: DecisionState) -> dict[str, Any]:
        if default == "NO DEFAULT":
            answer = interrupt("approve within 2 days?", timeout=timedelta(days=2))
        else:
            answer = interrupt("approve within 2 days?", timeout=timedelta(days=2), default=default)
        return {"decision": str(answer)}

    g = StateGraph(DecisionState)
    g.add_node("wait", wait)
    g.add_edge(START, "wait")
    return g.compile()


# CHAT: a thread whose state grows each turn (a message of ~400 bytes), to check that node
# inputs carry deltas and history bytes per node stay flat.
class ChatState(TypedDict, total=False):
    messages: Annotated[list[dict[str, Any]], operator.add]
    turns: int
    seen: Annotated[list[int], operator.add]


def talk(state: ChatState, config: dict[str, Any]) -> dict[str, Any]:
    entered(config, "talk")
    n = len(state["messages"])
    # `seen` proves the node read the whole state, however it travelled.
    return {"messages": [{"role": "ai", "n": n, "content": "x" * 400}], "seen": [n]}


def build_chat(**compile_kwargs: Any) -> CompiledGraph:
    g = StateGraph(ChatState)
    g.add_node("talk", talk)
    g.add_edge(START, "talk")
    g.add_conditional_edges(
        "talk", lambda s: "talk" if len(s["messages"]) < s["turns"] else END, ["talk", END]
    )
    return g.compile(**compile_kwargs)


# FLAKY_LOCAL: a local-activity node that fails on its first attempt (retries still apply).
FLAKY_ATTEMPTS: Counter[str] = Counter()


def flaky(state: LogState, config: dict[str, Any]) -> dict[str, Any]:
    thread = config["configurable"]["thread_id"]
    FLAKY_ATTEMPTS[thread] += 1
    if FLAKY_ATTEMPTS[thread] == 1:
        raise RuntimeError("first attempt fails")
    return {"log": [f"flaky@{FLAKY_ATTEMPTS[thread]}"]}


def build_flaky_local() -> CompiledGraph:
    g = StateGraph(LogState)
    g.add_node(
        "flaky",
        flaky,
        local_activity=True,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50), maximum_attempts=3),
    )
    g.add_node("b", logger_node("b"))  # an activity, after a local one
    g.add_edge(START, "flaky")
    g.add_edge("flaky", "b")
    return g.compile()


# MESSAGES: MessagesState with add_messages (coerced, given ids), a question, a reply.
def greet(state: MessagesState) -> dict[str, Any]:
    return {"messages": [("ai", "What is your name?")]}


def reply(state: MessagesState) -> dict[str, Any]:
    name = interrupt("name?")
    return {"messages": [{"role": "user", "content": name}, ("ai", f"Hello {name}")]}


def build_messages() -> CompiledGraph:
    g = StateGraph(MessagesState)
    g.add_node("greet", greet)
    g.add_node("reply", reply)
    g.add_edge(START, "greet")
    g.add_edge("greet", "reply")
    return g.compile()


def all_graphs() -> dict[str, CompiledGraph]:
    return {
        "ask": build_ask(),
        "messages": build_messages(),
        "chain": build_chain(),
        "chain_before_b": build_chain(interrupt_before=["b"]),
        "multi": build_multi(),
        "par": build_par(),
        "route": build_route(),
        "route_after_a": build_route(interrupt_after=["a"]),
        "joins": build_joins(),
        "send": build_send(),
        "approve": build_approve(),
        "double_write": build_double_write(),
        "loop": build_loop(),
        "failing": build_failing(),
        "big": build_big(),
        "bad_return": build_bad_return(),
        "slow": build_slow(),
        "swallow": build_swallow(),
        "typed": build_typed(),
        "ask_after": build_ask_after(),
        "sub": build_sub(),
        "count_then_ask": build_count_then_ask(),
        "route19": build_route19(),
        "fan_then_z": build_fan_then_z(),
        "pydantic": build_pydantic(),
        "versioned": build_versioned(1),
        "ask_local": build_ask(local_activities=True),
        "chat": build_chat(),
        "chat_local": build_chat(local_activities=True),
        "flaky_local": build_flaky_local(),
        **more_graphs(),
    }


# BIG_ASK: `grow` makes the state large (`size` characters), then `show` asks a question that
# carries the whole text: the reply (values + interrupt value) is twice the state.
class BigState(TypedDict, total=False):
    size: int
    text: str
    answer: str


def build_big_ask() -> CompiledGraph:
    g = StateGraph(BigState)
    g.add_node("grow", lambda s: {"text": "x" * s["size"]})
    g.add_node("show", lambda s: {"answer": interrupt({"text": s["text"]})})
    g.add_edge(START, "grow")
    g.add_edge("grow", "show")
    return g.compile()


# STEPS: step_1 -> step_2 -> step_3, each logging its name (LangGraph's breakpoint example).
def build_steps() -> CompiledGraph:
    g = StateGraph(LogState)
    for name in ("step_1", "step_2", "step_3"):
        g.add_node(name, logger_node(name))
    g.add_edge(START, "step_1")
    g.add_edge("step_1", "step_2")
    g.add_edge("step_2", "step_3")
    return g.compile()


# ASK_TWICE: one node asks two questions (interrupt ids per call), then `after` runs.
def ask_twice(state: LogState, config: dict[str, Any]) -> dict[str, Any]:
    entered(config, "twice")
    first = interrupt("first?")
    second = interrupt("second?")
    return {"log": [f"{first}+{second}"]}


def build_ask_twice() -> CompiledGraph:
    g = StateGraph(LogState)
    g.add_node("twice", ask_twice)
    g.add_node("after", logger_node("after"))
    g.add_edge(START, "twice")
    g.add_edge("twice", "after")
    return g.compile()


# CONFIG_CONTEXT (agents.md §3, graph `cfg`): `echo` reports what it sees of the run's config
# and runtime context (context_schema Ctx); `ask` pauses, then reports the resume's.
@dataclass
class Ctx:
    user_id: str = "anon"
    model_name: str = "default-model"


class SeenState(TypedDict, total=False):
    seen: Annotated[list[dict[str, Any]], operator.add]


def seen_by(node: str, config: dict[str, Any], context: Ctx | None) -> dict[str, Any]:
    configurable = config.get("configurable") or {}
    return {
        "node": node,
        "configurable": {
            k: configurable[k] for k in ("user_id", "model_name") if k in configurable
        },
        "context": None if context is None else dataclasses.asdict(context),
        "metadata": (config.get("metadata") or {}).get("req"),
        "tags": config.get("tags"),
        "run_name": config.get("run_name"),
    }


def echo_config(state: SeenState, config: dict[str, Any], runtime: Runtime[Ctx]) -> dict[str, Any]:
    return {"seen": [seen_by("echo", config, runtime.context)]}


def ask_config(state: SeenState, config: dict[str, Any], runtime: Runtime[Ctx]) -> dict[str, Any]:
    answer = interrupt("go on?")
    return {"seen": [{**seen_by("ask", config, runtime.context), "answer": answer}]}


def build_config_context() -> CompiledGraph:
    g = StateGraph(SeenState, context_schema=Ctx)
    g.add_node("echo", echo_config)
    g.add_node("ask", ask_config)
    g.add_edge(START, "echo")
    g.add_edge("echo", "ask")
    g.add_edge("ask", END)
    return g.compile()


# STREAMED: a node that streams chat model tokens and a custom event, a question, the same
# node again (live output: tempograph._activities.publisher).
def streaming_talk(state: MessagesState) -> dict[str, Any]:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from tempograph.config import get_stream_writer

    get_stream_writer()({"turn": len(state["messages"])})
    model = GenericFakeChatModel(messages=iter([AIMessage("tokens one by one")]))
    return {"messages": [model.invoke(state["messages"])]}


def build_streamed() -> CompiledGraph:
    g = StateGraph(MessagesState)
    g.add_node("talk", streaming_talk)
    g.add_node("reply", reply)
    g.add_node("talk_again", streaming_talk)
    g.add_edge(START, "talk")
    g.add_edge("talk", "reply")
    g.add_edge("reply", "talk_again")
    return g.compile()


def more_graphs() -> dict[str, CompiledGraph]:
    """Graphs added for the hardening tests (stuck runs, update_state semantics), and
    config_context (what a node sees of its run's config and context)."""
    return {
        "big_ask": build_big_ask(),
        "steps": build_steps(),
        "ask_twice": build_ask_twice(),
        "config_context": build_config_context(),
        "streamed": build_streamed(),
    }
