// A program the tests drive: each line it reads (raw mode, no echo) is base64 of bytes to write to
// its terminal. Lets a test put any sequence on a real pty's screen at a moment of its choosing.
process.stdin.setRawMode(true);
process.stdin.setEncoding("utf8");
let pending = "";
process.stdin.on("data", (chunk) => {
  pending += chunk;
  for (let at = pending.search(/[\r\n]/); at >= 0; at = pending.search(/[\r\n]/)) {
    const line = pending.slice(0, at);
    pending = pending.slice(at + 1);
    if (line === "") continue;
    if (line === "exit") process.exit(0);
    process.stdout.write(Buffer.from(line, "base64"));
  }
});
process.stdout.write("puppet ready\r\n");
