#!/usr/bin/env node
/**
 * The `tower` command. `tower hook <event>` runs on every file write of an agent, so it loads
 * only what it needs (see hook-main.ts), and so does `tower attach` (attach-main.ts), which a
 * user waits on; everything else goes through the full command line.
 */
import type { Command } from "commander";

/** The commands that run for as long as their terminal or their reader is there. */
const SERVING = new Set(["ui", "demo", "attach", "server", "mcp", "hook"]);

async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`tower log | head`): what is left to print goes nowhere and the
  // command finishes its work, where an unheard EPIPE would end the process half-way, with a
  // stack trace. Not for the programs that serve for as long as their reader is there (the
  // control room, `tower server --stdio`, `tower mcp`): a closed output ends them.
  if (argv[2] !== undefined && !SERVING.has(argv[2]) && !argv[2].startsWith("-"))
    for (const stream of [process.stdout, process.stderr])
      stream.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE") throw error;
      });
  if (argv[2] === "hook" && argv[3] !== undefined && !argv[3].startsWith("-")) {
    const { runHookCommand } = await import("./hook-main.js");
    return runHookCommand(argv.slice(3));
  }
  // `tower attach` paints the room before the control room has loaded (attach-main.ts).
  if (argv[2] === "attach") {
    const { fastAttachArgs, runAttach } = await import("./attach-main.js");
    const args = fastAttachArgs(argv.slice(3));
    const code = args && (await runAttach(args));
    if (code !== undefined) return code;
  }
  const { CommanderError } = await import("commander");
  const { describeError, exitCodeOf, usageError } = await import("./errors.js");
  const { buildProgram } = await import("./program.js");
  try {
    const program = buildProgram();
    const unknown = unknownCommand(program, argv[2]);
    if (unknown) throw usageError(unknown);
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has already printed its own usage errors, help and version.
    if (!(error instanceof CommanderError)) {
      const message = describeError(error);
      // Multi-line reports (plan errors as file:line:col lines) stand as they are.
      process.stderr.write(message.includes("\n") ? `${message}\n` : `tower: ${message}\n`);
    }
    return exitCodeOf(error);
  }
}

/**
 * `tower frob`: the control room is the default command, so without this commander would call
 * the word an excess argument of `ui` ("too many arguments for 'ui'").
 */
function unknownCommand(program: Command, word: string | undefined): string | undefined {
  if (word === undefined || word.startsWith("-")) return undefined;
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (names.includes(word) || word === "help") return undefined;
  return `unknown command "${word}" (commands: ${names.join(", ")}; \`tower --help\` says what each does)`;
}

process.exitCode = await main(process.argv);
