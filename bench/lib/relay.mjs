/**
 * The least two Node processes can do on a keystroke's way through a server (the latency
 * benchmark's floor): `relay.mjs server <socket>` runs `cat` in a pseudo-terminal (node-pty, as
 * Tower's server) and copies its socket's bytes to it and its output back; `relay.mjs client
 * <socket>` puts its terminal in raw mode and copies its keys to the socket and the socket's
 * bytes to its terminal. No framing, no emulator, no drawing: Tower's client and server do all
 * of that on the same path, so what Tower takes above this is its own.
 *
 * Plain JavaScript run by `node`, so that neither process carries a loader.
 */
import net from "node:net";
import pty from "node-pty";

const [mode, socket] = process.argv.slice(2);
if (!socket) throw new Error("usage: relay.mjs server|client <socket>");

if (mode === "server") {
  const server = net.createServer((connection) => {
    const terminal = pty.spawn("/bin/cat", [], {
      cols: 80,
      rows: 24,
      cwd: process.cwd(),
      env: process.env,
    });
    connection.on("data", (data) => terminal.write(data.toString("utf8")));
    terminal.onData((data) => connection.write(data));
    terminal.onExit(() => connection.end());
    connection.on("close", () => terminal.kill());
  });
  server.listen(socket, () => process.stdout.write("listening\n"));
} else if (mode === "client") {
  const connection = net.connect(socket);
  process.stdin.setRawMode(true);
  process.stdin.on("data", (data) => connection.write(data));
  connection.on("data", (data) => process.stdout.write(data));
  connection.on("close", () => process.exit(0));
} else {
  throw new Error(`relay.mjs: unknown mode ${mode}`);
}
