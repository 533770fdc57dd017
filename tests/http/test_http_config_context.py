"""A run's `config` and `context` reach its nodes over HTTP, mirrored as the Agent Server does
(../shared/research/agents.md §3): `configurable` alone also becomes the context, `context`
alone is copied into `configurable`, both is a 400; a resume and a fork bring their own.
Graph `config_context` (tests/sample_graphs.py): `echo` reports what it saw, `ask` pauses and
then reports what the resume brought."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph.http import create_app
from tempograph.http.run_executor import BOTH_CONFIGURABLE_AND_CONTEXT
from tempograph.http.testing import serve
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs

GRAPH = "config_context"
BOTH = (
    "Cannot specify both configurable and context. Prefer setting context alone. Context was "
    "introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable."
)
DEFAULT = {"user_id": "anon", "model_name": "default-model"}


@pytest_asyncio.fixture(scope="module")
async def url(client: Client, worker: Worker) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    async with serve(app) as base:
        yield base


@pytest_asyncio.fixture
async def api(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        yield http


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


async def new_thread(api: httpx.AsyncClient) -> str:
    r = await api.post("/threads", json={})
    assert r.status_code == 200, r.text
    return str(r.json()["thread_id"])


async def wait(api: httpx.AsyncClient, thread: str, **body: Any) -> dict[str, Any]:
    r = await api.post(f"/threads/{thread}/runs/wait", json={"assistant_id": GRAPH, **body})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def seen(out: dict[str, Any], node: str) -> dict[str, Any]:
    [entry] = [s for s in out["seen"] if s["node"] == node]
    return entry


def test_message_is_the_agent_servers() -> None:
    assert BOTH_CONFIGURABLE_AND_CONTEXT == BOTH


async def test_configurable_alone_is_also_the_context(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    config = {
        "configurable": {"user_id": "u-42", "thread_id": thread},
        "tags": ["t1"],
        "metadata": {"req": "from-config"},
        "run_name": "named",
        "recursion_limit": 7,
    }
    out = await wait(api, thread, input={}, config=config, metadata={"req": "m1"})
    assert "__interrupt__" in out
    assert seen(out, "echo") == {
        "node": "echo",
        "configurable": {"user_id": "u-42"},
        "context": {"user_id": "u-42", "model_name": "default-model"},
        "metadata": "m1",  # the run's metadata joins config["metadata"] (and wins)
        "tags": ["t1"],
        "run_name": "named",
    }


async def test_context_alone_is_copied_into_configurable(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    context = {"user_id": "ctx-user", "model_name": "m-x"}
    out = await wait(api, thread, input={}, context=context)
    echo = seen(out, "echo")
    assert echo["context"] == context and echo["configurable"] == context


async def test_neither_gives_the_schemas_defaults(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    out = await wait(api, thread, input={})
    echo = seen(out, "echo")
    assert (echo["context"], echo["configurable"], echo["tags"]) == (DEFAULT, {}, None)


@pytest.mark.parametrize("extra", [{"callbacks": ["x"]}, {"max_concurrency": 4}])
async def test_config_keys_that_cannot_reach_nodes_are_refused(
    api: httpx.AsyncClient, extra: dict[str, Any]
) -> None:
    """Nodes run in a worker: callbacks cannot travel there, and a key accepted but ignored
    would mislead; the run is refused before it starts (422 naming the key)."""
    thread = await new_thread(api)
    response = await api.post(
        f"/threads/{thread}/runs/wait",
        json={"assistant_id": "config_context", "input": {}, "config": extra},
    )
    assert response.status_code == 422, response.text
    assert next(iter(extra)) in response.text and "not supported" in response.text


@pytest.mark.parametrize(
    "configurable", [{"user_id": "u1"}, {"user_id": "u1", "thread_id": "t", "checkpoint_id": "c"}]
)
async def test_both_configurable_and_context_is_400(
    api: httpx.AsyncClient, configurable: dict[str, Any]
) -> None:
    thread = await new_thread(api)
    body = {"assistant_id": GRAPH, "input": {}, "context": {"user_id": "u2"}}
    r = await api.post(
        f"/threads/{thread}/runs/wait", json={**body, "config": {"configurable": configurable}}
    )
    assert (r.status_code, r.json()) == (400, {"detail": BOTH})
    r = await api.post("/runs/wait", json={**body, "config": {"configurable": configurable}})
    assert (r.status_code, r.json()) == (400, {"detail": BOTH})
    # Keys that name the run (thread_id, checkpoint_id) are not configuration.
    run_keys = {"configurable": {"thread_id": thread}}
    out = await wait(api, thread, input={}, context={"user_id": "u2"}, config=run_keys)
    assert seen(out, "echo")["context"]["user_id"] == "u2"


async def test_a_resume_brings_its_own_context(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    out = await wait(api, thread, input={}, context={"user_id": "first"})
    assert seen(out, "echo")["context"]["user_id"] == "first"
    done = await wait(
        api, thread, command={"resume": "yes"}, context={"user_id": "second", "model_name": "m2"}
    )
    ask = seen(done, "ask")
    assert ask["answer"] == "yes"
    assert ask["context"] == {"user_id": "second", "model_name": "m2"}
    assert ask["configurable"] == {"user_id": "second", "model_name": "m2"}
    # A resume with configurable only: mirrored into the context likewise.
    thread = await new_thread(api)
    await wait(api, thread, input={}, context={"user_id": "first"})
    done = await wait(
        api, thread, command={"resume": "ok"}, config={"configurable": {"user_id": "third"}}
    )
    assert seen(done, "ask")["context"] == {"user_id": "third", "model_name": "default-model"}


async def test_a_fork_brings_its_own_context(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    await wait(api, thread, input={}, context={"user_id": "first"})
    await wait(api, thread, command={"resume": "yes"})
    r = await api.post(f"/threads/{thread}/history", json={"limit": 20})
    assert r.status_code == 200, r.text
    [before_echo] = [c for c in r.json() if c["next"] == ["echo"]]
    out = await wait(
        api,
        thread,
        input=None,
        checkpoint_id=before_echo["checkpoint"]["checkpoint_id"],
        context={"user_id": "forked"},
    )
    assert "__interrupt__" in out
    assert seen(out, "echo")["context"]["user_id"] == "forked"


async def test_langgraph_sdk(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    out: Any = await sdk.runs.wait(tid, GRAPH, input={}, config={"configurable": {"user_id": "u1"}})
    assert seen(out, "echo")["context"] == {"user_id": "u1", "model_name": "default-model"}
    done: Any = await sdk.runs.wait(tid, GRAPH, command={"resume": "y"}, context={"user_id": "u9"})
    assert seen(done, "ask")["configurable"] == {"user_id": "u9"}

    tid = (await sdk.threads.create())["thread_id"]
    out = await sdk.runs.wait(tid, GRAPH, input={}, context={"user_id": "u1"})
    assert seen(out, "echo") == {
        "node": "echo",
        "configurable": {"user_id": "u1"},
        "context": {"user_id": "u1", "model_name": "default-model"},
        "metadata": None,
        "tags": None,
        "run_name": None,
    }
    with pytest.raises(httpx.HTTPStatusError) as err:
        await sdk.runs.wait(
            tid,
            GRAPH,
            input={},
            config={"configurable": {"user_id": "u1"}},
            context={"user_id": "u1"},
        )
    assert err.value.response.status_code == 400
    assert err.value.response.json() == {"detail": BOTH}
