#!/usr/bin/env node
// A Claude Code hook command for the real-agents tests:
//   node hook.mjs <log file> [<JSON to print>] [<exit code>]
// appends {"event", "payload"} (the JSON Claude Code sent on stdin) as one line to the log file,
// then prints the given JSON (a hook's decision) and exits with the given code (default 0).
import { appendFileSync } from "node:fs";

const [log, answer, code] = process.argv.slice(2);
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
});
process.stdin.on("end", () => {
  let payload;
  try {
    payload = JSON.parse(input);
  } catch {
    payload = { unparsed: input };
  }
  appendFileSync(log, `${JSON.stringify({ event: payload.hook_event_name, payload })}\n`);
  if (answer) process.stdout.write(answer);
  if (code && code !== "0") process.stderr.write(`hook exits ${code}\n`);
  process.exit(Number(code ?? 0));
});
