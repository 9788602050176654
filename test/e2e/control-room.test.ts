/**
 * The control room as a person uses it: the built CLI inside real tmux at 160x48, keys sent with
 * send-keys, the screen read with capture-pane, waiting on what the screen shows.
 */
import { execFileSync } from "node:child_process";
import { existsSync, promises as fsp, readlinkSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  git,
  makeRepo,
  PROJECT_ROOT,
  type TempRepo,
  tower,
  waitFor,
} from "../helpers/repo.js";
import { TmuxRig } from "./tmux.js";

const FAKE = path.join(PROJECT_ROOT, "dist/fake-agent/main.js");
const SCRIPT = [
  "banner",
  "work 800 Thinking",
  "ask Do you want to proceed?",
  "say approved by the human",
  "echo",
].join("\\n");

const plan = () => `version: 1
project: shop
agent: [node, ${JSON.stringify(FAKE)}, --step, "${SCRIPT}"]
validate: ["true"]
streams:
  A:
    name: Foundation
    scope: ["src/**"]
    agents: [{ id: A1, task: "Base" }, { id: A2, task: "More" }]
  B:
    name: Billing
    scope: ["billing/**"]
    agents: [{ id: B1, task: "Billing" }]
  E:
    name: Engine
    depends_on: [A]
    agents: [{ id: E1, task: "Engine" }]
`;

let repo: TempRepo;
let rig: TmuxRig | undefined;
beforeEach(async () => {
  repo = await makeRepo({ plan: plan() });
  await fsp.mkdir(path.join(repo.root, "src"));
  await fsp.writeFile(path.join(repo.root, "src/app.txt"), "one\ntwo\n");
  git(repo.root, "add", ".");
  git(repo.root, "commit", "-q", "-m", "app");
  expect((await tower(repo.root, ["start", "A", "B"])).code).toBe(0);
});
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  repo.cleanup();
});

/** The screen's lines (capture-pane ends with a newline). */
const lines = (screen: string) => screen.replace(/\n$/, "").split("\n");
const footer = (screen: string) => lines(screen).at(-1) ?? "";

const open = () => {
  rig = new TmuxRig(repo.root, `node ${CLI}`);
  return rig;
};

/** Fake agents running in this test's worktrees (next to the repository). */
function agentsIn(repo: TempRepo): string[] {
  let pids: string[] = [];
  try {
    pids = execFileSync("pgrep", ["-f", "fake-agent"], { encoding: "utf8" }).trim().split("\n");
  } catch {}
  return pids.filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(path.dirname(repo.root));
    } catch {
      return false;
    }
  });
}

describe("the control room in tmux", () => {
  it("shows three agents side by side, flags a waiting one, approves with y, types in insert mode and returns with Ctrl-]", async () => {
    const r = open();
    // Each agent's own banner (its rows are written one by one: wait for the one naming it).
    const screen = await r.waitFor(
      (s) => ["A1", "A2", "B1"].every((id) => s.includes(`agent ${id} · stream`)),
      "three agents' banners",
    );
    expect((screen.match(/Welcome to Fake Agent/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(screen.split("\n")[0]).toContain("shop");
    await r.waitForText("A1 waiting y approve");
    await r.waitFor((s) => /3 waiting/.test(s.split("\n")[0] ?? ""), "three agents waiting");
    r.keys("y");
    await r.waitForText("approved by the human");
    await r.waitFor((s) => /A1 (running|idle)/.test(s), "A1 running again");
    r.keys("i");
    await r.waitForText("INSERT");
    r.type("hello agent");
    r.keys("Enter");
    await r.waitForText("hello agent");
    r.keys("C-]");
    await r.waitFor((s) => footer(s).includes("NORMAL"), "normal mode");

    // A paste in normal mode is not keys: "query" would have been q, then y.
    r.paste("see my notes: query");
    await r.waitForText("Paste into A1?");
    r.keys("Enter");
    await r.waitForText("pasted into A1");
    // In insert mode, a multi-line paste reaches the agent whole.
    r.keys("i");
    await r.waitForText("INSERT");
    r.paste("first pasted line\nsecond pasted line");
    await r.waitForText("second pasted line");
    r.keys("C-]");
    await r.waitFor((s) => footer(s).includes("NORMAL"), "normal mode again");
  });

  it("shows a lock taken from another shell and a conflict between two worktrees, live", async () => {
    const r = open();
    await r.waitForText("Locks 0");
    expect(
      (
        await tower(repo.root, [
          "lock",
          "src/app.txt",
          "--agent",
          "B1",
          "--task",
          "from another shell",
        ])
      ).code,
    ).toBe(0);
    await r.waitFor((s) => /src\/app\.txt\s+B1/.test(s), "the lock in the Locks tab");
    await r.waitForText("from another shell");
    await fsp.writeFile(
      path.join(path.dirname(repo.root), "shop-stream-A", "src/app.txt"),
      "one\nA\n",
    );
    await fsp.mkdir(path.join(path.dirname(repo.root), "shop-stream-B", "src"), {
      recursive: true,
    });
    await fsp.writeFile(
      path.join(path.dirname(repo.root), "shop-stream-B", "src/app.txt"),
      "one\nB\n",
    );
    await r.waitFor(
      (s) => /[1-9]\d* conflicts?/.test(s.split("\n")[0] ?? ""),
      "a conflict in the header",
    );
    r.keys("Tab");
    await r.waitFor((s) => /high\s+overlap/.test(s), "the overlap in the Conflicts tab");
  });

  it("merges a completed stream after confirmation; ? lists every command; resizes; q asks first and leaves the terminal clean", async () => {
    await fsp.writeFile(
      path.join(path.dirname(repo.root), "shop-stream-A", "src/new.txt"),
      "new\n",
    );
    git(path.join(path.dirname(repo.root), "shop-stream-A"), "add", ".");
    git(path.join(path.dirname(repo.root), "shop-stream-A"), "commit", "-q", "-m", "A's work");
    expect((await tower(repo.root, ["complete", "A"])).code).toBe(0);
    const r = open();
    await r.waitForText("A Foundation completed");
    r.keys("m");
    await r.waitForText("Merge A (Foundation) into main?");
    expect(r.screen()).toContain("predicted conflicts: none");
    r.keys("y");
    await r.waitFor((s) => s.includes("Merge of A: merged"), "the merge result");
    r.keys("Escape");
    await r.waitForText("A Foundation merged");
    expect(git(repo.root, "log", "-1", "--format=%s").trim()).toBe("Merge stream A: Foundation");

    r.keys("?");
    // The help wraps what it says and may take pages: read them all (j turns the page).
    let help = await r.waitFor((s) => /Keys(:| \()/.test(s), "the help");
    const pages = Number(/page 1 of (\d+)/.exec(help)?.[1] ?? 1);
    for (let page = 2; page <= pages; page++) {
      r.keys("j");
      help += await r.waitForText(`page ${page} of ${pages}`);
    }
    for (const key of ["select the pane to", "approve the selected", "merge the selected", "quit"])
      expect(help).toContain(key);
    r.keys("Escape");
    r.resize(80, 24);
    await r.waitFor(
      (s) => lines(s).length === 24 && footer(s).includes("NORMAL"),
      "the footer at 80x24",
    );
    r.resize(160, 48);
    await r.waitFor(
      (s) => lines(s).length === 48 && footer(s).includes("NORMAL"),
      "the footer at 160x48",
    );

    r.keys("q");
    await r.waitForText("Quit Tower?");
    expect(r.screen()).toMatch(/agents? (is|are) running/);
    r.keys("y");
    const after = await r.waitForText("[exited 0]");
    expect(after).not.toContain("NORMAL");
    expect(existsSync(path.join(path.dirname(repo.root), "shop-stream-B"))).toBe(true);
  });

  it("leaves the terminal's history as it was: tmux keeps the lines printed before it", async () => {
    rig = new TmuxRig(repo.root, `seq 1 300; node ${CLI}`);
    const r = rig;
    const history = () => Number(r.tmux("display-message", "-p", "#{history_size}").trim());
    await r.waitFor((s) => footer(s).includes("NORMAL"), "the control room");
    // The control room redraws as the room changes: a lock taken from another shell.
    expect((await tower(repo.root, ["lock", "src/app.txt", "--agent", "A1"])).code).toBe(0);
    await r.waitFor((s) => /\b1 lock\b/.test(lines(s)[0] ?? ""), "the lock in the header");
    r.keys("q");
    await r.waitForText("Quit Tower?");
    r.keys("y");
    await r.waitForText("[exited 0]");
    // 300 lines, 48 of them on the screen when it started: the rest is tmux's history, kept.
    expect(history()).toBeGreaterThanOrEqual(250);
    const kept = r.tmux("capture-pane", "-p", "-S", "-300");
    expect(kept).toMatch(/^1\n2\n3\n/);
  });

  it("leaves nothing of itself on the main screen after the window grew while it was open", async () => {
    // tmux (3.3a) puts the main screen back at the size it was saved at and then grows it,
    // pulling lines down from what it pushed into the history: the alternate screen's rows,
    // unless they are blank.
    rig = new TmuxRig(repo.root, `echo before-line; node ${CLI}`, { cols: 80, rows: 24 });
    const r = rig;
    await r.waitFor((s) => footer(s).includes("NORMAL"), "the control room");
    r.resize(200, 50);
    await r.waitFor((s) => lines(s).length === 50 && footer(s).includes("NORMAL"), "resized");
    r.keys("q");
    await r.waitForText("Quit Tower?");
    r.keys("y");
    const after = await r.waitForText("[exited 0]");
    const shown = lines(after).filter((line) => line.trim() !== "");
    expect(shown).toEqual(["before-line", "[exited 0]"]);
  });

  it("restores the terminal after a crash, prints the error on the main screen, and its agents stop", async () => {
    const crash = path.join(PROJECT_ROOT, "test/e2e/programs/crash-ui.mjs");
    const r = new TmuxRig(repo.root, `node ${crash}`);
    rig = r;
    await r.waitFor((s) => (s.match(/Welcome to Fake Agent/g) ?? []).length >= 3, "three agents");
    expect(r.tmux("display", "-p", "#{alternate_on} #{cursor_flag}").trim()).toBe("1 0");
    r.type("!");
    const after = await r.waitForText("[exited 1]");
    expect(after).toContain("Error: boom: a defect for the crash test");
    expect(after).not.toContain("NORMAL");
    expect(after).not.toContain("Welcome to Fake Agent");
    // Main screen, cursor shown, and the line discipline back to cooked mode: typed text echoes.
    expect(r.tmux("display", "-p", "#{alternate_on} #{cursor_flag}").trim()).toBe("0 1");
    r.type("typed after the crash");
    await r.waitForText("typed after the crash");
    await waitFor(
      () => (agentsIn(repo).length === 0 ? true : undefined),
      15_000,
      "the agents to stop",
    );
  });

  it("restores the terminal and stops its agents when it is killed with SIGTERM", async () => {
    const r = open();
    await r.waitFor((s) => (s.match(/Welcome to Fake Agent/g) ?? []).length >= 3, "three agents");
    const shell = r.tmux("list-panes", "-F", "#{pane_pid}").trim();
    const node =
      execFileSync("pgrep", ["-P", shell], { encoding: "utf8" }).trim().split("\n")[0] ?? "";
    process.kill(Number(node), "SIGTERM");
    const after = await r.waitForText("[exited");
    expect(after).not.toContain("NORMAL");
    expect(after).not.toContain("Welcome to Fake Agent");
    await waitFor(
      () => (agentsIn(repo).length === 0 ? true : undefined),
      15_000,
      "the agents to stop",
    );
  });
});
