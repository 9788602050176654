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
    if (!(error instanceof CommanderError))
      process.stderr.write(`tower: ${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv);
