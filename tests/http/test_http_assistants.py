"""Assistants through the real langgraph-sdk (0.4.14) against Tempograph's Agent Server API:
graph topology and schemas, and stored assistants (create, update, versions, runs)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, Worker

from tempograph import GraphClient
from tempograph._assistants import assistant_record_id
from tempograph._workflows.assistant_record import AssistantRecord
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


# ---------------------------------------------------------------------------------------------
# Created assistants (stored in Temporal).
# ---------------------------------------------------------------------------------------------


async def eventually_listed(sdk: LangGraphClient, assistant_id: str, **filters: object) -> list:
    """Search results once visibility lists `assistant_id` (visibility lags a little)."""
    for _ in range(50):
        found = await sdk.assistants.search(limit=1000, **filters)  # type: ignore[call-overload]
        if any(a["assistant_id"] == assistant_id for a in found):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{assistant_id} never listed")


async def test_create_get_update_versions_set_latest_delete(sdk: LangGraphClient) -> None:
    created = await sdk.assistants.create(
        "config_context",
        config={"tags": ["t1"]},
        context={"user_id": "u1"},
        metadata={"team": "a"},
        name="Helper",
        description="first",
    )
    aid = created["assistant_id"]
    assert created["graph_id"] == "config_context" and created["version"] == 1
    assert (created["config"], created["context"]) == ({"tags": ["t1"]}, {"user_id": "u1"})
    assert (created["metadata"], created["name"], created["description"]) == (
        {"team": "a"},
        "Helper",
        "first",
    )
    assert await sdk.assistants.get(aid) == created

    updated = await sdk.assistants.update(aid, context={"user_id": "u2"}, metadata={"env": "x"})
    assert updated["version"] == 2 and updated["context"] == {"user_id": "u2"}
    # Metadata merges; what is not given stays.
    assert updated["metadata"] == {"team": "a", "env": "x"} and updated["name"] == "Helper"
    assert updated["config"] == {"tags": ["t1"]} and updated["created_at"] == created["created_at"]
    assert (await sdk.assistants.get(aid))["version"] == 2

    versions = await sdk.assistants.get_versions(aid)
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["context"] == {"user_id": "u1"}
    assert [
        v["version"] for v in await sdk.assistants.get_versions(aid, metadata={"env": "x"})
    ] == [2]

    back = await sdk.assistants.set_latest(aid, 1)
    assert back["version"] == 1 and back["context"] == {"user_id": "u1"}
    assert (await sdk.assistants.get(aid))["context"] == {"user_id": "u1"}
    with pytest.raises(NotFoundError):
        await sdk.assistants.set_latest(aid, 7)

    found = await eventually_listed(sdk, aid, graph_id="config_context")
    assert {a["graph_id"] for a in found} == {"config_context"}
    assert await sdk.assistants.count(metadata={"team": "a"}) >= 1
    assert aid in [a["assistant_id"] for a in await sdk.assistants.search(name="helper", limit=100)]

    await sdk.assistants.delete(aid)
    with pytest.raises(NotFoundError):
        await sdk.assistants.get(aid)
    with pytest.raises(NotFoundError):
        await sdk.assistants.update(aid, name="again")


async def test_create_with_id_if_exists_and_refusals(sdk: LangGraphClient) -> None:
    aid = str(uuid.uuid4())
    first = await sdk.assistants.create("ask", assistant_id=aid, name="one")
    assert first["assistant_id"] == aid and first["name"] == "one"
    with pytest.raises(ConflictError):
        await sdk.assistants.create("ask", assistant_id=aid)
    same = await sdk.assistants.create("ask", assistant_id=aid, if_exists="do_nothing", name="two")
    assert same == first
    with pytest.raises(NotFoundError):
        await sdk.assistants.create("no-such-graph")
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.create("ask", assistant_id="not-a-uuid")
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.create("ask", config={"callbacks": []})
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.delete(aid, delete_threads=True)
    system = await sdk.assistants.get("ask")
    with pytest.raises(ConflictError):
        await sdk.assistants.update(system["assistant_id"], name="mine")
    with pytest.raises(ConflictError):
        await sdk.assistants.delete("ask")
    assert [v["version"] for v in await sdk.assistants.get_versions("ask")] == [1]
    # A created assistant has the graph's topology.
    assert await sdk.assistants.get_graph(aid) == await sdk.assistants.get_graph("ask")
    await sdk.assistants.delete(aid)


async def test_run_uses_the_assistants_config_and_context(sdk: LangGraphClient) -> None:
    assistant = await sdk.assistants.create(
        "config_context",
        context={"user_id": "from-assistant", "model_name": "assistant-model"},
        config={"tags": ["assistant-tag"]},
    )
    aid = assistant["assistant_id"]
    thread = await sdk.threads.create()
    tid = thread["thread_id"]
    # The run's context wins key by key; the assistant's fills the rest; tags add up.
    out = await sdk.runs.wait(
        tid, aid, input={"seen": []}, context={"user_id": "from-run"}, config={"tags": ["run-tag"]}
    )
    [echo] = out["seen"]
    assert echo["context"] == {"user_id": "from-run", "model_name": "assistant-model"}
    assert echo["tags"] == ["assistant-tag", "run-tag"]
    # The run object names the assistant.
    run = await sdk.runs.create(tid, aid, input={"seen": []})
    assert run["assistant_id"] == aid
    await sdk.runs.join(run["thread_id"], run["run_id"])

    # A new version is what the next run uses.
    await sdk.assistants.update(aid, context={"user_id": "v2", "model_name": "m2"})
    out = await sdk.runs.wait(None, aid, input={"seen": []})
    assert out["seen"][0]["context"] == {"user_id": "v2", "model_name": "m2"}

    await sdk.assistants.delete(aid)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await sdk.runs.wait(None, aid, input={"seen": []})
    assert refused.value.response.status_code == 404


async def test_another_server_process_sees_the_same_assistant(
    sdk: LangGraphClient, client: Client, worker: Worker
) -> None:
    """Two apps on one Temporal (two server processes): what one creates and changes, the other
    reads, versions, runs and deletes."""
    other_app = create_app(GraphClient(client, task_queue=TASK_QUEUE), all_graphs())
    async with serve(other_app) as other_url:
        other = get_client(url=other_url, api_key=None)
        try:
            created = await sdk.assistants.create("config_context", context={"user_id": "x"})
            aid = created["assistant_id"]
            assert await other.assistants.get(aid) == created
            await other.assistants.update(aid, context={"user_id": "y"})
            assert (await sdk.assistants.get(aid))["context"] == {"user_id": "y"}
            assert [v["version"] for v in await sdk.assistants.get_versions(aid)] == [2, 1]
            out = await other.runs.wait(None, aid, input={"seen": []})
            assert out["seen"][0]["context"]["user_id"] == "y"
            await other.assistants.delete(aid)
            with pytest.raises(NotFoundError):
                await sdk.assistants.get(aid)
        finally:
            await other.aclose()


async def test_runs_read_back_elsewhere_name_the_created_assistant(
    sdk: LangGraphClient, client: Client, worker: Worker
) -> None:
    """A second server process, which never saw the run nor the assistant, reads the run back
    (from Temporal) naming the assistant, and starts a batch with it."""
    aid = (await sdk.assistants.create("config_context", context={"user_id": "b"}))["assistant_id"]
    tid = (await sdk.threads.create())["thread_id"]
    run = await sdk.runs.create(tid, aid, input={"seen": []})
    await sdk.runs.join(tid, run["run_id"])
    plain = await sdk.runs.create(tid, "config_context", input={"seen": []})
    await sdk.runs.join(tid, plain["run_id"])
    other_app = create_app(GraphClient(client, task_queue=TASK_QUEUE), all_graphs())
    async with serve(other_app) as other_url:
        other = get_client(url=other_url, api_key=None)
        try:
            assert (await other.runs.get(tid, run["run_id"]))["assistant_id"] == aid
            listed = {r["run_id"]: r["assistant_id"] for r in await other.runs.list(tid)}
            assert listed[run["run_id"]] == aid
            assert (
                listed[plain["run_id"]]
                == (await sdk.assistants.get("config_context"))["assistant_id"]
            )
            # create_batch reads the created assistant from Temporal (it was 404 here).
            batch = await other.runs.create_batch(
                [{"assistant_id": aid, "input": {"seen": []}, "on_completion": "keep"}]
            )
            assert [r["assistant_id"] for r in batch] == [aid]
            out = await other.runs.join(batch[0]["thread_id"], batch[0]["run_id"])
            assert out["seen"][0]["context"]["user_id"] == "b"
        finally:
            await other.aclose()
    await sdk.assistants.delete(aid)


async def test_assistant_record_history_replays(sdk: LangGraphClient, client: Client) -> None:
    """The TempographAssistant workflow is deterministic: its history (start, a new version,
    set_latest, a refused set_latest) replays."""
    aid = (await sdk.assistants.create("ask", name="r"))["assistant_id"]
    await sdk.assistants.update(aid, name="r2")
    await sdk.assistants.set_latest(aid, 1)
    with pytest.raises(NotFoundError):
        await sdk.assistants.set_latest(aid, 9)
    handle = client.get_workflow_handle(assistant_record_id(aid))
    history = await handle.fetch_history()
    result = await Replayer(
        workflows=[AssistantRecord], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
    await sdk.assistants.delete(aid)


async def test_search_select_and_pagination(sdk: LangGraphClient) -> None:
    page = await sdk.assistants.search(
        limit=2, select=["assistant_id", "graph_id"], response_format="object"
    )
    assert len(page["assistants"]) == 2 and page["next"] == "2"
    assert all(set(a) == {"assistant_id", "graph_id"} for a in page["assistants"])
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.search(select=["nope"])  # type: ignore[list-item]
