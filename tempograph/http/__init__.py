"""The LangGraph Agent Server HTTP API for Tempograph graphs: `create_app(graph_client, names)`.

    from tempograph.http import create_app
    app = create_app(GraphClient(client), ["ask", "chain"], api_token=None)
    # uvicorn.run(app, port=2024); then langgraph_sdk.get_client(url="http://localhost:2024")

`python server.py [--with-worker]` serves graphs/ this way on port 2024. The real `langgraph-sdk`
(0.4.14) works unchanged. What each of its client methods does here (supported, differs and
how, or the 4xx it answers) is ONE table, tempograph/http/support.py, from which the README's
list is generated (`python -m tempograph.http.support --markdown`). Bodies, statuses and error
texts follow the real server (../shared/research/langgraph-hitl.md §5): wait bodies carry
`__interrupt__` at a dynamic interrupt (only `__interrupt__` when several are pending), values
only at a static breakpoint, `{"__error__": {"error", "message"}}` with HTTP 200 for graph
errors and refused resumes; 404 / 409 / 422 / 401 answer `{"detail": "..."}`. GET /info says
what is supported (routers/server.py).

How it is built, and the differences that cut across methods:

* Storage: Temporal only. A thread is a workflow id, a run a GraphRun execution (`run_id` is
  its Temporal run id). A resume continues the paused execution, so the runs answering a
  thread's interrupts share the run id of the run that asked. A thread created by POST /threads
  (run or not) and its metadata live in a TempographThread workflow (`<thread>/thread`, memo);
  a deleted thread leaves that record terminated as its tombstone. A cancellation's cause
  (runs.cancel or multitask_strategy, or new input superseding a pause) is the reason of the
  cancel request, recorded in the run's history; a refused resume is kept on the thread's
  record. So every server process on the namespace gives the same statuses and errors
  (status.py: one table). Kept in the process that took the request only: run request
  details (kwargs, metadata), runs queued behind the thread's running run ("pending"), and a
  stateless run's temporary thread being deleted (until Temporal has deleted it).
* Interrupts render one way per place (rendering.interrupt_json): run output (wait and join
  bodies, stream chunks) `{"value", "id", "response_schema"}`; thread and state
  (`interrupts`, `tasks[].interrupts`) `{"id", "value"}` plus `response_schema` when set. The
  metadata key `__tempograph_refused_resume__` is reserved (422).
* multitask_strategy: when a run is executing on the thread, "reject" answers 409, "enqueue"
  (the default) queues the run (runs.create answers at once, the run "pending" with an id that
  stays its id, "running" once the thread's run has paused or ended), "interrupt" cancels it
  first (it keeps its checkpoints), "rollback" cancels it and deletes it as runs.delete does.
  A thread paused at an interrupt or breakpoint is not busy:
  a resume continues it; new input discards the pause (the paused execution is cancelled and a
  new run starts from its state), as LangGraph does.
* runs.delete: a run queued here is dropped; one executing a step is 409 (cancel it first, or
  cancel with action=rollback, which deletes it once cancelled); otherwise its GraphRun
  execution is deleted (Temporal's DeleteWorkflowExecution). When it was the thread's latest,
  the thread first returns to the checkpoint it had before that execution: a restoring
  execution forked from it (listed among the thread's runs; a pause at an interrupt there comes
  back as a wait before that node, which a run without input continues). Differences: a
  resume continues its run's execution, so deleting (or rolling back) a resume deletes the
  whole execution, the run that asked included; the deleted run answers 404 and its
  checkpoints are hidden at once in the process that deleted it, in others once Temporal has
  deleted it (in the background). runs.cancel_many (POST /runs/cancel): `thread_id` and
  `run_ids`, or `status` "pending" (queued in this process), "running" (executing a step, any
  process: Temporal visibility) or "all"; 404 "No runs found to cancel." when none was.
  runs.create_batch: stateless background runs, every body validated before any starts.
* after_seconds: a durable delay, Temporal's start_delay on the run's execution (the run is
  "pending" and its thread "busy" until it starts, whether or not the server process is still
  up), for a run with input on a thread without runs (a new thread or a stateless run); on a
  thread with runs, 422 (its next run continues its executions, which cannot be delayed).
* threads.copy: a new thread (new id, same metadata) forked from the thread's latest
  checkpoint; the earlier checkpoints stay with the original. Paused at an interrupt, the copy
  asks again (its node runs up to the interrupt, as a resume would); with nodes next (a
  breakpoint, a failed or cancelled run) it waits before them; finished, it is finished with
  those values. Unknown thread: 409, as the Agent Server. threads.prune: strategy "delete"
  (unknown ids skipped, `pruned_count`); "keep_latest" 422.
* A run without input on a failed or cancelled thread replays from the latest checkpoint (the
  failed step runs again); with a command, the command then answers the replayed pause.
* `interrupt_before` / `interrupt_after` given on a run hold for that execution until it ends:
  runs that continue it (resume, or no input) keep them; breakpoints sent with a continuing run
  are ignored.
* update_state edits a paused run (or a fork of a checkpoint, `checkpoint_id`); on a finished
  thread it adds a checkpoint with the edit (a new run from the last checkpoint). Subgraph
  state (`subgraphs=true`) is not supported. The default recursion limit is Tempograph's (100).
* Crons are Temporal Schedules (cron_store.py); a cron on a thread, or on a created
  assistant, fires TempographCronFiring (tempograph/_cron.py), which continues the thread with
  the cron's multitask strategy and reads the assistant afresh at each firing.
* Config and context (agents.md §3): a run's `config` (`configurable`, `metadata`, `tags`,
  `run_name`, `recursion_limit`) and `context` reach its nodes (their `config` / `runtime`
  parameters, get_config(), the graph's context_schema), mirrored as on the Agent Server:
  `configurable` alone also becomes the context, `context` alone is copied into
  `configurable`, both answer 400 with its message ("Cannot specify both configurable and
  context. ..."). The run's `metadata` joins config["metadata"]. A resume, a run without input
  and a fork (`checkpoint_id`) bring their own, as in LangGraph; a run giving neither has the
  context_schema's defaults. Differences: `configurable` holds no server keys (assistant_id,
  graph_id, run_id, langgraph_auth_*, ...) and `metadata` none of its keys but
  `assistant_id` for a created assistant's runs (read back by runs.get anywhere); `thread_id`,
  `checkpoint_id`, `checkpoint_ns` in `configurable` name the run (not configuration, not
  passed on); `callbacks` and any other config key are refused (422: nodes run in a worker).
  A created assistant's config and context are merged under the run's (assistant_catalog.py).
* Fields not honoured are refused, never ignored: 422 "<field> is not supported yet" for
  `subgraphs=true` (state routes), a history
  `checkpoint` naming a checkpoint or namespace (page with `before`), and on runs
  `on_disconnect="cancel"` (a run always goes on when its request goes away: "continue" is
  accepted), `after_seconds` on a thread with runs,
  `strict_resume=false` (resumes are always strict, like the Agent Server's `strict_resume`:
  true is accepted), `langsmith_tracer` (no LangSmith tracing), `feedback_keys` and any other
  field a run body does not know (when set: null, false and empty values pass); on the state
  routes, `select` (the state is returned whole), any query parameter other than `subgraphs`
  (422 naming them) and a non-empty `checkpoint.checkpoint_ns` (POST .../state/checkpoint).
  Their defaults (what langgraph-sdk sends when unset) are accepted. `durability` and
  `checkpoint_during` are accepted and change nothing (every step is checkpointed in
  Temporal). `on_completion` applies to stateless runs; on a thread run it is accepted and
  does nothing, as on the Agent Server (its temporary thread is only a stateless run's).
  Thread search `select` returns only the listed thread fields (422 for others).
* A thread whose state is over payloads.MAX_PAYLOAD_BYTES (1.8 MB, values plus pending
  interrupts) cannot be read whole: the state routes answer 413 naming the limit (its
  checkpoints stay readable: history), the thread object shows its status (from the run's
  TempographStatus search attribute) with `values` null.
* Streaming (streaming.py, sse.py): every Agent Server mode (values, updates, messages,
  messages-tuple, custom, events, debug, tasks, checkpoints; unknown modes 422), framed as the
  Agent Server frames them (CRLF, compact JSON, `metadata` first, `: heartbeat` every 5 s,
  `error` {"error", "message"} on failure, Location `.../runs/{run_id}/stream`). All
  of it is read from the run's Temporal history (one live pass, GraphClient.follow), LLM
  tokens and live custom events included: a stream asking for a live mode (messages*,
  custom, events, debug) starts or resumes the run with `stream` on, and its node activities
  signal their output to the run. So any server process serves any run's stream, and
  `stream_resumable` needs no log: event ids are `<history event id>-<n>` (the events sent
  before history is read, metadata and a resume's first state, `<b>-<1000000+n>`, b the
  last event before the run), the same on every reading. runs.join_stream (GET
  .../runs/{run_id}/stream) with Last-Event-ID re-reads the run's history and sends the events
  after that id (`0` or `-1`: all), then live ones, until the run pauses or ends; without it,
  live events only (a paused or finished run: none). A join asking for a live mode of a run
  that runs without streaming sends it STREAM_WANTED_SIGNAL (later node calls publish).
  `cancel_on_disconnect=true` cancels the run when the joining client goes away first.
  Differences: a resume continues its run's execution (one run id), so a replay with
  `Last-Event-ID: 0` covers every invocation of that execution; replays do not repeat the
  `metadata` event. threads.join_stream (GET /threads/{id}/stream): the thread's executions
  from the join on (live; with Last-Event-ID, the current one after that id), each followed
  by `metadata` {"status": "run_done", "run_id"} when it pauses or ends, with ids, staying
  open; stream_mode "run_modes" (default) or "lifecycle" (run_done only); "state_update"
  is refused; a run's own modes when this process started it, else "values".
  `stream_subgraphs=true` is refused (422).
* Shared namespace: the API acts only on GraphRun and TempographThread executions
  (tempograph.ownership). Another workflow's id is an unknown thread (404 on every read, patch,
  delete, cancel, join); creating a thread or a run under it answers 409 with the text of an
  existing thread ("Thread with ID ... already exists"), saying nothing about what holds the
  id, since a thread's runs use its id. It is never
  read, signalled, cancelled, terminated or deleted, and searches never list it.
* Limits (tempograph/http/serving.py, tempograph/limits.py): request bodies over 4 MiB
  (TEMPOGRAPH_MAX_BODY_BYTES) get 413 before they are read; a request's headers and body must
  arrive within 10 s / 30 s (else 408 and the connection is closed); at most 1000 connections
  (503). Values (input, command, metadata, context, config, state values) nested deeper than
  limits.MAX_JSON_DEPTH (64) get 422, over limits.MAX_MESSAGE_BYTES (1 MiB) as JSON 413; bodies
  nested deeper than 72 levels are refused as malformed JSON (the Agent Server allows ~254).
  Thread ids with '/' or NUL, or over 512 characters, get 422 at creation; path ids over 1000
  characters get 422.
* Security: with server.py on a loopback address, requests must name localhost, 127.0.0.1 or
  ::1 (any port) or a host in TEMPOGRAPH_ALLOWED_HOSTS in their Host header (DNS rebinding),
  else 421. An empty TEMPOGRAPH_API_TOKEN refuses to start. Temporal unreachable: 503
  "Temporal unreachable at <address>"; no worker for an operation that needs one: 503.
"""

try:  # the [http] extra: name it instead of a bare ModuleNotFoundError
    import fastapi as _fastapi  # noqa: F401
    import sse_starlette as _sse_starlette  # noqa: F401
    import uvicorn as _uvicorn  # noqa: F401
except ImportError as exc:
    raise ImportError(
        f"tempograph.http needs the [http] extra ({exc.name} is not installed): "
        "pip install 'tempograph-hitl[http]'"
    ) from exc

from tempograph.http.app import create_app

__all__ = ["create_app"]
