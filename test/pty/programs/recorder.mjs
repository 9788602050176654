// Records every byte it receives (raw mode) to the file argv[2], after writing argv[3] (JSON
// string) to its terminal to set modes up; prints "recorder ready" once listening.
import { appendFileSync, writeFileSync } from "node:fs";

const [, , file, setup] = process.argv;
writeFileSync(file, "");
process.stdin.setRawMode(true);
process.stdin.on("data", (chunk) => appendFileSync(file, chunk));
if (setup) process.stdout.write(JSON.parse(setup));
process.stdout.write("recorder ready\r\n");
