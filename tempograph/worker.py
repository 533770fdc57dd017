"""create_worker: a Temporal worker that serves graphs (the GraphRun workflow + node activities)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.plugin import SimplePlugin
from temporalio.service import RPCError
from temporalio.worker import Worker, WorkerDeploymentConfig, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tempograph._activities.cron_firing import fire_cron
from tempograph._activities.nodes import GraphActivities
from tempograph._langgraph import adapt_langgraph
from tempograph._workflows.assistant_record import AssistantRecord
from tempograph._workflows.cron_thread import CronThread, UpgradingCronThread
from tempograph._workflows.graph_run import GraphRun
from tempograph._workflows.thread_record import ThreadRecord
from tempograph._workflows.versioned import for_worker
from tempograph.colocation import register_local_worker, unregister_local_worker
from tempograph.graph import CompiledGraph
from tempograph.messages import DEFAULT_TASK_QUEUE, SEARCH_ATTRIBUTES
from tempograph.observability import RunObserver, worker_interceptors
from tempograph.store import BaseStore
from tempograph.versioning import VersioningConfigError, deployment_config

# Modules the workflow sandbox shares with the host instead of importing afresh for every run
# (or every replay after eviction). GraphRun's code and the tempograph library are
# deterministic and keep no module state; tests/replay/test_replay.py replays them under the full
# sandbox, whose restrictions still check them there.
PASSTHROUGH = ("tempograph",)


def sandbox_runner() -> SandboxedWorkflowRunner:
    """The workflow sandbox, sharing this library with the host. The sandbox re-imports a
    workflow's modules for every run: sharing ours saves ~10 ms of CPU per run start and per
    replay of an evicted run."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def checked_graphs(graphs: Mapping[str, Any]) -> dict[str, CompiledGraph]:
    """Refuse, when the worker is built, graphs it could never serve (not at the first run).
    LangGraph compiled graphs are translated (tempograph._langgraph)."""
    if not isinstance(graphs, Mapping) or not graphs:
        raise TypeError(
            "Tempograph needs the graphs to serve as a mapping {name: compiled graph}, e.g. "
            'create_worker(client, {"agent": builder.compile()})'
        )
    for name in graphs:
        if not isinstance(name, str) or not name or "/" in name:
            raise TypeError(
                f"Graph name {name!r}: use a non-empty string without '/' (runs are started "
                "with this name)"
            )
    # A LangGraph compiled graph is served unchanged, translated here (tempograph._langgraph).
    graphs = adapt_langgraph(graphs)
    for name, graph in graphs.items():
        if not isinstance(graph, CompiledGraph):
            raise TypeError(
                f"Graph {name!r} is a {type(graph).__name__}, not a compiled Tempograph graph: "
                "pass builder.compile() of a tempograph.graph.StateGraph (or of a LangGraph "
                "StateGraph)"
            )
    return graphs


class TempographPlugin(SimplePlugin):
    """Serve graphs from any Temporal worker: registers the GraphRun and TempographThread
    workflows and the node activities for `graphs`, and shares this library with the
    workflow sandbox.

        worker = Worker(client, task_queue="tempograph", plugins=[TempographPlugin(graphs)])

    The client must use Tempograph's data converter (`tempograph.connect` sets it: pydantic, and the
    encryption codec when keys are configured). A worker
    built this way is not known to GraphClient's eager start; `create_worker` is.

    `deployment` and `build_id` (both or neither): the worker's version for Temporal Worker
    Versioning (tempograph.versioning): runs stay on the version they started on.
    `store`: the nodes' store (runtime.store, get_store()); by default TEMPOGRAPH_STORE_URI's.
    """

    def __init__(
        self,
        graphs: Mapping[str, Any],
        *,
        deployment: str | None = None,
        build_id: str | None = None,
        store: BaseStore | None = None,
    ) -> None:
        served = checked_graphs(graphs)
        self._deployment_config = deployment_config(deployment, build_id)
        activities = [*GraphActivities(served, store=store).all(), fire_cron]

        def add_workflows(existing: Sequence[type] | None) -> Sequence[type]:
            return [*(existing or []), GraphRun, ThreadRecord, AssistantRecord, CronThread]

        def add_activities(existing: Sequence[Callable[..., Any]] | None) -> list[Any]:
            return [*(existing or []), *activities]

        def runner(existing: WorkflowRunner | None) -> WorkflowRunner:
            # Keep a runner the user chose (e.g. UnsandboxedWorkflowRunner); else ours.
            if existing is None or isinstance(existing, SandboxedWorkflowRunner):
                return sandbox_runner()
            return existing

        super().__init__(
            "tempograph",
            workflows=add_workflows,
            activities=add_activities,
            workflow_runner=runner,
            # Run metrics, pause/resume logs and spans, node log context (observability).
            interceptors=[RunObserver()],
        )

    def configure_worker(self, config: Any) -> Any:
        config = super().configure_worker(config)
        if self._deployment_config is not None:
            config["deployment_config"] = _versioned_options(
                config.get("deployment_config"), self._deployment_config, "the Worker"
            )
        # A versioned worker (configured here or on the Worker) runs GraphRun pinned.
        versioned = _uses_versioning(config.get("deployment_config"))
        config["workflows"] = _cron_for_worker(
            for_worker(config.get("workflows"), versioned), versioned
        )
        return config


def _cron_for_worker(workflows: Sequence[type], versioned: bool) -> list[type]:
    """The thread cron firing workflow (_workflows/cron_thread.py) as a (un)versioned worker
    needs it: auto-upgrading on a versioned one (it runs no graph code)."""
    swap: dict[type, type] = (
        {CronThread: UpgradingCronThread} if versioned else {UpgradingCronThread: CronThread}
    )
    return [swap.get(w, w) for w in workflows]


def _uses_versioning(deployment: WorkerDeploymentConfig | None) -> bool:
    return deployment is not None and deployment.use_worker_versioning


def _versioned_options(existing: Any, chosen: Any, where: str) -> Any:
    """The worker's deployment_config: ours, unless one was also given elsewhere."""
    if existing is not None and existing != chosen:
        raise VersioningConfigError(
            f"Worker versioning is configured twice: deployment/build_id here and a "
            f"deployment_config passed to {where}. Pass one of them."
        )
    return chosen


def create_worker(
    client: Client,
    graphs: Mapping[str, Any],
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    deployment: str | None = None,
    build_id: str | None = None,
    store: BaseStore | None = None,
    **worker_options: Any,
) -> Worker:
    """A worker serving `graphs` by name. `worker_options` go to temporalio.worker.Worker.

    `deployment` and `build_id` (both or neither): this worker's version for Temporal Worker
    Versioning (tempograph.versioning): a run stays on the version it started on until it
    ends (GraphRun is pinned), new runs start on the deployment's current version.

    `store`: the store nodes get (runtime.store, a `store` parameter, get_store()); by default
    TEMPOGRAPH_STORE_URI's (else the SQLite file .tempograph/store.sqlite). Serve the same
    database to the HTTP API (`create_app(..., store=)`).

    The client must use Tempograph's data converter (see `tempograph.connect`), and the search
    attributes must be registered on the namespace (`ensure_search_attributes`).
    """
    served = checked_graphs(graphs)
    versioned = deployment_config(deployment, build_id)
    if versioned is not None:
        worker_options["deployment_config"] = _versioned_options(
            worker_options.get("deployment_config"), versioned, "create_worker"
        )
    # A paused run costs nothing while evicted; its resume replays its history first (~+10 ms,
    # the same ratio as a hand-written workflow). A cached run takes ~0.12 MB: size the cache
    # to the runs that should resume at cached speed, at most memory budget (MB) / 0.12.
    worker_options.setdefault("max_cached_workflows", 1000)
    worker_options.setdefault("workflow_runner", sandbox_runner())
    # Run metrics, pause/resume logs and spans, node log context; tracing when configured
    # (tempograph.observability). The caller's interceptors come after (inside) ours.
    worker_options["interceptors"] = [
        *worker_interceptors(client),
        *worker_options.get("interceptors", ()),
    ]
    # Eager activity dispatch is on by default (disable_eager_activity_execution=False): when a
    # workflow task schedules an activity and this worker has a free slot, the server hands the
    # activity back with the task completion instead of through the task queue.
    return GraphWorker(
        client,
        task_queue=task_queue,
        # Versioned: GraphRun pinned, the thread record auto-upgrading (_workflows/versioned.py);
        # a thread cron's firings (TempographCronFiring and its activity) too.
        workflows=_cron_for_worker(
            for_worker(
                [GraphRun, ThreadRecord, AssistantRecord, CronThread],
                _uses_versioning(worker_options.get("deployment_config")),
            ),
            _uses_versioning(worker_options.get("deployment_config")),
        ),
        activities=[*GraphActivities(served, store=store).all(), fire_cron],
        **worker_options,
    )


class GraphWorker(Worker):
    """A Worker that tells GraphClient (same client, same process) while it runs, so that
    GraphClient can start runs eagerly on it."""

    async def run(self) -> None:
        if _uses_versioning(self.config(active_config=True).get("deployment_config")):
            # Temporal hands an eagerly started run to this worker whatever the deployment's
            # current version is (measured): a versioned worker takes no eager starts.
            await super().run()
            return
        register_local_worker(self.client, self.task_queue)
        try:
            await super().run()
        finally:
            unregister_local_worker(self.client, self.task_queue)


async def ensure_search_attributes(client: Client) -> None:
    """Register TempographStatus and TempographGraph on the client's namespace if missing.

    Without them every GraphRun workflow task fails ("search attribute ... is not defined").
    """
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {
        key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        for key in SEARCH_ATTRIBUTES
        if key.name not in listed.custom_attributes
    }
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except RPCError as exc:
            names = ", ".join(sorted(missing))
            raise RuntimeError(
                f"Search attributes {names} are not registered on namespace "
                f"'{client.namespace}' and could not be added ({exc.message}). Register them "
                "as Keyword, e.g. `temporal operator search-attribute create --name "
                "TempographStatus --type Keyword` (Temporal Cloud: `tcld namespace "
                "search-attributes add`); without them every GraphRun workflow task fails."
            ) from exc
