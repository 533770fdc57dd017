"""LangChain v1 `create_agent` + `HumanInTheLoopMiddleware`, unchanged, through the Agent Server
HTTP API with the real langgraph-sdk: every decision gives LangGraph's own messages; a decision
the review config does not allow is refused and the run stays paused."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command as LangGraphCommand
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.langgraph.lg_graphs import build_hitl_agent
from tests.langgraph.test_create_agent import DECISIONS, KNOWN, QUESTION, _message

TASK_QUEUE = "langgraph-http-agent"
GATE = "HumanInTheLoopMiddleware.after_model"


@pytest_asyncio.fixture(scope="module")
async def url(client: Client) -> AsyncIterator[str]:
    served = {
        "hitl_agent": build_hitl_agent(),
        "hitl_limited": build_hitl_agent(allowed=["approve", "reject"]),
    }
    async with create_worker(client, served, task_queue=TASK_QUEUE):
        app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(served))
        async with serve(app) as base:
            yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


def _values(out: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in out.items() if k not in ("__interrupt__", "hitl_edited_tool_calls")}
    values["messages"] = [_message(m) for m in values.get("messages", [])]
    return values


@pytest.mark.parametrize("decision", sorted(DECISIONS))
async def test_each_decision_through_langgraph_sdk(sdk: LangGraphClient, decision: str) -> None:
    if decision not in KNOWN:
        pytest.skip(f"this langchain's middleware has no '{decision}'")
    reference = build_hitl_agent(InMemorySaver())
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
    paused_ref = reference.invoke(QUESTION, config)
    done_ref = reference.invoke(LangGraphCommand(resume=DECISIONS[decision]), config)

    tid = (await sdk.threads.create())["thread_id"]
    out: Any = await sdk.runs.wait(tid, "hitl_agent", input=QUESTION)
    [pending] = out["__interrupt__"]
    assert pending["value"] == paused_ref["__interrupt__"][0].value
    assert pending["response_schema"]["required"] == ["decisions"]
    assert _values(out) == _values(paused_ref)
    thread = await sdk.threads.get(tid)
    assert thread["status"] == "interrupted"
    state = await sdk.threads.get_state(tid)
    assert state["next"] == [GATE]
    assert state["tasks"][0]["interrupts"][0]["id"] == pending["id"]

    done: Any = await sdk.runs.wait(
        tid, "hitl_agent", command={"resume": {pending["id"]: DECISIONS[decision]}}
    )
    assert _values(done) == _values(done_ref)
    assert (await sdk.threads.get(tid))["status"] == "idle"


async def test_a_decision_not_allowed_is_refused_over_http(url: str, sdk: LangGraphClient) -> None:
    """The Agent Server answers a refused resume with HTTP 200 and an `__error__` body (the SDK
    raises it); Tempograph's refusal comes from the answer's JSON Schema, before the run sees
    it: the thread keeps its interrupt and a correct decision still works."""
    tid = (await sdk.threads.create())["thread_id"]
    out: Any = await sdk.runs.wait(tid, "hitl_limited", input=QUESTION)
    [pending] = out["__interrupt__"]
    allowed = pending["response_schema"]["properties"]["decisions"]["items"]
    assert allowed["properties"]["type"]["enum"] == ["approve", "reject"]

    with pytest.raises(Exception, match="response_schema"):
        await sdk.runs.wait(tid, "hitl_limited", command={"resume": DECISIONS["edit"]})
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "hitl_limited", "command": {"resume": {"decisions": []}}},
        )
    assert r.status_code == 200
    assert "response_schema" in r.json()["__error__"]["message"]

    state = await sdk.threads.get_state(tid)
    assert state["next"] == [GATE]
    assert [i["id"] for i in state["tasks"][0]["interrupts"]] == [pending["id"]]
    done: Any = await sdk.runs.wait(tid, "hitl_limited", command={"resume": DECISIONS["reject"]})
    assert done["messages"][2]["status"] == "error"
    # The rejection's message ("... with reason: not now"; langchain 1.0: "not now" alone).
    assert done["messages"][2]["content"].endswith("not now")
    assert (await sdk.threads.get(tid))["status"] == "idle"
