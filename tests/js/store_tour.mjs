// The store through the JS SDK: putItem / getItem / searchItems / listNamespaces / deleteItem,
// a run of the `memory` graph whose nodes read and write the same store, and a semantic
// search refused. Prints what it saw as one JSON document; tests/http/test_js_sdk_store.py
// asserts on it.
import { client, print } from "./lib.mjs";

const lg = client();
const user = process.env.STORE_USER;
const out = {};

await lg.store.putItem(["memories", user], "last", { note: "from js" }, { ttl: 10 });
out.put = await lg.store.getItem(["memories", user], "last");
out.run = await lg.runs.wait(null, "memory", { input: { user, note: "hello js" } });
out.after = await lg.store.getItem(["memories", user], "last");
out.search = await lg.store.searchItems(["memories"], { filter: { note: "hello js" } });
out.namespaces = await lg.store.listNamespaces({ prefix: ["memories"] });
await lg.store.deleteItem(["memories", user], "last");
out.deleted = await lg.store.getItem(["memories", user], "last");
try {
  await lg.store.searchItems(["memories"], { query: "greetings" });
  out.query = "accepted";
} catch (err) {
  out.query = { status: err.status ?? null, message: String(err.message ?? err) };
}
print(out);
