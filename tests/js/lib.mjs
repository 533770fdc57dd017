// Shared by the scripts: the client, and a streamed run collected as plain JSON.
import { Client } from "@langchain/langgraph-sdk";

export const STREAM_MODE = ["values", "updates", "messages-tuple"];

export function client() {
  const apiUrl = process.env.TEMPOGRAPH_URL;
  if (!apiUrl) throw new Error("set TEMPOGRAPH_URL to the HTTP API's base URL");
  return new Client({ apiUrl, apiKey: null });
}

// Every SSE event of one streamed run, in order, as {event, data}; the first one is
// {event: "run_created", data: {run_id, thread_id}}: what the SDK read from the response headers.
export async function streamRun(lg, threadId, graph, payload) {
  const events = [];
  const onRunCreated = (run) => events.push({ event: "run_created", data: run });
  const options = { streamMode: STREAM_MODE, onRunCreated, ...payload };
  for await (const part of lg.runs.stream(threadId, graph, options)) {
    events.push({ event: part.event, data: part.data });
  }
  return events;
}

// The interrupts the stream showed: from the last `values` event carrying `__interrupt__`.
export function interruptsOf(events) {
  const shown = events.filter((e) => e.event === "values" && e.data && "__interrupt__" in e.data);
  return shown.length ? shown[shown.length - 1].data.__interrupt__ : [];
}

export async function threadSummary(lg, threadId) {
  const thread = await lg.threads.get(threadId);
  const state = await lg.threads.getState(threadId);
  return { status: thread.status, values: state.values, next: state.next, tasks: state.tasks };
}

export function print(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
}
