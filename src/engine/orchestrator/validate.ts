/**
 * Runs a list of shell commands in order (the plan's `validate`, a checkpoint's `run`), output
 * streamed line by line to a log file and to a callback; stops at the first failure.
 */
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { checkStateFolder, openStateFile } from "../state/safe-fs.js";

export interface CommandRun {
  command: string;
  ok: boolean;
  exitCode: number | undefined;
  signal: string | undefined;
  /** The last lines of its output (stdout and stderr interleaved). */
  tail: string[];
  durationMs: number;
}

export interface RunCommandsOptions {
  cwd: string;
  /** Appended to: `$ command`, its output, and its exit status. */
  logFile: string;
  onStart?(command: string): void;
  onLine?(command: string, line: string): void;
  env?: NodeJS.ProcessEnv;
  tailLines?: number;
}

export interface RunCommandsResult {
  ok: boolean;
  runs: CommandRun[];
  failed: CommandRun | undefined;
}

export async function runCommands(
  commands: readonly string[],
  options: RunCommandsOptions,
): Promise<RunCommandsResult> {
  // Logs live in the state directory's logs/: never written through a link there.
  await fsp.mkdir(path.dirname(options.logFile), { recursive: true });
  await checkStateFolder(path.dirname(options.logFile));
  const handle = await openStateFile(
    options.logFile,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
  );
  const log = handle.createWriteStream();
  const runs: CommandRun[] = [];
  try {
    for (const command of commands) {
      const run = await runOne(command, options, (line) => log.write(`${line}\n`));
      runs.push(run);
      if (!run.ok) return { ok: false, runs, failed: run };
    }
    return { ok: true, runs, failed: undefined };
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
}

async function runOne(
  command: string,
  options: RunCommandsOptions,
  write: (line: string) => void,
): Promise<CommandRun> {
  const keep = options.tailLines ?? 20;
  const tail: string[] = [];
  const started = performance.now();
  options.onStart?.(command);
  write(`$ ${command}`);
  const child = execa(command, {
    shell: true,
    cwd: options.cwd,
    all: true,
    reject: false,
    stdin: "ignore",
    env: options.env,
    buffer: false,
  });
  for await (const line of child.iterable({ from: "all" })) {
    const text = String(line);
    write(text);
    options.onLine?.(command, text);
    tail.push(text);
    if (tail.length > keep) tail.shift();
  }
  const result = await child;
  const ok = result.exitCode === 0 && !result.failed;
  const signal = result.signal ?? undefined;
  write(
    ok ? "(exit 0)" : `(failed: ${signal ? `signal ${signal}` : `exit ${result.exitCode ?? "?"}`})`,
  );
  return {
    command,
    ok,
    exitCode: result.exitCode,
    signal,
    tail,
    durationMs: Math.round(performance.now() - started),
  };
}
