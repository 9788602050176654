/**
 * The protocol over a pair of pipes, for `tower server --stdio` reached through SSH: the client
 * starts a command (`ssh host tower server --stdio`) and speaks to its stdin and stdout; the
 * server speaks on its own stdin and stdout. Its stderr is for people: the client keeps the end
 * of it to say why the command stopped (ssh's "Permission denied", "tower: not found").
 */
import type { ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { childProcess } from "../../engine/child-process.js";
import { StreamTransport } from "./stream-transport.js";
import type { TransportLimits } from "./transport.js";

const STDERR_KEPT = 4096;

export interface StdioClientOptions extends TransportLimits {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The client's end: runs `command` and speaks to it. The command's stderr explains a close. */
export function spawnStdioTransport(
  command: string,
  args: string[],
  options: StdioClientOptions = {},
): StreamTransport {
  const { cwd, env, ...limits } = options;
  const child: ChildProcessByStdio<Writable, Readable, Readable> = childProcess().spawn(
    command,
    args,
    {
      cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEPT);
  });
  const transport = new StreamTransport(
    {
      input: child.stdout,
      output: child.stdin,
      end: () => child.stdin.end(),
      destroy: () => {
        child.stdin.destroy();
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      },
    },
    limits,
  );
  const name = [command, ...args].join(" ");
  child.on("error", (error) => transport.gone(`could not run ${name}: ${error.message}`));
  child.on("close", (code, signal) => {
    const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
    const said = stderr.trim();
    transport.gone(`${command} ${how}${said ? `: ${said}` : ""}`);
  });
  return transport;
}

export interface StdioServerStreams {
  input?: Readable;
  output?: Writable;
}

/**
 * The server's end, on this process's stdin and stdout (nothing else may write to stdout). The
 * connection ends when the client closes stdin (ssh does when its user detaches or the link
 * drops) or when the server closes it.
 */
export function stdioServerTransport(
  streams: StdioServerStreams = {},
  limits: TransportLimits = {},
): StreamTransport {
  const input = streams.input ?? process.stdin;
  const output = streams.output ?? process.stdout;
  const transport = new StreamTransport(
    {
      input,
      output,
      end: () => output.end(),
      destroy: () => {
        input.destroy();
        output.destroy();
      },
    },
    limits,
  );
  const gone = () =>
    transport.gone(
      transport.streamError
        ? `the connection failed: ${transport.streamError}`
        : "the client closed the connection",
    );
  input.on("end", () => {
    output.end();
    gone();
  });
  input.on("close", gone);
  output.on("finish", gone);
  output.on("close", gone);
  return transport;
}
