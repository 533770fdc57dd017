// The newer parts of the API through the JS SDK: assistants create / update / versions,
// graph and schemas, crons (stateless and on a thread: create / search / count / delete),
// runs cancel (without and with wait) and delete. Prints what it saw as one JSON document;
// tests/http/test_js_sdk.py asserts on it.
import { client, print } from "./lib.mjs";

const lg = client();
const GRAPH = "wait_for_user_input";
const out = {};

async function status(call) {
  try {
    await call();
    return 200;
  } catch (err) {
    return err.status ?? String(err);
  }
}

// Assistants: created, updated (a new version), listed by version, read back, deleted.
const marker = `js-${Date.now()}`;
const created = await lg.assistants.create({
  graphId: GRAPH,
  name: "js tour",
  metadata: { marker },
  config: { tags: ["from-js"] },
});
const updated = await lg.assistants.update(created.assistant_id, {
  name: "js tour v2",
  metadata: { step: 2 },
});
const versions = await lg.assistants.getVersions(created.assistant_id);
const fetched = await lg.assistants.get(created.assistant_id);
const found = await lg.assistants.search({ metadata: { marker } });
out.assistants = {
  created,
  updated,
  versions: versions.map((v) => ({ version: v.version, name: v.name, metadata: v.metadata })),
  fetched,
  found: found.map((a) => a.assistant_id),
};
await lg.assistants.delete(created.assistant_id);
out.assistants.afterDelete = await status(() => lg.assistants.get(created.assistant_id));

// Graph introspection.
const graph = await lg.assistants.getGraph(GRAPH);
const schemas = await lg.assistants.getSchemas(GRAPH);
out.graph = { nodes: graph.nodes.map((n) => n.id), edges: graph.edges.length };
out.schemas = {
  graph_id: schemas.graph_id,
  keys: Object.keys(schemas).sort(),
  stateProperties: Object.keys(schemas.state_schema?.properties ?? {}).sort(),
};

// Crons: one stateless, one on a thread; searched, counted, deleted.
const thread = await lg.threads.create();
const input = { messages: [{ role: "user", content: "hello" }] };
const stateless = await lg.crons.create(GRAPH, {
  schedule: "0 9 1 1 *",
  input,
  metadata: { marker },
  onRunCompleted: "keep",
});
const onThread = await lg.crons.createForThread(thread.thread_id, GRAPH, {
  schedule: "30 9 1 1 *",
  input,
  metadata: { marker },
  multitaskStrategy: "reject",
});
out.crons = {
  stateless,
  onThread,
  searched: (await lg.crons.search({ metadata: { marker } })).map((c) => c.cron_id).sort(),
  byThread: (await lg.crons.search({ threadId: thread.thread_id })).map((c) => c.cron_id),
  counted: await lg.crons.count({ metadata: { marker } }),
  refusedRollback: await status(() =>
    lg.crons.createForThread(thread.thread_id, GRAPH, {
      schedule: "0 9 1 1 *",
      input,
      multitaskStrategy: "rollback",
    }),
  ),
};
await lg.crons.delete(stateless.cron_id);
await lg.crons.delete(onThread.cron_id);
out.crons.afterDelete = await lg.crons.count({ metadata: { marker } });

// Runs: cancel without wait (202: nothing back), with wait (the run's values), delete.
const slow = await lg.threads.create();
const first = await lg.runs.create(slow.thread_id, "slow", { input: { log: ["one"] } });
const noWait = await lg.runs.cancel(slow.thread_id, first.run_id);
await lg.runs.join(slow.thread_id, first.run_id);
const second = await lg.runs.create(slow.thread_id, "slow", { input: { log: ["two"] } });
const waited = await lg.runs.cancel(slow.thread_id, second.run_id, true);
out.runs = {
  noWait: noWait ?? null,
  waited,
  statuses: [
    (await lg.runs.get(slow.thread_id, first.run_id)).status,
    (await lg.runs.get(slow.thread_id, second.run_id)).status,
  ],
};
await lg.runs.delete(slow.thread_id, first.run_id);
out.runs.afterDelete = await status(() => lg.runs.get(slow.thread_id, first.run_id));
out.runs.listed = (await lg.runs.list(slow.thread_id)).map((r) => r.run_id);
out.runs.ids = [first.run_id, second.run_id];

print(out);
