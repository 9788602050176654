/**
 * The smoke test every real CLI goes through: the model's first turn writes a file with the
 * CLI's own write tool, the CLI asks for permission, the test answers once the way Tower's `y`
 * and `n` do (the session's preset keys), and the file and the next request to the model show
 * what happened. Each CLI's profile says what differs: its environment, its write tool, its
 * prompt, and what it tells the model after a denial.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import type { AgentEnv } from "./cli-env.js";
import type { AgentCli } from "./clis.js";
import { screenShows, startRun, until } from "./harness.js";
import { answerAsTower, submitPrompt } from "./interact.js";
import { type RecordedRequest, type ToolCall, toolResults } from "./model-server.js";
import { changesBetween, type Snapshot, snapshotOutside } from "./outside.js";

export const PROMPT = "Create hello.txt";
export const FOLLOW_UP = "go on";

export interface CliProfile {
  cli: AgentCli;
  /** The CLI's environment, started on `prompt` (its first user message). */
  env(modelUrl: string, root: string, prompt: string): AgentEnv;
  /** The write tool call creating `file` (absolute) with `content`. */
  writeCall(file: string, content: string, root: string): ToolCall;
  /** Screen lines of the permission prompt for that write: its question and its last line. */
  permissionPrompt: RegExp[];
  /** The CLI's input line showing typed `text` (a regular expression source). */
  inputLine(text: string): RegExp;
  /** A screen line once the denial was taken. */
  denied: RegExp;
  /** Checks what the model was told about the denied call, in the request after FOLLOW_UP. */
  checkDenied(callId: string, request: RecordedRequest): void;
}

/** The first turn writes hello.txt; the second only talks. */
function writeScript(profile: CliProfile, file: () => string, root: () => string) {
  return [
    () => ({
      text: "I'll create the file.",
      toolCalls: [profile.writeCall(file(), "hello from the scripted model\n", root())],
    }),
    { text: "Finished the scripted turn." },
  ];
}

/** Approve: the file appears with its content and the next request carries the result. */
export async function approveWrite(profile: CliProfile): Promise<void> {
  let root = "";
  const target = () => path.join(root, "hello.txt");
  const run = await startRun({
    script: writeScript(profile, target, () => root),
    makeEnv: (url, repoRoot) => {
      root = repoRoot;
      return profile.env(url, repoRoot, PROMPT);
    },
  });
  try {
    await screenShows(run, profile.permissionPrompt);
    expect(existsSync(target())).toBe(false);
    await answerAsTower(run, "approve", profile.permissionPrompt);
    await until(
      () => (existsSync(target()) ? true : undefined),
      () => `${target()} to be written; screen:\n${run.session.text().join("\n")}`,
    );
    await until(
      () =>
        readFileSync(target(), "utf8") === "hello from the scripted model\n" ? true : undefined,
      () => `the content of ${target()}: ${JSON.stringify(readFileSync(target(), "utf8"))}`,
    );
    const [call] = await run.server.callsOfTurn(0);
    expect(call).toBeDefined();
    const { result } = await run.server.waitForToolResult(call!.id);
    expect(result.isError).toBe(false);
    await screenShows(run, /Finished the scripted turn/);
    expect(run.server.errors).toEqual([]);
  } finally {
    await run.dispose();
  }
}

/** Deny: no file, and the model hears about it (or not) as the profile says. */
export async function denyWrite(profile: CliProfile): Promise<void> {
  let root = "";
  const target = () => path.join(root, "hello.txt");
  const run = await startRun({
    script: writeScript(profile, target, () => root),
    makeEnv: (url, repoRoot) => {
      root = repoRoot;
      return profile.env(url, repoRoot, PROMPT);
    },
  });
  try {
    await screenShows(run, profile.permissionPrompt);
    await answerAsTower(run, "deny", profile.permissionPrompt);
    await screenShows(run, profile.denied);
    expect(existsSync(target())).toBe(false);
    // A denial ends the turn in every CLI: the model hears of it with the next user message.
    await submitPrompt(run, FOLLOW_UP, profile.inputLine(FOLLOW_UP));
    const [call] = await run.server.callsOfTurn(0);
    const next = await run.server.waitForTurn(1);
    profile.checkDenied(call!.id, next);
    expect(existsSync(target())).toBe(false);
    expect(run.server.errors).toEqual([]);
  } finally {
    await run.dispose();
  }
}

/** The tool result for `callId` in `request`, failing clearly when there is none. */
export function resultFor(callId: string, request: RecordedRequest) {
  const result = toolResults(request).find((r) => r.id === callId);
  if (result === undefined) {
    throw new Error(
      `request #${request.seq} carries no result for ${callId}; results: ${JSON.stringify(toolResults(request))}`,
    );
  }
  return result;
}

/** Snapshot of what must not change, taken in beforeAll and compared in afterAll. */
export function guardOutside(): { check(): void } {
  const before: Snapshot = snapshotOutside();
  return {
    check() {
      expect(changesBetween(before, snapshotOutside())).toBe("");
    },
  };
}
