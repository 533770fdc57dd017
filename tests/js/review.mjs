// graphs/inbox_review.py through the JS SDK: for each HumanResponse type Agent Inbox sends
// (accept / edit / response / ignore), a thread of its own: stream the request, see the
// interrupt, stream the resume (Command resume), read the thread. Prints one JSON object.
import { client, interruptsOf, print, streamRun, threadSummary } from "./lib.mjs";

const GRAPH = "inbox_review";
const INPUT = { messages: [{ role: "user", content: "reply to alice@example.com" }] };

function answerFor(type, request) {
  switch (type) {
    case "accept":
      return [{ type: "accept", args: null }];
    case "edit": {
      const args = { ...request.action_request.args, subject: "Edited by a human" };
      return [{ type: "edit", args: { action: request.action_request.action, args } }];
    }
    case "response":
      return [{ type: "response", args: "Do not email her, call her instead." }];
    case "ignore":
      return [{ type: "ignore", args: null }];
    default:
      throw new Error(`unknown answer type ${type}`);
  }
}

const lg = client();
const results = {};
for (const type of ["accept", "edit", "response", "ignore"]) {
  const thread = await lg.threads.create();
  const threadId = thread.thread_id;
  const first = await streamRun(lg, threadId, GRAPH, { input: INPUT });
  const interrupts = interruptsOf(first);
  if (interrupts.length !== 1) throw new Error(`expected one interrupt, got ${JSON.stringify(interrupts)}`);
  const paused = await threadSummary(lg, threadId);
  const [request] = interrupts[0].value;
  const answer = answerFor(type, request);
  const resumed = await streamRun(lg, threadId, GRAPH, { command: { resume: answer } });
  results[type] = {
    thread_id: threadId,
    created_status: thread.status,
    first,
    interrupts,
    paused,
    answer,
    resumed,
    final: await threadSummary(lg, threadId),
  };
}
print(results);
