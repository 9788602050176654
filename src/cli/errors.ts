/** Exit codes and how each kind of failure is reported: one sentence on stderr. */
import { CommanderError } from "commander";
import { RefusedError, TargetError, UnknownIdError, UnsafePathError } from "../engine/errors.js";
import { GitError } from "../engine/git/index.js";
import { LockPathError } from "../engine/locks.js";
import { PlanError } from "../engine/plan/index.js";
import { LockTimeoutError, StateFileError } from "../engine/state/index.js";
import { NoTerminalError } from "../ui/terminal-modes.js";

export const EXIT = { ok: 0, error: 1, usage: 2, refused: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI itself reports, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const refused = (message: string) => new CliError(message, EXIT.refused);

export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof RefusedError) return EXIT.refused;
  return EXIT.error;
}

const KNOWN = [
  PlanError,
  StateFileError,
  LockPathError,
  UnknownIdError,
  GitError,
  LockTimeoutError,
  RefusedError,
  TargetError,
  UnsafePathError,
  NoTerminalError,
];

/** The text to print for an error: ours as they are, anything unexpected with its stack. */
export function describeError(error: unknown): string {
  if (error instanceof CliError || KNOWN.some((kind) => error instanceof kind)) {
    return (error as Error).message;
  }
  if (error instanceof Error) {
    return `unexpected error: ${error.message}\n${error.stack ?? ""}\nPlease report this with the command you ran.`;
  }
  return `unexpected error: ${String(error)}`;
}
