/**
 * Panes of the user's own, beside an agent and in its worktree: `!` opens a shell (the user's,
 * not an agent: no agent id in its environment, nothing recorded of it), and `e` in the review
 * opens $EDITOR on the file under the cursor at its line. Each pane goes when its program exits,
 * the selection back on the agent in normal mode.
 */
import { chmodSync, existsSync, promises as fsp, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { handleInput } from "../../src/ui/input/dispatch.js";
import { readJson, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, onCleanup, plain, roomWithKeys, yamlArgv } from "./helpers.js";

afterEach(cleanup);

async function open() {
  const f = await roomWithKeys(
    `version: 1
project: demo
agent: ${yamlArgv(fakeAgent("banner", "sleep 60000"))}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Build" }]
`,
    { cols: 160, rows: 40, env: { SHELL: "/bin/sh" } },
  );
  const { ctl } = f;
  expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
  await waitFor(
    () => (f.store.getState().agents.A1?.status === "running" ? true : undefined),
    20_000,
    "A1",
  );
  f.store.getState().select("A1");
  const orchestrator = (await readJson(path.join(f.repo.stateDir, "orchestrator_state.json"))) as {
    streams: Record<string, { worktree: string }>;
  };
  return { ...f, ctl, worktree: orchestrator.streams.A?.worktree ?? "" };
}

const screen = (f: { store: Awaited<ReturnType<typeof open>>["store"] }, id: string) =>
  plain(f.store.getState().frames[id]?.rows ?? []);

describe("panes of the user's own", () => {
  it("! opens a shell in the agent's worktree, as the user; it goes when the shell exits", async () => {
    const f = await open();
    handleInput(f.ctl, "!");
    await waitFor(
      () => (f.store.getState().selected === "A1+shell" ? true : undefined),
      10_000,
      "the shell pane",
    );
    expect(f.store.getState().mode).toBe("insert");
    // A shell command, typed: the braces are the shell's, not a template's.
    const probe = [
      "echo",
      '"in=$(pwd)',
      "agent=$" + "{TOWER_AGENT_ID:-none}",
      'stream=$TOWER_STREAM"',
    ];
    handleInput(f.ctl, `${probe.join(" ")}\r`);
    await waitFor(
      () =>
        screen(f, "A1+shell").includes(`in=${realpathSync(f.worktree)} agent=none stream=A`)
          ? true
          : undefined,
      10_000,
      "the shell's answer",
    );
    handleInput(f.ctl, "exit\r");
    await waitFor(
      () => (f.store.getState().agentOrder.includes("A1+shell") ? undefined : true),
      10_000,
      "the pane gone",
    );
    expect(f.store.getState().selected).toBe("A1");
    expect(f.store.getState().mode).toBe("normal");
    // Nothing of it is recorded: it is not an agent.
    const agents = (await readJson(path.join(f.repo.stateDir, "agents.json"))) as {
      agents: Record<string, unknown>;
    };
    expect(Object.keys(agents.agents)).toEqual(["A1"]);
    expect(existsSync(path.join(f.repo.stateDir, "logs", "agent-A1+shell.log"))).toBe(false);
  });

  it("e in the review opens $EDITOR on the file under the cursor, at its line", async () => {
    const f = await open();
    await fsp.writeFile(path.join(f.worktree, "notes.txt"), "one\ntwo\nthree\n");
    // An editor that says what it was given, then waits for Enter.
    const editor = path.join(path.dirname(f.repo.root), "fake-editor");
    writeFileSync(editor, '#!/bin/sh\necho "EDITING $2 AT $1 IN $(pwd)"\nread line\n');
    chmodSync(editor, 0o755);
    const saved = process.env.EDITOR;
    process.env.EDITOR = editor;
    onCleanup(() => {
      if (saved === undefined) delete process.env.EDITOR;
      else process.env.EDITOR = saved;
    });
    handleInput(f.ctl, "d");
    await waitFor(() => f.store.getState().review, 10_000, "the review");
    // To the file's second line: the file row, the hunk row, then its lines.
    handleInput(f.ctl, "jjj");
    handleInput(f.ctl, "e");
    await waitFor(
      () => (f.store.getState().selected === "A1+editor" ? true : undefined),
      10_000,
      "the editor pane",
    );
    expect(f.store.getState().review).toBeUndefined();
    await waitFor(
      () =>
        screen(f, "A1+editor").includes(`EDITING notes.txt AT +2 IN ${realpathSync(f.worktree)}`)
          ? true
          : undefined,
      10_000,
      "the editor on notes.txt at line 2",
    );
    handleInput(f.ctl, "\r");
    await waitFor(
      () => (f.store.getState().agentOrder.includes("A1+editor") ? undefined : true),
      10_000,
      "the editor gone",
    );
    expect(f.store.getState().selected).toBe("A1");
  });
});
