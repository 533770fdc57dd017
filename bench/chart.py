"""Render Results as bench/results/bench.png (matplotlib, Agg backend): one panel per measure."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.axes import Axes  # noqa: E402

from bench import report  # noqa: E402
from bench.common import Results, median, percentile  # noqa: E402
from bench.graphs import FANOUT_WIDTH, LINEAR_SIZES  # noqa: E402
from bench.history import per_node  # noqa: E402

COLORS = {
    "tempograph": "#1f77b4",
    "tempograph-local": "#17becf",
    "floor": "#2ca02c",
    "floor-1act": "#98df8a",
    "temporalio-langgraph": "#ff7f0e",
    "langgraph-temporal": "#d62728",
    "langgraph-sqlite": "#7f7f7f",
    "tempograph-http": "#9467bd",
}
SHORT = {
    "tempograph": "Tempograph",
    "tempograph-local": "Tempograph\n(local act.)",
    "floor": "Floor",
    "floor-1act": "Floor\n(1 act./resume)",
    "temporalio-langgraph": "temporalio-\nlanggraph",
    "langgraph-temporal": "langgraph-\ntemporal",
    "langgraph-sqlite": "LangGraph\n+ SQLite",
    "tempograph-http": "Tempograph\n(HTTP API)",
}


def bars(ax: Axes, values: dict[str, float], title: str, unit: str) -> None:
    keys = [k for k, v in values.items() if not math.isnan(v)]
    if not keys:
        ax.set_visible(False)
        return
    heights = [values[k] for k in keys]
    ax.bar(range(len(keys)), heights, color=[COLORS.get(k, "#9467bd") for k in keys])
    for x, h in enumerate(heights):
        ax.annotate(f"{h:.1f}", (x, h), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(keys)), [SHORT.get(k, k) for k in keys], fontsize=7)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit)


def linear_lines(ax: Axes, results: Results) -> None:
    for key, by_n in results.linear.items():
        ns = [n for n in LINEAR_SIZES if n in by_n]
        ax.plot(
            ns,
            [median(by_n[n]) for n in ns],
            marker="o",
            color=COLORS.get(key),
            label=SHORT.get(key, key).replace("\n", " "),
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(list(LINEAR_SIZES), [str(n) for n in LINEAR_SIZES])
    ax.set_xlabel("nodes N")
    ax.set_ylabel("ms per run (median)")
    ax.set_title("Linear-N: end-to-end latency", fontsize=10)
    ax.legend(fontsize=6)


def resume_bars(ax: Axes, results: Results) -> None:
    keys = list(results.hitl)
    width = 0.4
    for k, (what, index) in enumerate((("resume -> interrupt", 0), ("resume -> end", 1))):
        values = [median(report.flat(results.hitl[key], index)) for key in keys]
        ax.bar(
            [x + (k - 0.5) * width for x in range(len(keys))],
            values,
            width,
            label=what,
            color=[COLORS.get(key, "#9467bd") for key in keys],
            alpha=1.0 - 0.45 * k,
        )
    ax.set_xticks(range(len(keys)), [SHORT.get(k, k) for k in keys], fontsize=6)
    ax.set_ylabel("ms (median)")
    ax.set_title("HITL: resume round trip (dark: to next interrupt, light: to end)", fontsize=10)


def scale_lines(rss: Axes, latency: Axes, rate: Axes, results: Results) -> None:
    for key, res in results.scale.items():
        parked = [lv.parked for lv in res.levels]
        color = COLORS.get(key)
        name = report.SCALE_LABELS.get(key, key)
        rss.plot(
            parked,
            [lv.worker_rss_mb for lv in res.levels],
            marker="o",
            color=color,
            label=f"{name} worker",
        )
        latency.plot(
            parked,
            [median(lv.resume_ms) for lv in res.levels],
            marker="o",
            color=color,
            label=f"{name} p50",
        )
        latency.plot(
            parked,
            [percentile(lv.resume_ms, 99) for lv in res.levels],
            marker="^",
            linestyle="--",
            color=color,
            label=f"{name} p99",
        )
        rate.plot(
            parked, [lv.starts_per_s for lv in res.levels], marker="o", color=color, label=name
        )
    for ax, title, unit in (
        (rss, "Paused scale: worker RSS", "MB"),
        (latency, "Paused scale: resume latency", "ms"),
        (rate, "Paused scale: starts per second", "runs/s"),
    ):
        ax.set_xscale("log")
        ax.set_xlabel("runs parked")
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=6)


def throughput_bars(ax: Axes, results: Results, what: str) -> None:
    """Grouped bars, one group per N: runs/s (what="rate") or run p50 ms (what="p50")."""
    sizes = report.throughput_sizes(results)
    keys = list(results.throughput)
    width = 0.8 / max(len(keys), 1)
    for k, key in enumerate(keys):
        values = []
        for n in sizes:
            batches = report.batches_at(results, key, n)
            runs = [ms for b in batches for ms in b.run_ms]
            values.append(
                report.runs_per_s(results, key, n) if what == "rate" else median(runs) / 1000
            )
        xs = [i + (k - (len(keys) - 1) / 2) * width for i in range(len(sizes))]
        ax.bar(xs, values, width, color=COLORS.get(key, "#9467bd"), label=SHORT.get(key, key))
        for x, v in zip(xs, values, strict=True):
            if not math.isnan(v):
                ax.annotate(f"{v:.1f}", (x, v), ha="center", va="bottom", fontsize=6)
    ax.set_xticks(range(len(sizes)), [f"N={n}" for n in sizes])
    if what == "rate":
        ax.set_title("Throughput: N concurrent runs (start, pause, resume, end)", fontsize=10)
        ax.set_ylabel("runs/s (median of rounds)")
    else:
        ax.set_title("Throughput: latency per run (p50)", fontsize=10)
        ax.set_ylabel("s from start call to final values")
    ax.legend(fontsize=6)


def render(results: Results, path: Path) -> None:
    fig, axes = plt.subplots(3, 4, figsize=(22, 14))
    slope = report.per_node_ms(results)
    bars(axes[0][0], slope, "Per-node overhead: (T50 - T1) / 49", "ms per node")
    if results.linear:
        linear_lines(axes[0][1], results)
    else:
        axes[0][1].set_visible(False)
    bars(
        axes[0][2],
        {k: median(v) for k, v in results.fanout.items()},
        f"Fan-out: {FANOUT_WIDTH} parallel nodes + join",
        "ms per run (median)",
    )
    if results.hitl:
        resume_bars(axes[0][3], results)
    else:
        axes[0][3].set_visible(False)
    bars(
        axes[1][0],
        {k: per_node(s, "linear", "bytes") for k, s in results.history.items()},
        "Temporal history bytes per node",
        "bytes",
    )
    if results.scale:
        scale_lines(axes[1][1], axes[1][2], axes[1][3], results)
    else:
        for ax in axes[1][1:]:
            ax.set_visible(False)
    if results.throughput:
        throughput_bars(axes[2][0], results, "rate")
        throughput_bars(axes[2][1], results, "p50")
    else:
        axes[2][0].set_visible(False)
        axes[2][1].set_visible(False)
    for ax in axes[2][2:]:
        ax.set_visible(False)
    fig.suptitle(
        f"Tempograph benchmarks, {results.meta.get('date')} ({results.meta.get('machine')}, "
        f"{results.meta.get('mode')} run)",
        fontsize=12,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
