// Threads through the JS SDK: a TTL (create, read with include, expiry), supersteps at
// creation, updateState with a list of updates, search with select and extract. Prints what
// it saw as one JSON document; tests/http/test_http_threads_js.py asserts on it.
import { client, print } from "./lib.mjs";

const lg = client();
const tag = process.env.THREADS_TAG;
const out = {};

// A TTL of 0.04 minutes (2.4 s).
const short = await lg.threads.create({ metadata: { tag }, ttl: 0.04 });
out.ttl = (await lg.threads.get(short.thread_id, { include: ["ttl"] })).ttl ?? null;

// Supersteps: one checkpoint each; the thread goes on from there.
const copied = await lg.threads.create({
  graphId: "chain",
  metadata: { tag, copied: true },
  supersteps: [
    { updates: [{ values: { log: ["a"] }, asNode: "a" }] },
    { updates: [{ values: { log: ["b"] }, asNode: "b" }] },
  ],
});
const state = await lg.threads.getState(copied.thread_id);
out.supersteps = { values: state.values, next: state.next };

// updateState with a list: applied in order, as "b".
await lg.threads.updateState(copied.thread_id, { values: [{ log: ["x"] }, { log: ["y"] }], asNode: "b" });
const edited = await lg.threads.getState(copied.thread_id);
out.edited = { values: edited.values, next: edited.next };
out.finished = await lg.runs.wait(copied.thread_id, "chain", { input: null });

out.search = await lg.threads.search({
  metadata: { tag, copied: true },
  select: ["thread_id", "status"],
  extract: { last: "values.log[-1]", copied: "metadata.copied" },
});
out.copiedId = copied.thread_id;

// The short-lived thread goes (404) within 30 s.
const started = Date.now();
out.expired = false;
while (Date.now() - started < 30000) {
  try {
    await lg.threads.get(short.thread_id);
  } catch (err) {
    out.expired = err.status === 404;
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
print(out);
