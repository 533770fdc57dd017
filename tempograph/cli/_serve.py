"""dev | worker | serve: serve the graphs of a project (langgraph.json or --graph specs).

`dev` is one process for local work: the embedded Temporal dev server (SQLite in the data
folder), a worker and the HTTP API. `worker` and `serve` are the production halves, configured
by the environment (TEMPORAL_*, TEMPOGRAPH_TASK_QUEUE, TEMPOGRAPH_API_TOKEN)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import structlog

from tempograph.cli._exits import http_extra
from tempograph.cli._options import cli_context, graph_options, json_option, task_queue_option
from tempograph.cli._output import Endpoints, banner, example_input
from tempograph.cli._runner import run_async, stop_event
from tempograph.cli._security import ConfigError, api_token, check_exposure
from tempograph.client import GraphClient
from tempograph.codec import keys_from_env
from tempograph.embedded import DevSettings, parse_ui_port, temporal_connection
from tempograph.project import ProjectError, load_project
from tempograph.store import DEFAULT_STORE_URI, STORE_URI_ENV, default_store
from tempograph.versioning import VersioningConfigError, deployment_config
from tempograph.worker import checked_graphs, create_worker

if TYPE_CHECKING:
    import uvicorn

log = structlog.get_logger("tempograph.cli")


# ---------------------------------------------------------------------------------------------
# Which graphs.
# ---------------------------------------------------------------------------------------------


def select_graphs(graph_specs: tuple[str, ...], config: str | None) -> dict[str, Any]:
    """The graphs to serve: --graph specs, else --config, else what the caller passed
    (worker.py, server.py), else ./langgraph.json. Ignored configuration keys are reported on
    stderr, one warning line."""
    preset = cli_context().graphs
    if not graph_specs and config is None and preset is not None:
        return checked(preset)
    project = load_project(".", list(graph_specs), config)
    if project.ignored_keys:
        keys = ", ".join(repr(k) for k in project.ignored_keys)
        click.echo(
            f"warning: {project.config_path}: ignoring {keys} (Tempograph reads only "
            '"graphs", "env" and "dependencies"; the rest is for LangGraph Platform builds)',
            err=True,
        )
    return checked(project.graphs)


def checked(graphs: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse, before connecting, graphs a worker could not serve."""
    try:
        return checked_graphs(graphs)
    except TypeError as exc:
        # LangGraph graphs are served unchanged: a refusal names the graph, node or channel
        # and the feature Tempograph does not run (tempograph._langgraph), which is the fix
        # to make; the rest of the graph and its imports need no change.
        hint = ""
        if str(exc).startswith("LangGraph graph "):
            hint = (
                " (LangGraph graphs are served unchanged apart from this feature: see "
                "'Unchanged LangGraph graphs' in the README)"
            )
        raise ProjectError(f"{exc}{hint}") from None


# ---------------------------------------------------------------------------------------------
# Running.
# ---------------------------------------------------------------------------------------------


async def run_worker(
    graphs: Mapping[str, Any],
    *,
    task_queue: str,
    dev: DevSettings | None = None,
    deployment: str | None = None,
    build_id: str | None = None,
) -> None:
    """A worker for `graphs` until SIGINT/SIGTERM; prints "ready" once it polls.
    `deployment`/`build_id`: its worker version (tempograph.versioning)."""
    stop = stop_event()
    async with temporal_connection(dev) as temporal:
        async with create_worker(
            temporal.client,
            graphs,
            task_queue=task_queue,
            deployment=deployment,
            build_id=build_id,
        ):
            log.info(
                "worker ready",
                task_queue=task_queue,
                graphs=sorted(graphs),
                **({"deployment": deployment, "build_id": build_id} if deployment else {}),
            )
            click.echo("ready")  # tests and scripts wait for this line
            await stop.wait()
    log.info("worker stopped")


def check_port_free(host: str, port: int) -> None:
    """A clear refusal when the API's port is taken (uvicorn would only log and exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port} ({exc.strerror}): another server (an earlier "
                "`tempograph dev`, `langgraph dev`?) has it. Stop it, or pass --port."
            ) from None


def public_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


async def run_api(
    graphs: Mapping[str, Any],
    *,
    host: str,
    port: int,
    task_queue: str,
    with_worker: bool,
    dev: DevSettings | None = None,
    as_json: bool = False,
    show_banner: bool = False,
) -> None:
    """The Agent Server HTTP API for `graphs` (and a worker, `with_worker`) until SIGINT or
    SIGTERM. Refuses to start on an empty TEMPOGRAPH_API_TOKEN; warns with no token on a public
    host. Prints the endpoints once listening: a banner (`show_banner`), JSON, or "ready"."""
    http_extra()
    from tempograph.http import create_app
    from tempograph.http.serving import HttpSettings, server_config

    token = api_token(os.environ)
    try:
        settings = HttpSettings.from_env(bind_host=host)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    check_exposure(host, token)
    check_port_free(host, port)
    stop = stop_event()
    async with temporal_connection(dev) as temporal:
        client = GraphClient(temporal.client, task_queue=task_queue)
        ui_origins = (
            [temporal.ui_url, temporal.ui_url.replace("localhost", "127.0.0.1")]
            if temporal.ui_url
            else []
        )
        app = create_app(client, graphs, token, settings=settings, codec_origins=ui_origins)
        config = server_config(
            app,
            host=host,
            port=port,
            settings=settings,
            log_level=os.environ.get("TEMPOGRAPH_HTTP_LOG_LEVEL", "warning" if as_json else "info"),
        )
        server = _server(config)
        async with contextlib.AsyncExitStack() as stack:
            if with_worker:
                await stack.enter_async_context(
                    create_worker(temporal.client, graphs, task_queue=task_queue)
                )
            serving = asyncio.create_task(server.serve())
            while not server.started:
                if serving.done():
                    serving.result()
                    raise ConfigError(f"The HTTP server on {host}:{port} stopped while starting")
                await asyncio.sleep(0.02)
            url = public_url(host, port)
            endpoints = Endpoints(
                api=url,
                temporal=temporal.address,
                ui=temporal.ui_url,
                graphs=sorted(graphs),
                task_queue=task_queue,
                data_dir=str(dev.data_dir) if dev and temporal.embedded else None,
            )
            log.info(
                "serving the Agent Server API",
                url=url,
                graphs=sorted(graphs),
                task_queue=task_queue,
                worker=with_worker,
                auth=token is not None,
                allowed_hosts=settings.allowed_hosts,
                max_body_bytes=settings.max_body_bytes,
            )
            if as_json:
                click.echo(json.dumps(endpoints.as_dict()))
            elif show_banner:
                first = graphs[endpoints.graphs[0]] if endpoints.graphs else None
                click.echo(banner(endpoints, example_input(first)))
            else:
                click.echo("ready")
            await asyncio.wait(
                [serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
            )
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(serving, timeout=15)
    log.info("stopped")


def _server(config: uvicorn.Config) -> uvicorn.Server:
    import uvicorn

    class Server(uvicorn.Server):
        """Leaves signals to the CLI, which stops the worker and the dev server as well."""

        @contextlib.contextmanager
        def capture_signals(self):  # type: ignore[no-untyped-def]
            yield

    return Server(config)


# ---------------------------------------------------------------------------------------------
# Commands.
# ---------------------------------------------------------------------------------------------


def host_option(default_env: str | None) -> Any:
    return click.option(
        "--host",
        envvar=default_env,
        default="127.0.0.1",
        show_default=True,
        help="Address the HTTP API listens on (0.0.0.0 for every interface: set a token).",
    )


def port_option(default_env: str | None) -> Any:
    return click.option(
        "--port",
        envvar=default_env,
        type=int,
        default=2024,
        show_default=True,
        help="Port of the HTTP API (langgraph dev's).",
    )


def store_option(f: Any) -> Any:
    return click.option(
        "--store",
        "store_uri",
        envvar=STORE_URI_ENV,
        default=None,
        show_envvar=True,
        metavar="URI",
        help="The store nodes (runtime.store) and /store use: sqlite:///path/file.sqlite or "
        f"postgresql://... [default: {DEFAULT_STORE_URI}, under the working directory]. The "
        "HTTP server and every worker must name the same one.",
    )(f)


def use_store(store_uri: str | None) -> None:
    """Make `store_uri` the process's store (TEMPOGRAPH_STORE_URI: the worker's nodes and the
    HTTP app read it); refuse a URI no store can open before anything starts."""
    if store_uri:
        os.environ[STORE_URI_ENV] = store_uri.strip()
    try:
        default_store()
    except (ValueError, ImportError) as exc:
        raise ConfigError(str(exc)) from None


@click.command("dev", short_help="Serve this folder's graphs: dev server, worker, HTTP API.")
@graph_options
@host_option(None)
@port_option(None)
@click.option(
    "--temporal-port",
    envvar="TEMPOGRAPH_DEV_PORT",
    type=int,
    default=7233,
    show_default=True,
    show_envvar=True,
    help="Port of the embedded Temporal dev server (reused if a server already listens).",
)
@click.option(
    "--ui-port",
    envvar="TEMPOGRAPH_DEV_UI_PORT",
    default=None,
    show_envvar=True,
    help="Port of the Temporal UI [default: temporal port + 1000, i.e. 8233]; none = no UI.",
)
@click.option(
    "--data-dir",
    envvar="TEMPOGRAPH_DATA_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".data"),
    show_default=True,
    show_envvar=True,
    help="Where the dev server keeps its SQLite file (runs survive restarts).",
)
@task_queue_option
@store_option
@json_option
def dev_command(
    graph_specs: tuple[str, ...],
    config: str | None,
    host: str,
    port: int,
    temporal_port: int,
    ui_port: str | None,
    data_dir: Path,
    task_queue: str,
    store_uri: str | None,
    as_json: bool,
) -> None:
    """Serve this folder's graphs for local work, in one process: the Temporal dev server
    (UI on :8233), a worker and the LangGraph HTTP API on :2024.

    The graphs come from ./langgraph.json (the file `langgraph dev` reads: "graphs", "env" and
    "dependencies" are honoured), --config, or --graph NAME=module_or_path:attr. With
    TEMPORAL_ADDRESS set, that server is used and none is started. --json prints one line of
    JSON with the URLs once everything listens.
    """
    http_extra()
    graphs = select_graphs(graph_specs, config)
    use_store(store_uri)
    try:
        ui = parse_ui_port(ui_port, temporal_port)
    except ValueError:
        raise click.BadParameter(
            f"{ui_port!r}: a port number or none", param_hint="--ui-port"
        ) from None
    # Encrypted payloads: the UI of the dev server started here decodes them through the API's
    # codec server (tempograph/http/codec_server.py).
    codec_endpoint = f"{public_url(host, port)}/codec" if keys_from_env() else None
    settings = DevSettings(
        port=temporal_port, ui_port=ui, data_dir=data_dir, ui_codec_endpoint=codec_endpoint
    )
    run_async(
        run_api(
            graphs,
            host=host,
            port=port,
            task_queue=task_queue,
            with_worker=True,
            dev=settings,
            as_json=as_json,
            show_banner=True,
        )
    )


@click.command("worker", short_help="Run a worker for the graphs (production).")
@graph_options
@task_queue_option
@click.option(
    "--deployment",
    envvar="TEMPORAL_DEPLOYMENT_NAME",
    default=None,
    show_envvar=True,
    help="Worker Versioning: the worker deployment this worker belongs to (with --build-id).",
)
@click.option(
    "--build-id",
    envvar="TEMPORAL_WORKER_BUILD_ID",
    default=None,
    show_envvar=True,
    help="Worker Versioning: this worker's version of the graph code, e.g. a git sha "
    "(with --deployment). Runs stay on the version they started on.",
)
@store_option
def worker_command(
    graph_specs: tuple[str, ...],
    config: str | None,
    task_queue: str,
    deployment: str | None,
    build_id: str | None,
    store_uri: str | None,
) -> None:
    """Run a worker for the graphs (production: Temporal from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
    TEMPORAL_API_KEY, TEMPORAL_TLS_*, ...; without TEMPORAL_ADDRESS a local dev server, started
    if none runs). Prints "ready" once it polls; stops on SIGINT/SIGTERM.

    With --deployment and --build-id (the variables the Temporal Worker Controller sets), the
    worker is versioned: a run stays on the version it started on until it ends; new runs go to
    the deployment's current version (`temporal worker deployment set-current-version`)."""
    try:
        deployment_config(deployment, build_id)  # a half configuration, refused before connecting
    except VersioningConfigError as exc:
        raise ConfigError(str(exc)) from None
    graphs = select_graphs(graph_specs, config)
    use_store(store_uri)
    run_async(run_worker(graphs, task_queue=task_queue, deployment=deployment, build_id=build_id))


@click.command("serve", short_help="Serve the LangGraph HTTP API for the graphs (production).")
@graph_options
@host_option("HOST")
@port_option("PORT")
@click.option(
    "--with-worker", is_flag=True, help="Also run a worker for the graphs in this process."
)
@task_queue_option
@store_option
@json_option
def serve_command(
    graph_specs: tuple[str, ...],
    config: str | None,
    host: str,
    port: int,
    with_worker: bool,
    task_queue: str,
    store_uri: str | None,
    as_json: bool,
) -> None:
    """Serve the LangGraph Agent Server HTTP API for the graphs (workers run them: `tempograph
    worker`, or --with-worker). TEMPOGRAPH_API_TOKEN, when set, is required on every request
    (x-api-key or Bearer); set but empty refuses to start. Limits: TEMPOGRAPH_MAX_BODY_BYTES,
    TEMPOGRAPH_*_TIMEOUT, TEMPOGRAPH_MAX_CONNECTIONS, TEMPOGRAPH_ALLOWED_HOSTS (see README)."""
    http_extra()
    graphs = select_graphs(graph_specs, config)
    use_store(store_uri)
    run_async(
        run_api(
            graphs,
            host=host,
            port=port,
            task_queue=task_queue,
            with_worker=with_worker,
            as_json=as_json,
        )
    )


SERVE_COMMANDS = [dev_command, worker_command, serve_command]
