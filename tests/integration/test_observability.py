"""Observability against the real dev server: the worker's Prometheus endpoint (SDK runtime and
Tempograph's run metrics), the HTTP API's /metrics (waiting runs), one trace per run read from an
in-memory span exporter, and the environment path end to end (a `tempograph worker` process with
JSON logs, console spans and TEMPOGRAPH_METRICS_ADDRESS)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Worker

from tempograph import GraphClient, ResumeError, TempographPlugin, connect, create_worker
from tempograph.devserver import DevServer
from tempograph.errors import GraphRunError
from tempograph.http import create_app
from tempograph.http import metrics as api_metrics
from tempograph.observability import metrics_runtime
from tempograph.types import Command
from tests.conftest import free_port
from tests.sample_graphs import build_ask, build_failing

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str, name: str, **labels: str) -> list[float]:
    """Values of the samples called `name` whose labels include `labels`."""
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            # The parser names a counter's samples <name>_total (the SDK exports them bare).
            named = sample.name in (name, f"{name}_total")
            if named and all(sample.labels.get(k) == v for k, v in labels.items()):
                found.append(sample.value)
    return found


async def scrape(url: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(url, timeout=10)
    response.raise_for_status()
    return response.text


@pytest_asyncio.fixture(scope="module")
async def metered(server: DevServer) -> AsyncIterator[tuple[Client, str, str]]:
    """A client on a Prometheus runtime (TEMPOGRAPH_METRICS_ADDRESS's), and a worker on it."""
    address = f"127.0.0.1:{free_port()}"
    runtime = metrics_runtime({"TEMPOGRAPH_METRICS_ADDRESS": address})
    client = await connect(server.address, runtime=runtime)
    queue = f"obs-{uuid.uuid4().hex[:8]}"
    graphs = {"ask": build_ask(), "failing": build_failing()}
    async with create_worker(client, graphs, task_queue=queue):
        yield client, queue, f"http://{address}/metrics"


async def test_worker_metrics_count_a_pause_a_resume_a_refusal_and_a_failure(
    metered: tuple[Client, str, str],
) -> None:
    client, queue, url = metered
    gc = GraphClient(client, task_queue=queue)
    thread = f"t-{uuid.uuid4().hex[:8]}"
    paused = await gc.invoke("ask", {"x": 1}, thread_id=thread)
    assert paused["__interrupt__"]
    with pytest.raises(ResumeError):
        await gc.resume(thread, {"0" * 32: "x"})  # an interrupt id that is not pending
    await asyncio.sleep(0.2)  # a measurable pause
    done = await gc.invoke("ask", Command(resume="yes"), thread_id=thread)
    assert done["human"] == "yes"
    with pytest.raises(GraphRunError):
        await gc.invoke("failing", {}, thread_id=f"t-{uuid.uuid4().hex[:8]}")

    on = {"task_queue": queue}
    # A run that failed answers its caller before its workflow task closes the run.
    for _ in range(50):
        text = await scrape(url)
        if samples(text, "tempograph_runs_failed", graph="failing", **on):
            break
        await asyncio.sleep(0.1)
    assert samples(text, "tempograph_runs_started", graph="ask", **on) == [1]
    assert samples(text, "tempograph_runs_started", graph="failing", **on) == [1]
    assert samples(text, "tempograph_runs_paused", graph="ask", kind="interrupt", **on) == [1]
    assert samples(text, "tempograph_runs_resumed", graph="ask", by="client", **on) == [1]
    assert samples(
        text, "tempograph_resumes_refused", graph="ask", kind="UnknownInterrupt", **on
    ) == [1]
    assert samples(text, "tempograph_runs_completed", graph="ask", **on) == [1]
    assert samples(text, "tempograph_runs_failed", graph="failing", kind="ValueError", **on) == [1]
    assert samples(text, "tempograph_pause_duration_seconds_count", graph="ask", **on) == [1]
    (total,) = samples(text, "tempograph_pause_duration_seconds_sum", graph="ask", **on)
    assert 0.2 <= total < 30
    # The pause duration buckets reach weeks (PAUSE_DURATION_BUCKETS), not milliseconds.
    assert samples(text, "tempograph_pause_duration_seconds_bucket", le="604800", **on) == [1]
    # The SDK runtime's own metrics are on the same endpoint.
    assert samples(text, "temporal_workflow_completed", workflow_type="GraphRun", **on)
    assert samples(text, "temporal_activity_execution_latency_count", **on)


async def test_a_plugin_worker_is_observed_too(metered: tuple[Client, str, str]) -> None:
    client, _, url = metered
    queue = f"plugin-{uuid.uuid4().hex[:8]}"
    plugin = TempographPlugin({"ask": build_ask()})
    async with Worker(client, task_queue=queue, plugins=[plugin]):
        gc = GraphClient(client, task_queue=queue)
        thread = f"t-{uuid.uuid4().hex[:8]}"
        await gc.invoke("ask", {"x": 1}, thread_id=thread)
        await gc.invoke("ask", Command(resume="yes"), thread_id=thread)
    text = await scrape(url)
    assert samples(text, "tempograph_runs_paused", graph="ask", task_queue=queue) == [1]
    assert samples(text, "tempograph_runs_resumed", graph="ask", task_queue=queue) == [1]


async def test_http_metrics_count_waiting_runs(
    metered: tuple[Client, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, queue, _ = metered
    monkeypatch.setattr(api_metrics, "WAITING_TTL", 0.0)
    gc = GraphClient(client, task_queue=queue)
    app = create_app(gc, ["ask", "failing"], api_token="secret")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/metrics")).status_code == 401  # behind the token
        headers = {"x-api-key": "secret"}

        async def waiting() -> float:
            response = await http.get("/metrics", headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain")
            text = response.text
            assert samples(text, "process_cpu_seconds_total")  # the process's own
            (value,) = samples(text, "tempograph_waiting_runs", graph="ask")
            return value

        before = await waiting()
        thread = f"t-{uuid.uuid4().hex[:8]}"
        await gc.invoke("ask", {"x": 1}, thread_id=thread)
        for _ in range(100):  # visibility is eventually consistent
            if await waiting() == before + 1:
                break
            await asyncio.sleep(0.1)
        assert await waiting() == before + 1
        await gc.invoke("ask", Command(resume="ok"), thread_id=thread)
        for _ in range(100):
            if await waiting() == before:
                break
            await asyncio.sleep(0.1)
        assert await waiting() == before


async def test_one_trace_per_run_start_nodes_pause_resume(server: DevServer) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # The application's tracer, not the global one (other tests share this process).
    client = await connect(
        server.address, interceptors=[TracingInterceptor(provider.get_tracer("test"))]
    )
    queue = f"trace-{uuid.uuid4().hex[:8]}"
    thread = f"t-{uuid.uuid4().hex[:8]}"
    async with create_worker(client, {"ask": build_ask()}, task_queue=queue):
        gc = GraphClient(client, task_queue=queue)
        await gc.invoke("ask", {"x": 1}, thread_id=thread)
        await gc.invoke("ask", Command(resume="yes"), thread_id=thread)
    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    (run,) = [s for s in spans if s.name == "RunWorkflow:GraphRun"]
    assert run.context is not None
    trace = [
        s for s in spans if s.context is not None and s.context.trace_id == run.context.trace_id
    ]
    names = [s.name for s in sorted(trace, key=lambda s: s.start_time or 0)]
    # The client's start is the root of the run's trace.
    assert any(n.startswith("Start") and n.endswith("GraphRun") for n in names), names
    pause = names.index("tempograph.pause")
    resume = names.index("tempograph.resume")
    assert names.index("HandleUpdate:resume_update") < resume
    # Nodes before the pause (a, ask) and after the resume (ask again, b).
    assert names[:pause].count("RunActivity:tempograph.run_node") >= 2
    assert names[resume:].count("RunActivity:tempograph.run_node") >= 2
    assert "CompleteWorkflow:GraphRun" in names
    (pause_span,) = [s for s in trace if s.name == "tempograph.pause"]
    attributes = dict(pause_span.attributes or {})
    assert attributes["tempograph.graph"] == "ask"
    assert attributes["tempograph.pause_kind"] == "interrupt"
    (interrupt_id,) = attributes["tempograph.interrupt_ids"]  # type: ignore[misc]
    (resume_span,) = [s for s in trace if s.name == "tempograph.resume"]
    assert dict(resume_span.attributes or {})["tempograph.interrupt_ids"] == (interrupt_id,)
    # The resuming call is linked from the run's trace (it has a trace of its own).
    (handled,) = [s for s in trace if s.name == "HandleUpdate:resume_update"]
    assert handled.links and handled.links[0].context.trace_id != run.context.trace_id


GRAPH_MODULE = """
import structlog
from typing import TypedDict
from tempograph.graph import END, START, StateGraph
from tempograph.types import interrupt

log = structlog.get_logger("obs_graph")


class State(TypedDict, total=False):
    answer: str


def ask(state: State) -> dict:
    log.info("asking the human")
    return {"answer": interrupt("ok?")}


builder = StateGraph(State)
builder.add_node("ask", ask)
builder.add_edge(START, "ask")
builder.add_edge("ask", END)
graph = builder.compile()
"""


async def test_worker_process_from_the_environment(server: DevServer, tmp_path: Path) -> None:
    """`tempograph worker` with TEMPOGRAPH_LOG_FORMAT=json, OTEL_TRACES_EXPORTER=console and
    TEMPOGRAPH_METRICS_ADDRESS: JSON logs with thread/run/node/attempt and the interrupt id,
    spans on stdout, metrics on the address."""
    (tmp_path / "obs_graph.py").write_text(textwrap.dedent(GRAPH_MODULE))
    queue = f"env-{uuid.uuid4().hex[:8]}"
    address = f"127.0.0.1:{free_port()}"
    env = dict(
        os.environ,
        TEMPORAL_ADDRESS=server.address,
        TEMPOGRAPH_TASK_QUEUE=queue,
        TEMPOGRAPH_LOG_FORMAT="json",
        OTEL_TRACES_EXPORTER="console",
        OTEL_SERVICE_NAME="tempograph-test-worker",
        OTEL_BSP_SCHEDULE_DELAY="100",
        TEMPOGRAPH_METRICS_ADDRESS=address,
    )
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tempograph",
        "worker",
        "--graph",
        f"obs={tmp_path / 'obs_graph.py'}:graph",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        assert first.strip() == b"ready", first
        # A traced client starts the run: its trace goes on in the worker process.
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        client = await connect(
            server.address, interceptors=[TracingInterceptor(provider.get_tracer("test"))]
        )
        gc = GraphClient(client, task_queue=queue)
        thread = f"t-{uuid.uuid4().hex[:8]}"
        paused = await gc.invoke("obs", {}, thread_id=thread)
        (interrupt,) = paused["__interrupt__"]
        await gc.invoke("obs", Command(resume="yes"), thread_id=thread)
        text = await scrape(f"http://{address}/metrics")
        assert samples(text, "tempograph_runs_resumed", graph="obs", task_queue=queue) == [1]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert lines, err.decode()
    (node_line,) = [line for line in lines if line.get("event") == "asking the human"][:1]
    assert node_line["thread_id"] == thread
    assert node_line["node"] == "ask" and node_line["graph"] == "obs"
    assert node_line["attempt"] == 1 and node_line["run_id"]
    (paused_line,) = [line for line in lines if line.get("event") == "run paused"]
    assert paused_line["thread_id"] == thread and paused_line["run_id"] == node_line["run_id"]
    assert paused_line["interrupt_ids"] == [interrupt.id]
    (resumed_line,) = [line for line in lines if line.get("event") == "run resumed"]
    assert resumed_line["interrupt_ids"] == [interrupt.id]
    assert resumed_line["level"] == "info" and "timestamp" in resumed_line
    # Console spans (JSON objects, one per span) on stdout, flushed before exit.
    spans = out.decode()
    started = [s for s in exporter.get_finished_spans() if s.name.endswith(":GraphRun")]
    assert started and started[0].context is not None
    assert f'"trace_id": "0x{started[0].context.trace_id:032x}"' in spans
    for name in ("RunWorkflow:GraphRun", "RunActivity:tempograph.run_node", "tempograph.pause"):
        assert f'"name": "{name}"' in spans, name
    assert "tempograph-test-worker" in spans


def test_settings_refused_with_the_fix() -> None:
    from tempograph.logs import log_format
    from tempograph.observability import ObservabilityError

    with pytest.raises(ObservabilityError, match="host:port"):
        metrics_runtime({"TEMPOGRAPH_METRICS_ADDRESS": "9464"})
    with pytest.raises(ValueError, match="console, json"):
        log_format("xml")
    assert log_format("JSON") == "json"
    assert metrics_runtime({}) is None
