"""Assistants through the real langgraph-sdk (0.4.14) against Tempograph's Agent Server API:
graph topology and schemas, and stored assistants (create, update, versions, runs)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs


@pytest_asyncio.fixture(scope="module")
async def url(client: Client, worker: Worker) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), all_graphs())
    async with serve(app) as base:
        yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


def pairs(graph: dict[str, list[dict[str, object]]]) -> set[tuple[object, object, bool]]:
    return {(e["source"], e["target"], bool(e.get("conditional"))) for e in graph["edges"]}


async def test_get_graph_nodes_and_edges(sdk: LangGraphClient) -> None:
    graph = await sdk.assistants.get_graph("route")
    ids = [n["id"] for n in graph["nodes"]]
    assert ids == ["__start__", "a", "sib", "x", "y", "__end__"]
    assert graph["nodes"][0] == {"id": "__start__", "type": "schema", "data": "__start__"}
    assert graph["nodes"][1]["type"] == "runnable" and graph["nodes"][1]["data"]["name"] == "a"
    assert pairs(graph) == {
        ("__start__", "a", False),
        ("__start__", "sib", False),
        ("a", "x", True),
        ("a", "y", True),
        ("sib", "__end__", False),
        ("x", "__end__", False),
        ("y", "__end__", False),
    }
    # A path map key other than the target's name labels the conditional edge.
    assert {e["data"] for e in graph["edges"] if e["source"] == "a"} == {"to_x", "to_y"}
    # The system assistant's UUID names the same graph.
    assistant = await sdk.assistants.get("route")
    assert await sdk.assistants.get_graph(assistant["assistant_id"]) == graph


async def test_get_graph_xray_draws_subgraph_nodes(sdk: LangGraphClient) -> None:
    flat = await sdk.assistants.get_graph("sub")
    assert "sub" in [n["id"] for n in flat["nodes"]]
    assert ("p1", "sub", False) in pairs(flat)
    deep = await sdk.assistants.get_graph("sub", xray=True)
    ids = [n["id"] for n in deep["nodes"]]
    assert "sub" not in ids and {"sub:s1", "sub:s2"} <= set(ids)
    assert {("p1", "sub:s1", False), ("sub:s1", "sub:s2", False), ("sub:s2", "__end__", False)} <= (
        pairs(deep)
    )
    # A router without a path map may go to any node.
    assert ("__start__", "qa", True) in pairs(deep)
    assert await sdk.assistants.get_graph("sub", xray=1) == deep
    assert await sdk.assistants.get_graph("sub", xray=0) == flat


async def test_get_schemas(sdk: LangGraphClient) -> None:
    schemas = await sdk.assistants.get_schemas("route")
    assert schemas["graph_id"] == "route"
    state = schemas["state_schema"]
    assert state is not None and {"log", "n", "m", "route"} <= set(state["properties"])
    assert schemas["output_schema"] == state
    assert schemas["input_schema"] is not None and "required" not in schemas["input_schema"]
    assert schemas["context_schema"] is None and schemas["config_schema"] is None


async def test_get_subgraphs(sdk: LangGraphClient) -> None:
    subgraphs = await sdk.assistants.get_subgraphs("sub")
    assert list(subgraphs) == ["sub"]
    assert set(subgraphs["sub"]["state_schema"]["properties"]) >= {"log"}
    assert await sdk.assistants.get_subgraphs("sub", namespace="sub") == subgraphs
    assert await sdk.assistants.get_subgraphs("sub", namespace="nope") == {}
    assert await sdk.assistants.get_subgraphs("route", recurse=True) == {}


async def test_graph_of_unknown_assistant_and_bad_xray(sdk: LangGraphClient) -> None:
    with pytest.raises(NotFoundError):
        await sdk.assistants.get_graph("no-such-graph")
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.get_graph("route", params={"xray": "deep"})


async def test_get_schemas_context(sdk: LangGraphClient) -> None:
    schemas = await sdk.assistants.get_schemas("config_context")
    context = schemas["context_schema"]
    assert context is not None and set(context["properties"]) == {"user_id", "model_name"}
    assert context["properties"]["user_id"]["default"] == "anon"
    config = schemas["config_schema"]
    assert (
        config is not None
        and config["properties"]["configurable"]["properties"] == (context["properties"])
    )
