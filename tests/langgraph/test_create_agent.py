"""LangChain v1 `create_agent` + `HumanInTheLoopMiddleware`, unchanged, on Tempograph: the
middleware's interrupt payload (action_requests, review_configs) and its decisions round-trip
through GraphClient, with the same messages as LangGraph's own runtime (InMemorySaver)."""

from __future__ import annotations

import typing
import uuid
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import pytest
import pytest_asyncio
from langchain.agents.middleware import human_in_the_loop
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command as LangGraphCommand
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.errors import ResumeError
from tempograph.types import Command
from tests.langgraph.lg_graphs import build_hitl_agent

TASK_QUEUE = "langgraph-create-agent"
QUESTION = {"messages": [{"role": "user", "content": "weather in Paris?"}]}


@pytest_asyncio.fixture(scope="module")
async def graphs_(client: Client) -> AsyncIterator[GraphClient]:
    served = {
        "hitl_agent": build_hitl_agent(),
        "hitl_limited": build_hitl_agent(allowed=["approve", "reject"]),
    }
    async with create_worker(client, served, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


def _message(m: Any) -> dict[str, Any]:
    """A message without its random id, the same for an object (LangGraph) or its serialized
    dict (Tempograph)."""
    d = m.model_dump() if hasattr(m, "model_dump") else dict(m)
    out = {"type": d["type"], "content": d["content"]}
    if d.get("tool_calls"):
        out["tool_calls"] = [(c["name"], c["args"], c["id"]) for c in d["tool_calls"]]
    for key in ("tool_call_id", "status", "name"):
        if d.get(key) is not None:
            out[key] = d[key]
    return out


def _shape(out: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in out.items() if k != "__interrupt__"}
    values["messages"] = [_message(m) for m in values.get("messages", [])]
    return {"values": values, "interrupts": [i.value for i in out.get("__interrupt__", [])]}


DECISIONS = {
    "approve": {"decisions": [{"type": "approve"}]},
    "reject": {"decisions": [{"type": "reject", "message": "not now"}]},
    "edit": {
        "decisions": [
            {"type": "edit", "edited_action": {"name": "get_weather", "args": {"city": "Rome"}}}
        ]
    },
    "respond": {"decisions": [{"type": "respond", "message": "It is 21C"}]},
}


# The decisions this langchain's middleware knows ("respond" arrived after langchain 1.0).
KNOWN = set(typing.get_args(human_in_the_loop.DecisionType))


@pytest.mark.parametrize("decision", sorted(DECISIONS))
async def test_decisions_match_langgraph(graphs_: GraphClient, decision: str) -> None:
    if decision not in KNOWN:
        pytest.skip(f"langchain {version('langchain')}'s middleware has no '{decision}'")
    answer = DECISIONS[decision]
    reference = build_hitl_agent(InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    expected = [
        _shape(reference.invoke(QUESTION, config)),  # type: ignore[arg-type]
        _shape(reference.invoke(LangGraphCommand(resume=answer), config)),  # type: ignore[arg-type]
    ]
    [paused] = expected[0]["interrupts"]
    assert paused["action_requests"][0]["name"] == "get_weather"

    thread = f"agent-{uuid.uuid4().hex[:12]}"
    got = [_shape(await graphs_.invoke("hitl_agent", QUESTION, thread_id=thread))]
    state = await graphs_.get_state(thread)
    assert state.next == ["HumanInTheLoopMiddleware.after_model"]
    got.append(_shape(await graphs_.invoke("hitl_agent", Command(resume=answer), thread_id=thread)))
    # A known difference (README): Tempograph's values hold every state key, also the
    # middleware's private one that LangGraph's output schema omits (langchain 1.1 on).
    values = reference.get_state(config).values  # type: ignore[arg-type]
    if "hitl_edited_tool_calls" in values:
        assert got[1]["values"].pop("hitl_edited_tool_calls") == values["hitl_edited_tool_calls"]
    assert got == expected


async def test_a_decision_the_review_config_does_not_allow_is_refused(
    graphs_: GraphClient,
) -> None:
    """LangGraph stores such an answer and fails in the node (the thread is poisoned);
    Tempograph refuses it at resume time and the run stays paused."""
    thread = f"agent-{uuid.uuid4().hex[:12]}"
    await graphs_.invoke("hitl_limited", QUESTION, thread_id=thread)
    for wrong in (DECISIONS["edit"], {"decisions": []}, [{"type": "accept", "args": None}]):
        with pytest.raises(ResumeError, match="response_schema"):
            await graphs_.invoke("hitl_limited", Command(resume=wrong), thread_id=thread)
    state = await graphs_.get_state(thread)
    assert state.next == ["HumanInTheLoopMiddleware.after_model"]
    out = await graphs_.invoke(
        "hitl_limited", Command(resume=DECISIONS["reject"]), thread_id=thread
    )
    assert out["messages"][2]["status"] == "error"
