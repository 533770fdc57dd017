"""Observability for workers and servers: JSON logs, OpenTelemetry traces, Prometheus metrics.

Configured by the environment, for every entry point that connects with `tempograph.connect`
and serves with `create_worker` / `TempographPlugin`:

- ``TEMPOGRAPH_LOG_FORMAT=json``: one JSON object per line (tempograph.logs). A node's logs carry
  `thread_id`, `run_id`, `graph`, `node`, `attempt`; a run's pause and resume lines carry its
  `interrupt_ids`.
- ``TEMPOGRAPH_METRICS_ADDRESS=host:port``: the Temporal SDK runtime serves Prometheus metrics
  at ``http://host:port/metrics``: the SDK's own (``temporal_*``: workflow/activity tasks,
  latencies, slots, sticky cache) and Tempograph's run metrics (``tempograph_*``, RUN_METRICS),
  recorded by the worker that runs the workflow through ``workflow.metric_meter()`` (never
  on replay, so a replayed history does not count twice).
- ``OTEL_TRACES_EXPORTER`` / ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_*``,
  ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``: traces through
  ``temporalio.contrib.opentelemetry.TracingInterceptor`` (the ``[otel]`` extra). One trace per
  run: the client's ``StartWorkflow:GraphRun``, the worker's ``RunWorkflow:GraphRun``, each
  node's ``StartActivity``/``RunActivity``, ``tempograph.pause`` (interrupt ids) and, with a
  link to the resuming call, ``HandleUpdate:resume_update`` and ``tempograph.resume``.
  An application that installed its own SDK TracerProvider gets traces too.

The HTTP server's ``/metrics`` (tempograph.http.metrics) adds the waiting runs gauge, counted
from Temporal's visibility (it holds across workers, restarts and continue-as-new).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleUpdateInput,
    Interceptor,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from tempograph.messages import RESUME_UPDATE, WORKFLOW_TYPE

try:  # the [otel] extra
    import opentelemetry.trace as otel_trace
    from temporalio.contrib.opentelemetry import (
        TracingInterceptor,
        TracingWorkflowInboundInterceptor,
    )
    from temporalio.contrib.opentelemetry import workflow as otel_workflow
except ImportError:  # pragma: no cover - depends on the installed extras
    otel_trace = None  # type: ignore[assignment]
    TracingInterceptor = None  # type: ignore[assignment,misc]
    TracingWorkflowInboundInterceptor = None  # type: ignore[assignment,misc]
    otel_workflow = None  # type: ignore[assignment]

__all__ = [
    "METRICS_ADDRESS_ENV",
    "PAUSE_DURATION_BUCKETS",
    "RUN_METRICS",
    "ObservabilityError",
    "RunObserver",
    "client_options",
    "configure_tracing",
    "flush",
    "metrics_runtime",
    "tracing_enabled",
    "worker_interceptors",
]

log = structlog.get_logger("tempograph.observability")

METRICS_ADDRESS_ENV = "TEMPOGRAPH_METRICS_ADDRESS"

# Tempograph's metrics, recorded by the worker that runs a GraphRun (name: what it counts).
RUN_METRICS: dict[str, str] = {
    "tempograph_runs_started": "Runs started (not counting continue-as-new), by graph",
    "tempograph_runs_paused": "Pauses (interrupts, breakpoints), by graph and kind",
    "tempograph_runs_resumed": "Pauses answered, by graph and by whom (client or deadline)",
    "tempograph_runs_completed": "Runs that ended with their values, by graph",
    "tempograph_runs_failed": "Runs that failed, by graph and error kind",
    "tempograph_resumes_refused": "Resumes refused (nothing changed), by graph and error kind",
    "tempograph_pause_duration_seconds": "Time from a pause to its answer, by graph",
}
# A human answers in seconds to weeks: buckets from 1 s to 30 days.
PAUSE_DURATION_BUCKETS: tuple[float, ...] = (
    1,
    10,
    60,
    300,
    1800,
    3600,
    4 * 3600,
    86400,
    3 * 86400,
    7 * 86400,
    30 * 86400,
)

_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


class ObservabilityError(ValueError):
    """An observability setting that cannot be honoured (says which and what to do)."""


# ---------------------------------------------------------------------------------------------
# Tracing.
# ---------------------------------------------------------------------------------------------

_tracing_lock = threading.Lock()
_tracing_configured: bool | None = None  # None: not looked at yet
_own_provider: Any = None


def _tracing_wanted(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return any(environ.get(name) for name in _OTLP_ENDPOINTS)


def _exporter(name: str, environ: Mapping[str, str]) -> Any:
    """One span exporter of OTEL_TRACES_EXPORTER (otlp or console), configured by OTEL_*."""
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name != "otlp":
        raise ObservabilityError(
            f"OTEL_TRACES_EXPORTER={name!r}: Tempograph exports traces with 'otlp' or "
            "'console' (or 'none')"
        )
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    try:
        if protocol == "http/protobuf":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        elif protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[no-redef]
                OTLPSpanExporter,
            )
        else:
            raise ObservabilityError(
                f"OTLP protocol {protocol!r}: use 'http/protobuf' (the [otel] extra) or 'grpc'"
            )
    except ImportError:
        package = "opentelemetry-exporter-otlp-proto-" + ("grpc" if protocol == "grpc" else "http")
        raise ObservabilityError(
            f"OTLP over {protocol} needs {package} (pip install {package})"
        ) from None
    # The exporter reads its endpoint, headers, timeout and certificates from OTEL_*.
    return OTLPSpanExporter()


def configure_tracing(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process traces; sets up the global TracerProvider from OTEL_* the first
    time it is asked, if the environment asks for traces and no SDK provider is installed.
    Raises ObservabilityError when traces are asked for without the [otel] extra."""
    global _tracing_configured, _own_provider
    environ = os.environ if environ is None else environ
    with _tracing_lock:
        if _tracing_configured is not None:
            return _tracing_configured
        wanted = _tracing_wanted(environ)
        if otel_trace is None:
            if wanted:
                raise ObservabilityError(
                    "OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_ENDPOINT ask for traces: install "
                    "the [otel] extra (pip install 'tempograph-hitl[otel]')"
                )
            _tracing_configured = False
            return False
        if _sdk_provider_installed():
            _tracing_configured = True  # the application's own provider
            return True
        if not wanted:
            _tracing_configured = False
            return False
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        names = [n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")]
        exporters = [_exporter(n, environ) for n in names if n and n != "none"]
        # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
        provider = TracerProvider(resource=Resource.create({}))
        for exporter in exporters:
            # The batch processor reads OTEL_BSP_* (delay, queue and batch sizes).
            provider.add_span_processor(BatchSpanProcessor(exporter))
        otel_trace.set_tracer_provider(provider)
        _own_provider = provider
        _tracing_configured = True
        log.info("tracing", exporters=names)
        return True


def _sdk_provider_installed() -> bool:
    if otel_trace is None:
        return False
    provider = otel_trace.get_tracer_provider()
    return not isinstance(provider, otel_trace.ProxyTracerProvider | otel_trace.NoOpTracerProvider)


def tracing_enabled() -> bool:
    """Whether clients and workers of this process get the TracingInterceptor."""
    return configure_tracing()


def flush(timeout_millis: int = 5000) -> None:
    """Export the spans still buffered (the CLI exits with os._exit, which runs no atexit)."""
    if _own_provider is not None:
        _own_provider.force_flush(timeout_millis)


# ---------------------------------------------------------------------------------------------
# Metrics: the SDK runtime's Prometheus endpoint.
# ---------------------------------------------------------------------------------------------

_runtimes: dict[str, Runtime] = {}
_runtime_lock = threading.Lock()


def metrics_runtime(environ: Mapping[str, str] | None = None) -> Runtime | None:
    """The Temporal runtime serving Prometheus metrics on TEMPOGRAPH_METRICS_ADDRESS (one per
    process and address: the endpoint binds once), or None when it is not set."""
    environ = os.environ if environ is None else environ
    address = environ.get(METRICS_ADDRESS_ENV, "").strip()
    if not address:
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ObservabilityError(
            f"{METRICS_ADDRESS_ENV}={address!r}: use host:port, e.g. 0.0.0.0:9464"
        )
    with _runtime_lock:
        if address not in _runtimes:
            _runtimes[address] = Runtime(
                telemetry=TelemetryConfig(
                    metrics=PrometheusConfig(
                        bind_address=address,
                        histogram_bucket_overrides={
                            "tempograph_pause_duration_seconds": PAUSE_DURATION_BUCKETS
                        },
                    )
                )
            )
        return _runtimes[address]


def client_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Client.connect options from the environment: the Prometheus runtime and the
    TracingInterceptor (on the client, it traces the client's calls and the workers that
    use this client)."""
    options: dict[str, Any] = {}
    runtime = metrics_runtime(environ)
    if runtime is not None:
        options["runtime"] = runtime
    if configure_tracing(environ):
        options["interceptors"] = [TracingInterceptor()]
    return options


def worker_interceptors(client: Client) -> list[Interceptor]:
    """What a Tempograph worker adds: the run observer (metrics, pause/resume logs and spans),
    node log context, and the TracingInterceptor when tracing is on and the client lacks it."""
    found: list[Interceptor] = [RunObserver()]
    if tracing_enabled():
        on_client: Sequence[ClientInterceptor] = client.config().get("interceptors") or []
        if not any(isinstance(i, TracingInterceptor) for i in on_client):
            # First: the tracing context must surround the observer's.
            found.insert(0, TracingInterceptor())
    return found


# ---------------------------------------------------------------------------------------------
# The run observer: a worker interceptor.
# ---------------------------------------------------------------------------------------------


class RunObserver(Interceptor):
    """Observes GraphRun workflows from outside their code: counts starts, pauses, resumes,
    refusals and ends with the workflow's metric meter (skipped on replay), logs pauses and
    resumes with their interrupt ids (workflow.logger: not on replay), adds pause and resume
    spans to the run's trace; and binds a node activity's identity to structlog's context."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _NodeLogContext(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _RunInbound


class _NodeLogContext(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        fields: dict[str, Any] = {
            "thread_id": info.workflow_id,
            "run_id": info.workflow_run_id,
            "activity": info.activity_type,
            "attempt": info.attempt,
        }
        task = input.args[0] if input.args else None
        for key in ("graph", "node"):
            value = getattr(task, key, None)
            if isinstance(value, str):
                fields[key] = value
        # Sync activities run in a thread with a copy of this context: theirs carry it too.
        with structlog.contextvars.bound_contextvars(**fields):
            return await self.next.execute_activity(input)


def _count(name: str, attributes: dict[str, str]) -> None:
    workflow.metric_meter().create_counter(name, RUN_METRICS[name]).add(1, attributes)


def _state(instance: Any) -> Any:
    return getattr(instance, "state", None)


def _graph(instance: Any) -> str:
    inp = getattr(_state(instance), "inp", None)
    return str(getattr(inp, "graph", "") or "")


class _RunInbound(WorkflowInboundInterceptor):
    """Per run, in the workflow's own context (GraphRun runs unsandboxed; other workflows in
    the sandbox). Only GraphRun is observed."""

    ran_activity = False

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_RunOutbound(outbound, self))

    def _observed(self) -> bool:
        return workflow.info().workflow_type == WORKFLOW_TYPE

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        if not self._observed():
            return await super().execute_workflow(input)
        instance = workflow.instance()
        graph = _graph(instance)
        continued = workflow.info().continued_run_id is not None
        if not continued:
            _count("tempograph_runs_started", {"graph": graph})
        # A side coroutine that only waits on the run's state: no command, so replay-safe.
        watcher = asyncio.create_task(self._watch(instance, continued))
        try:
            result = await super().execute_workflow(input)
        except ApplicationError as exc:
            kind = exc.type or "ApplicationError"
            _count("tempograph_runs_failed", {"graph": _graph(instance) or graph, "kind": kind})
            raise
        finally:
            watcher.cancel()
        _count("tempograph_runs_completed", {"graph": _graph(instance) or graph})
        return result

    async def _watch(self, instance: Any, continued: bool) -> None:
        # Observing must never fail the run: an error raised in a workflow coroutine fails the
        # workflow task, again on every retry (a stuck run), so any error ends the observation.
        try:
            await self._observe(instance, continued)
        except Exception as exc:  # noqa: BLE001
            workflow.logger.warning("run metrics stopped: %r", exc)

    async def _observe(self, instance: Any, continued: bool) -> None:
        st = _state(instance)
        if st is None:
            return
        meter = workflow.metric_meter()
        first = True
        while True:
            await workflow.wait_condition(lambda: st.status == "interrupted")
            graph = _graph(instance)
            kind = str(st.paused_at or "interrupt")
            ids = [p.id for p in st.pending]
            nodes = list(dict.fromkeys([p.node for p in st.pending] or st.next))
            # A run continued as new while paused starts paused, before any node: the same pause.
            carried = continued and first and not self.ran_activity
            first = False
            since: datetime = workflow.now()
            if not carried:
                _count("tempograph_runs_paused", {"graph": graph, "kind": kind})
                workflow.logger.info(
                    "run paused",
                    extra={"graph": graph, "kind": kind, "interrupt_ids": ids, "nodes": nodes},
                )
                _span(
                    "tempograph.pause",
                    {
                        "tempograph.graph": graph,
                        "tempograph.pause_kind": kind,
                        "tempograph.interrupt_ids": ids,
                        "tempograph.nodes": nodes,
                    },
                )
            await workflow.wait_condition(lambda: st.status != "interrupted")
            if st.status != "running":
                continue  # ended while paused (cancelled, update_state as END): not a resume
            by = "deadline" if st.answered_by_deadline else "client"
            seconds = (workflow.now() - since).total_seconds()
            _count("tempograph_runs_resumed", {"graph": graph, "by": by})
            meter.create_histogram_float(
                "tempograph_pause_duration_seconds",
                RUN_METRICS["tempograph_pause_duration_seconds"],
                "s",
            ).record(seconds, {"graph": graph})
            workflow.logger.info(
                "run resumed",
                extra={
                    "graph": graph,
                    "interrupt_ids": ids,
                    "answered_by": by,
                    "paused_seconds": round(seconds, 3),
                },
            )
            _span(
                "tempograph.resume",
                {
                    "tempograph.graph": graph,
                    "tempograph.interrupt_ids": ids,
                    "tempograph.answered_by": by,
                    "tempograph.paused_seconds": seconds,
                },
            )

    def _refused(self, exc: BaseException) -> None:
        kind = exc.type if isinstance(exc, ApplicationError) and exc.type else type(exc).__name__
        _count("tempograph_resumes_refused", {"graph": _graph(workflow.instance()), "kind": kind})

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        try:
            super().handle_update_validator(input)
        except Exception as exc:
            if self._observed() and input.update == RESUME_UPDATE:
                self._refused(exc)
            raise

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        try:
            return await super().handle_update_handler(input)
        except ApplicationError as exc:
            # Accepted by the validator, then refused (another resume came first).
            if self._observed() and input.update == RESUME_UPDATE:
                self._refused(exc)
            raise


class _RunOutbound(WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, inbound: _RunInbound) -> None:
        super().__init__(next)
        self.inbound = inbound

    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        self.inbound.ran_activity = True
        return super().start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> workflow.ActivityHandle[Any]:
        self.inbound.ran_activity = True
        return super().start_local_activity(input)


def _span(name: str, attributes: dict[str, Any]) -> None:
    """A completed span in the run's trace, when the TracingInterceptor is on this worker."""
    if TracingWorkflowInboundInterceptor is None or otel_workflow is None:
        return
    if TracingWorkflowInboundInterceptor._from_context() is None:
        return
    otel_workflow.completed_span(name, attributes=attributes)
