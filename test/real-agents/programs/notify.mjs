#!/usr/bin/env node
// A Codex `notify` program for the real-agents tests:
//   node notify.mjs <log file> <JSON Codex appends>
// appends the JSON Codex passes as its last argument, as one line, to the log file.
import { appendFileSync } from "node:fs";

const [log, ...rest] = process.argv.slice(2);
appendFileSync(log, `${rest.at(-1) ?? ""}\n`);
