#!/usr/bin/env node
import { CommanderError } from "commander";
import { describeError, exitCodeOf } from "./errors.js";
import { buildProgram } from "./program.js";

async function main(argv: string[]): Promise<number> {
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
