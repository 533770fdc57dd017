// graphs/wait_for_user_input.py through the JS SDK: the agent (a chat model that streams its
// tokens) asks the human where they are; stream the request, see the question, stream the
// resume with the answer, read the thread. Prints one JSON object.
import { client, interruptsOf, print, streamRun, threadSummary } from "./lib.mjs";

const GRAPH = "wait_for_user_input";
const INPUT = {
  messages: [{ role: "user", content: "Ask the user where they are, then look up the weather there" }],
};

const lg = client();
const threadId = (await lg.threads.create()).thread_id;
const first = await streamRun(lg, threadId, GRAPH, { input: INPUT });
const interrupts = interruptsOf(first);
const paused = await threadSummary(lg, threadId);
const resumed = await streamRun(lg, threadId, GRAPH, { command: { resume: "san francisco" } });
print({ thread_id: threadId, first, interrupts, paused, resumed, final: await threadSummary(lg, threadId) });
