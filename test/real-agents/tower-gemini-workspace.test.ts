/**
 * Gemini CLI 0.61.0, the real CLI, in Tower's room in a repository that commits Gemini settings
 * of its own (`.gemini/settings.json`, which Gemini reads as workspace settings in every
 * agent's worktree and merges over the user's, where Tower's hooks are): the workspace must not
 * be able to switch Tower's hooks off, or an agent writes files other agents hold.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { geminiHomeFolder } from "../../src/agents/launch.js";
import { waitFor } from "../helpers/repo.js";
import { geminiEnv } from "./cli-env.js";
import { submitPrompt } from "./interact.js";
import { toolResults } from "./model-server.js";
import { gemini } from "./profiles.js";
import { holdFile, screenOf, screenShowsLine, startTowerRun, type TowerRun } from "./tower-rig.js";
import { guardOutside } from "./write-flow.js";

const plan = `version: 1
project: demo
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: "Create hello.txt", agent: ["{CLI}", "--prompt-interactive", "{task}"] }
  B:
    name: Beta
    agents:
      - { id: B1, task: "Logging", agent: "true" }
`;

let run: TowerRun | undefined;
let outside: ReturnType<typeof guardOutside>;
beforeAll(() => {
  outside = guardOutside();
});
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});
afterAll(() => outside.check());

/**
 * Waits until `settle` says how it ended, answering any permission prompt of A1's meanwhile
 * with Tower's approve key: whatever Gemini lets the human allow, the test allows.
 */
async function approvingUntil<T>(r: TowerRun, settle: () => T | undefined, what: string) {
  let approved = 0;
  return waitFor(
    () => {
      const done = settle();
      if (done !== undefined) return done;
      if (r.store.getState().agents.A1?.status === "waiting" && Date.now() - approved > 1_500) {
        approved = Date.now();
        r.services.sessions.approve("A1");
      }
      return undefined;
    },
    150_000,
    () => `${what}; messages: ${JSON.stringify(r.messages)}; A1's screen:\n${screenOf(r, "A1")}`,
  );
}

/**
 * The result the model got for A1's write of `file` (made in script turn `turn`), answering
 * A1's prompts meanwhile; "A1 wrote <file>" if the write was made instead.
 */
async function heldWriteResult(r: TowerRun, file: string, turn: number, timeoutMs?: number) {
  const [call] = await r.server.callsOfTurn(turn, timeoutMs);
  return approvingUntil(
    r,
    () => {
      const result = r.server.requests
        .flatMap((q) => toolResults(q))
        .find((result) => result.id === call!.id);
      return result
        ? String(result.content)
        : existsSync(file)
          ? `A1 wrote ${path.relative(r.worktree, file)}`
          : undefined;
    },
    `the result of A1's write of ${path.relative(r.worktree, file)}`,
  );
}

describe("Gemini CLI in Tower (real CLI), a repository's own Gemini settings", () => {
  const unchecked = "the agent's writes would not be checked against other agents' locks";
  const toolless = "so the agent would have none of Tower's tools (locks, handoffs, tasks)";
  it.each([
    [
      "hooksConfig.enabled: false",
      '{\n  // hooks off\n  "hooksConfig": { "enabled": false }\n}\n',
      "sets hooksConfig.enabled to false",
      unchecked,
    ],
    ["hooks: null", '{ "hooks": null }\n', "sets hooks to null", unchecked],
    // Its MCP server: the user's own lists Tower overrides in its Gemini home (see
    // tower-codex-gemini.test.ts); the workspace's it cannot.
    [
      'mcp.excluded: ["tower"]',
      '{ "mcp": { "excluded": ["tower"] } }\n',
      'lists "tower" in mcp.excluded',
      toolless,
    ],
  ])(
    "is not started where the committed workspace settings switch hooks off or take Tower's tools away (%s), and writes nothing another agent holds",
    async (_, settings, said, why) => {
      const held = () => path.join(run!.worktree, "src/held.ts");
      run = await startTowerRun({
        plan,
        stream: "A",
        cli: "gemini",
        commit: { ".gemini/settings.json": settings },
        makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
        before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
        script: [
          () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
          { text: "All done." },
        ],
      });
      const r = run;
      const ended = await approvingUntil(
        r,
        () =>
          r.messages.find((m) => m.startsWith("A1: cannot start")) ??
          (existsSync(held()) ? "A1 wrote src/held.ts" : undefined),
        "A1 refused, or its write of src/held.ts",
      );
      expect(existsSync(held()), "A1 wrote src/held.ts, which B1 holds").toBe(false);
      const file = path.join(run.worktree, ".gemini", "settings.json");
      expect(ended).toContain(`A1: cannot start: ${file} ${said}`);
      expect(ended).toContain(why);
      expect(ended).toContain(`Tower does not start Gemini agent A1 in ${run.worktree}`);
      // Gemini never ran: nothing reached the model, and the file is as the repository has it.
      expect(r.server.requests).toEqual([]);
      expect(r.store.getState().agents.A1?.status).toBe("exited");
      expect(readFileSync(file, "utf8")).toBe(settings);
    },
  );

  it.each([
    ["its trustedFolders.json says DO_NOT_TRUST for the worktree", "rule", "says DO_NOT_TRUST for"],
    [
      "the environment sets GEMINI_RESTRICTED_MODE=true",
      "restricted",
      "the environment sets GEMINI_RESTRICTED_MODE=true",
    ],
  ])(
    "is not started where Gemini would not trust the worktree (%s): it would run no hook, and write what another agent holds",
    async (_, how, said) => {
      const held = () => path.join(run!.worktree, "src/held.ts");
      let file = "";
      run = await startTowerRun({
        plan,
        stream: "A",
        cli: "gemini",
        makeEnv: (modelUrl, trust) => {
          const [root, worktree] = trust as [string, string];
          // The test environment trusts the workspace by its variable: not here.
          const made = geminiEnv({
            modelUrl,
            trust: [root],
            env: {
              GEMINI_CLI_TRUST_WORKSPACE: "",
              ...(how === "restricted" && { GEMINI_RESTRICTED_MODE: "true" }),
            },
          });
          file = path.join(made.home, ".gemini", "trustedFolders.json");
          if (how === "rule") {
            writeFileSync(
              file,
              JSON.stringify({ [root]: "TRUST_FOLDER", [worktree]: "DO_NOT_TRUST" }, null, 2),
            );
          }
          return made;
        },
        before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
        script: [
          () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
          { text: "All done." },
        ],
      });
      const r = run;
      const ended = await approvingUntil(
        r,
        () =>
          r.messages.find((m) => m.startsWith("A1: cannot start")) ??
          (existsSync(held()) ? "A1 wrote src/held.ts" : undefined),
        "A1 refused, or its write of src/held.ts",
      );
      expect(existsSync(held()), "A1 wrote src/held.ts, which B1 holds").toBe(false);
      expect(ended).toContain(`A1: cannot start: ${how === "rule" ? `${file} ` : ""}${said}`);
      expect(ended).toContain("Gemini CLI would run none of Tower's hooks there");
      expect(ended).toContain(`Tower does not start Gemini agent A1 in ${run.worktree}`);
      expect(r.server.requests).toEqual([]);
    },
  );

  it("is not started where Gemini trusts neither the worktree nor its repository: it would run the task behind its trust question with no hook", async () => {
    const held = () => path.join(run!.worktree, "src/held.ts");
    run = await startTowerRun({
      plan,
      stream: "A",
      cli: "gemini",
      // No rule at all, and not trusted by the variable: Gemini would ask.
      makeEnv: (modelUrl) =>
        geminiEnv({ modelUrl, trust: [], env: { GEMINI_CLI_TRUST_WORKSPACE: "" } }),
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
        { text: "All done." },
      ],
    });
    const r = run;
    const ended = await approvingUntil(
      r,
      () =>
        r.messages.find((m) => m.startsWith("A1: cannot start")) ??
        (existsSync(held()) ? "A1 wrote src/held.ts" : undefined),
      "A1 refused, or its write of src/held.ts",
    );
    expect(existsSync(held()), "A1 wrote src/held.ts, which B1 holds").toBe(false);
    expect(ended).toContain(
      `Gemini CLI trusts neither ${run.worktree} nor its repository ${run.repo.root}`,
    );
    expect(ended).toContain("Trust the repository in Gemini");
    expect(r.server.requests).toEqual([]);
  });

  it("trusts a worktree with no rule of its own when Gemini trusts the repository: its hooks run, and a file another agent holds is refused", async () => {
    const held = () => path.join(run!.worktree, "src/held.ts");
    run = await startTowerRun({
      plan,
      stream: "A",
      cli: "gemini",
      // The repository trusted, its worktree not named; not trusted by the variable.
      makeEnv: (modelUrl, trust) =>
        geminiEnv({ modelUrl, trust: [trust[0]!], env: { GEMINI_CLI_TRUST_WORKSPACE: "" } }),
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
        { text: "All done." },
      ],
    });
    const r = run;
    const [call] = await r.server.callsOfTurn(0, 120_000);
    const { result } = await r.server.waitForToolResult(call!.id);
    expect(JSON.stringify(result.content)).toContain("src/held.ts is locked by agent B1");
    expect(existsSync(held())).toBe(false);
    expect(screenOf(r, "A1")).not.toMatch(/Do you trust the files in this folder\?/);
  });

  // Gemini asks for a restart when /permissions changes whether the folder is trusted, and the
  // restarted CLI, untrusted, ran none of Tower's hooks: the write was made. Tower decides the
  // trust at the start and gives it as GEMINI_CLI_TRUST_WORKSPACE=true, which outranks the file.
  it("keeps its hooks when the human distrusts the worktree in the agent (/permissions trust, Don't trust): a file another agent holds is still refused", async () => {
    const held = () => path.join(run!.worktree, "src/held.ts");
    run = await startTowerRun({
      plan,
      stream: "A",
      cli: "gemini",
      // The worktree trusted by a rule of its own, not by the variable.
      makeEnv: (modelUrl, trust) =>
        geminiEnv({ modelUrl, trust, env: { GEMINI_CLI_TRUST_WORKSPACE: "" } }),
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        { text: "Ready." },
        () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
        { text: "All done." },
      ],
    });
    const r = run;
    await screenShowsLine(r, "A1", /Ready\./, 120_000);
    const session = r.services.sessions.get("A1")!;
    session.write("/permissions trust");
    await screenShowsLine(r, "A1", /\/permissions trust/);
    session.write("\r");
    await screenShowsLine(r, "A1", /Modify Trust Level/);
    // From "Trust this folder" (its level now) down to "Don't trust".
    session.write("\x1b[B");
    await new Promise((resolve) => setTimeout(resolve, 300));
    session.write("\x1b[B");
    await new Promise((resolve) => setTimeout(resolve, 300));
    session.write("\r");
    // Whatever Gemini asks then, the human says yes: a restart when it offers one.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    if (/Press 'r' to restart/.test(screenOf(r, "A1"))) {
      session.write("r");
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    await screenShowsLine(r, "A1", /Type your message/, 120_000);
    await submitPrompt(
      { session: r.services.sessions.get("A1")!, server: r.server },
      "go on",
      gemini.inputLine("go on"),
    );
    const ended = await heldWriteResult(r, held(), 1);
    expect(existsSync(held()), "A1 wrote src/held.ts, which B1 holds").toBe(false);
    expect(ended).toContain("src/held.ts is locked by agent B1");
    // The change is the user's: in their own trusted folders, and the next start is refused.
    const rules = path.join(r.agent.home, ".gemini", "trustedFolders.json");
    expect(JSON.parse(readFileSync(rules, "utf8"))).toMatchObject({
      [r.worktree]: "DO_NOT_TRUST",
    });
    await r.closeRoom();
    await r.reopen();
    const refused = await waitFor(
      () => r.messages.find((m) => m.startsWith("A1: cannot start")),
      60_000,
      () => `A1 refused at the next start; messages: ${JSON.stringify(r.messages)}`,
    );
    expect(refused).toContain(`${rules} says DO_NOT_TRUST for ${r.worktree}`);
  });

  it("keeps its hooks when the workspace settings disable them by name (hooksConfig.disabled): a file another agent holds is still refused", async () => {
    const held = () => path.join(run!.worktree, "src/held.ts");
    run = await startTowerRun({
      plan,
      stream: "A",
      cli: "gemini",
      resume: true,
      makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        { text: "Ready." },
        () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
        { text: "All done." },
      ],
    });
    const r = run;
    await screenShowsLine(r, "A1", /Ready\./, 120_000);
    // The workspace names every hook Tower gave this launch, by its name and by its command (a
    // hook's name in `disabled` is its `name`, else its command): what a repository could learn.
    const ours = JSON.parse(
      readFileSync(
        path.join(geminiHomeFolder(r.project.store, "A1"), ".gemini", "settings.json"),
        "utf8",
      ),
    ) as { hooks: Record<string, { hooks: { name?: string; command: string }[] }[]> };
    const names = Object.values(ours.hooks).flatMap((entries) =>
      entries.flatMap((entry) =>
        entry.hooks.flatMap((h) => [h.command, ...(h.name ? [h.name] : [])]),
      ),
    );
    expect(names.length).toBeGreaterThan(0);
    mkdirSync(path.join(r.worktree, ".gemini"), { recursive: true });
    writeFileSync(
      path.join(r.worktree, ".gemini", "settings.json"),
      `${JSON.stringify({ hooksConfig: { disabled: names } }, null, 2)}\n`,
    );
    await r.closeRoom();
    await r.reopen();
    await screenShowsLine(r, "A1", /Type your message/, 120_000);
    await submitPrompt(
      { session: r.services.sessions.get("A1")!, server: r.server },
      "go on",
      gemini.inputLine("go on"),
    );
    const ended = await heldWriteResult(r, held(), 1);
    expect(existsSync(held()), "A1 wrote src/held.ts, which B1 holds").toBe(false);
    expect(ended).toContain(
      'src/held.ts is locked by agent B1, stream B, working on \\"logging\\" until',
    );
  });

  it("keeps its hooks when a committed .env of the worktree's would make Gemini distrust it (GEMINI_CLI_TRUST_WORKSPACE=false): a file another agent holds is still refused", async () => {
    const held = () => path.join(run!.worktree, "src/held.ts");
    run = await startTowerRun({
      plan,
      stream: "A",
      cli: "gemini",
      commit: { ".gemini/.env": "GEMINI_CLI_TRUST_WORKSPACE=false\n" },
      // The user trusts the worktree by their trusted folders only, as most do: no variable.
      makeEnv: (modelUrl, trust) => {
        const made = geminiEnv({ modelUrl, trust });
        delete made.env.GEMINI_CLI_TRUST_WORKSPACE;
        return made;
      },
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
        { text: "All done." },
      ],
    });
    const r = run;
    const ended = await heldWriteResult(r, held(), 0, 120_000);
    expect(existsSync(held()), "A1 wrote src/held.ts, which B1 holds").toBe(false);
    expect(ended).toContain(
      'src/held.ts is locked by agent B1, stream B, working on \\"logging\\" until',
    );
    expect(screenOf(r, "A1")).not.toMatch(/This folder is untrusted/);
  });
});
