/**
 * What the write smoke test (write-flow.ts) needs to know of each real CLI, as observed on the
 * pinned versions (FINDINGS.md): how to start it on a prompt, its write tool, its permission
 * prompt, and what it tells the model after a denial.
 */
import { expect } from "vitest";
import { claudeEnv, codexEnv, geminiEnv } from "./cli-env.js";
import type { CliProfile } from "./write-flow.js";
import { resultFor } from "./write-flow.js";

/** Claude Code: `Write` with an absolute path; `1` approves, Esc rejects and ends the turn. */
export const claude: CliProfile = {
  cli: "claude",
  env: (modelUrl, root, prompt) => claudeEnv({ modelUrl, trust: [root], args: [prompt] }),
  writeCall: (file, content) => ({ name: "Write", input: { file_path: file, content } }),
  permissionPrompt: [/Do you want to create hello\.txt\?/, /Esc to cancel/],
  inputLine: (text) => new RegExp(`^❯\\s${text}`),
  denied: /User rejected write to hello\.txt/,
  checkDenied(callId, request) {
    const result = resultFor(callId, request);
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/doesn't want to proceed with this tool use/);
  },
};

/**
 * Codex: the freeform `apply_patch` tool. In the workspace-write sandbox a patch inside the
 * workspace is applied without asking, so the test runs it read-only, where it asks "Would you
 * like to make the following edits?"; `y` approves, Esc aborts the turn.
 */
export const codex: CliProfile = {
  cli: "codex",
  env: (modelUrl, root, prompt) =>
    codexEnv({
      modelUrl,
      trust: [root],
      overrides: { sandbox_mode: '"read-only"' },
      args: [prompt],
    }),
  writeCall: (file, content, root) => ({
    name: "apply_patch",
    input: [
      "*** Begin Patch",
      `*** Add File: ${file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file}`,
      ...content
        .replace(/\n$/, "")
        .split("\n")
        .map((line) => `+${line}`),
      "*** End Patch",
      "",
    ].join("\n"),
  }),
  permissionPrompt: [/Would you like to make the following edits\?/, /Press enter to confirm/],
  inputLine: (text) => new RegExp(`^›\\s${text}`),
  denied: /Conversation interrupted/,
  checkDenied(callId, request) {
    const result = resultFor(callId, request);
    expect(result.content).toMatch(/^aborted by user/);
  },
};

/**
 * Gemini CLI: `write_file`; `1` (or Enter) allows once, Esc cancels the request. After Esc the
 * rejected call is dropped from the conversation: the model never sees it nor its result.
 */
export const gemini: CliProfile = {
  cli: "gemini",
  env: (modelUrl, root, prompt) =>
    geminiEnv({ modelUrl, trust: [root], args: ["--prompt-interactive", prompt] }),
  writeCall: (file, content) => ({ name: "write_file", input: { file_path: file, content } }),
  permissionPrompt: [/Apply this change\?/, /No, suggest changes/],
  inputLine: (text) => new RegExp(`^\\s*>\\s+${text}`),
  denied: /Request cancelled/,
  checkDenied(callId, request) {
    expect(JSON.stringify(request.body)).not.toContain(callId);
  },
};
