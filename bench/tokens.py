"""Token streaming benchmark: LLM tokens from a node activity to an HTTP client, side by side
with LangGraph's in-process streaming.

    .venv/bin/python -m bench.tokens                 # ~1 min; writes bench/results/TOKENS.md
    .venv/bin/python -m bench.tokens --runs 3 --skip-reference --no-long

One headless dev server; the worker and the HTTP API (tempograph.http, uvicorn) run in this
process, the client reads the SSE stream over a real socket (`stream_mode: messages-tuple`).
The model (bench/token_model.py) emits `--tokens` tokens `--interval` apart and notes the wall
clock of each; the client notes when each arrives. Measured:
- first token: arrival of the first token minus its emission (target: within 50 ms);
- per-token latency p50 / p95 over all tokens of all runs;
- tokens/s delivered (tokens over first-to-last arrival) against the model's own pace;
- order: every run's tokens arrive once each, in order (a failure stops the benchmark);
- history: bytes and events a streamed run adds over the same run not streamed, per 1,000
  tokens; and one long run (`--long`, 10,000 tokens) for the bound the README documents.
Reference: the same graph and model in LangGraph's own `astream(stream_mode="messages")`, in
the langgraph-sqlite peer's venv (bench/peers/tokens_langgraph.py; built on first use).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from temporalio.client import Client

from bench.common import RESULTS_DIR, history_stats, median, percentile, quiet_logs
from bench.peers import envs
from bench.token_model import EMITTED, PacedModel, token
from tempograph import GraphClient, connect, create_worker
from tempograph.devserver import DevServer
from tempograph.graph import START, MessagesState, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import free_port, serve

TASK_QUEUE = "bench-tokens"
REFERENCE_PEER = "langgraph-sqlite"


def token_graph(tokens: int, interval: float) -> Any:
    model = PacedModel(tokens=tokens, interval=interval)

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    return builder.compile()


@dataclass
class Samples:
    system: str
    first_ms: list[float] = field(default_factory=list)
    token_ms: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)

    def add(self, emitted: list[float], received: list[float], contents: list[str]) -> None:
        expected = [token(i) for i in range(len(emitted))]
        if contents != expected:
            raise AssertionError(
                f"{self.system}: tokens out of order, missing or twice: "
                f"{len(contents)} received, {len(expected)} emitted"
            )
        lat = [(r - e) * 1000 for e, r in zip(emitted, received, strict=True)]
        self.first_ms.append(lat[0])
        self.token_ms.extend(lat)
        span = received[-1] - received[0]
        if span > 0:
            self.tokens_per_s.append((len(received) - 1) / span)

    def row(self) -> dict[str, float | str]:
        return {
            "system": self.system,
            "first token p50 ms": median(self.first_ms),
            "first token max ms": max(self.first_ms),
            "token p50 ms": median(self.token_ms),
            "token p95 ms": percentile(self.token_ms, 95),
            "tokens/s delivered": median(self.tokens_per_s),
        }


async def sse_tokens(
    http: httpx.AsyncClient, thread: str, key: str, assistant: str = "tokens"
) -> tuple[list[float], list[str]]:
    """Stream one run over HTTP; arrival time and content of each token chunk."""
    body = {
        "assistant_id": assistant,
        "input": {"messages": [{"role": "user", "content": key}]},
        "stream_mode": ["messages-tuple"],
    }
    received: list[float] = []
    contents: list[str] = []
    event = ""
    async with http.stream("POST", f"/threads/{thread}/runs/stream", json=body) as reply:
        reply.raise_for_status()
        async for line in reply.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "messages":
                now = time.time()
                chunk, _meta = json.loads(line[5:])
                if chunk.get("type") == "AIMessageChunk" and chunk.get("content"):
                    received.append(now)
                    contents.append(chunk["content"])
            elif line.startswith("data:") and event == "error":
                raise RuntimeError(f"run failed: {line}")
    return received, contents


async def tempograph_http(
    client: Client, base: str, runs: int, warmup: int
) -> tuple[Samples, list[str]]:
    samples = Samples("tempograph (HTTP SSE, worker activity)")
    threads: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        for i in range(warmup + runs):
            thread = str(uuid.uuid4())
            (await http.post("/threads", json={"thread_id": thread})).raise_for_status()
            key = uuid.uuid4().hex
            received, contents = await sse_tokens(http, thread, key)
            if i >= warmup:
                samples.add(EMITTED[key], received, contents)
                threads.append(thread)
    return samples, threads


def reference(tokens: int, interval: float, runs: int) -> Samples:
    with open(os.devnull, "wb") as quiet:
        envs.ensure_env(REFERENCE_PEER, output=quiet)
    script = envs.HERE / "tokens_langgraph.py"
    out = subprocess.run(
        [str(envs.env_python(REFERENCE_PEER)), str(script), str(tokens), str(interval), str(runs)],
        check=True,
        capture_output=True,
        text=True,
    )
    samples = Samples("LangGraph in-process (astream messages)")
    for run in json.loads(out.stdout)["runs"][1:]:  # the first one warms up
        samples.add(run["emitted"], run["received"], run["contents"])
    return samples


async def history_cost(
    client: Client, graphs: GraphClient, streamed: list[str]
) -> dict[str, float]:
    """Bytes and events a streamed run adds, from the same run not streamed."""
    plain = []
    for _ in range(2):
        thread = str(uuid.uuid4())
        await graphs.invoke("tokens", {"messages": [("user", uuid.uuid4().hex)]}, thread_id=thread)
        plain.append(await history_stats(client, thread))
    with_stream = [await history_stats(client, t) for t in streamed]
    base_bytes = median([float(h.bytes) for h in plain])
    base_events = median([float(h.events) for h in plain])
    return {
        "plain bytes": base_bytes,
        "plain events": base_events,
        "streamed bytes": median([float(h.bytes) for h in with_stream]),
        "streamed events": median([float(h.events) for h in with_stream]),
    }


def markdown(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    cost: dict[str, float],
    long: dict[str, Any],
) -> str:
    per_k = 1000 / args.tokens
    lines = [
        "# Token streaming",
        "",
        f"`python -m bench.tokens --tokens {args.tokens} --interval {args.interval} "
        f"--runs {args.runs}`: {args.tokens} tokens, one every {args.interval * 1000:.0f} ms "
        f"(the model's pace: {1 / args.interval:.0f} tokens/s), {args.runs} runs after warm-up.",
        "Every run's tokens arrived once each, in order (checked).",
        "",
        "| system | first token p50 | first token max | token p50 | token p95 | tokens/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['system']} | {row['first token p50 ms']:.1f} ms | "
            f"{row['first token max ms']:.1f} ms | {row['token p50 ms']:.1f} ms | "
            f"{row['token p95 ms']:.1f} ms | {row['tokens/s delivered']:.0f} |"
        )
    first = rows[0]["first token p50 ms"]
    lines += [
        "",
        f"Target: first token within 50 ms: {'met' if first <= 50 else 'MISSED'} ({first:.1f} ms).",
        "",
        "## History",
        "",
        f"- a run not streamed: {cost['plain events']:.0f} events, {cost['plain bytes']:.0f} bytes;"
        f" streamed: {cost['streamed events']:.0f} events, {cost['streamed bytes']:.0f} bytes",
        f"- per 1,000 tokens streamed: "
        f"{(cost['streamed bytes'] - cost['plain bytes']) * per_k:.0f} bytes, "
        f"{(cost['streamed events'] - cost['plain events']) * per_k:.0f} events",
    ]
    if long:
        lines.append(
            f"- one run of {long['tokens']} tokens in {long['seconds']:.1f} s: "
            f"{long['events']} events, {long['bytes']} bytes in all "
            f"({long['batches']} batches)"
        )
    return "\n".join(lines) + "\n"


async def long_run(base: str, client: Client, tokens: int) -> dict[str, Any]:
    """One streamed run of `tokens` tokens (1 ms apart): what it costs in history."""
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        thread = str(uuid.uuid4())
        (await http.post("/threads", json={"thread_id": thread})).raise_for_status()
        key = uuid.uuid4().hex
        t0 = time.perf_counter()
        received, contents = await sse_tokens(http, thread, key, assistant="tokens_long")
        seconds = time.perf_counter() - t0
    Samples("long run").add(EMITTED[key], received, contents)  # all of them, in order
    stats = await history_stats(client, thread)
    batches = 0
    async for event in client.get_workflow_handle(thread).fetch_history_events():
        batches += event.HasField("workflow_execution_signaled_event_attributes")
    return {
        "tokens": tokens,
        "seconds": seconds,
        "events": stats.events,
        "bytes": stats.bytes,
        "batches": batches,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--no-long", action="store_true", help="skip the 10,000-token run")
    args = parser.parse_args()
    quiet_logs()
    graphs_map = {
        "tokens": token_graph(args.tokens, args.interval),
        "tokens_long": token_graph(10_000, 0.001),
    }
    server = DevServer(port=free_port(), ui_port=None)
    await server.start()
    try:
        client = await connect(server.address)
        async with create_worker(client, graphs_map, task_queue=TASK_QUEUE):
            graphs = GraphClient(client, task_queue=TASK_QUEUE)
            app = create_app(graphs, sorted(graphs_map))
            async with serve(app) as base:
                ours, streamed = await tempograph_http(client, base, args.runs, warmup=2)
                cost = await history_cost(client, graphs, streamed)
                long = {} if args.no_long else await long_run(base, client, 10_000)
    finally:
        server.stop()
    rows = [ours.row()]
    if not args.skip_reference:
        rows.append(reference(args.tokens, args.interval, args.runs + 1).row())
    RESULTS_DIR.mkdir(exist_ok=True)
    text = markdown(args, rows, cost, long)
    (RESULTS_DIR / "TOKENS.md").write_text(text)
    (RESULTS_DIR / "tokens.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "history": cost,
                "long": long,
                "args": vars(args),
                "samples": [asdict(ours)],
            },
            indent=1,
        )
    )
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
