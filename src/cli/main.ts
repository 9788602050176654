#!/usr/bin/env node
/**
 * The `tower` command. `tower hook <event>` runs on every file write of an agent, so it loads
 * only what it needs (see hook-main.ts); everything else goes through the full command line.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[2] === "hook" && argv[3] !== undefined && !argv[3].startsWith("-")) {
    const { runHookCommand } = await import("./hook-main.js");
    return runHookCommand(argv.slice(3));
  }
  const { CommanderError } = await import("commander");
  const { describeError, exitCodeOf } = await import("./errors.js");
  const { buildProgram } = await import("./program.js");
  try {
    await buildProgram().parseAsync(argv);
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

process.exitCode = await main(process.argv);
