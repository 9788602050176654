/**
 * The control room as a daily tool, in real tmux with the built CLI: a waiting agent on another
 * page rings the outer terminal (a bell and an OSC 9, read from the bytes tmux receives), `A`
 * adds an agent that starts, and `X` after a merge cleans up without removing a worktree that
 * still holds work.
 */
import { existsSync, promises as fsp, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { recordSnapshot } from "../../src/engine/git/snapshot.js";
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
const agent = (...steps: string[]) =>
  `[node, ${JSON.stringify(FAKE)}, --step, ${JSON.stringify(steps.join("\n"))}]`;

let repo: TempRepo | undefined;
let rig: TmuxRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  repo?.cleanup();
  repo = undefined;
});

describe("the control room as a daily tool, in tmux", () => {
  it("rings the outer terminal (bell and OSC 9) when an agent on another page starts waiting", async () => {
    const quiet = agent("banner", "sleep 60000");
    const agents = Array.from({ length: 7 }, (_, i) =>
      i === 6
        ? `{ id: A7, task: "t", agent: ${agent("banner", "sleep 4000", "ask Do you want to proceed?", "sleep 60000")} }`
        : `{ id: A${i + 1}, task: "t", agent: ${quiet} }`,
    );
    repo = await makeRepo({
      plan: `version: 1
project: shop
agent: ${quiet}
streams:
  A:
    name: Foundation
    agents: [${agents.join(", ")}]
`,
    });
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    const out = path.join(path.dirname(repo.root), "outer.bin");
    rig = new TmuxRig(repo.root, `node ${CLI}`, { cols: 80, rows: 24 });
    // What the outer terminal receives from Tower: tmux copies the pane's output to a file.
    rig.tmux("pipe-pane", "-o", `cat >> ${out}`);
    await rig.waitFor(
      (s) => /panes 1–\d of 7|1–\d\/7/.test(s.split("\n")[0] ?? ""),
      "the page indicator",
    );
    expect(rig.screen()).not.toContain("A7 ");
    // Borders between the panes: the selected pane's title and the border beside it in the
    // accent colour (cyan), as the terminal got them (each line captured alone: tmux carries
    // the attributes of one line's end into the next).
    const tmux = rig;
    const plain = tmux.screen().split("\n");
    const line = (y: number) => tmux.tmux("capture-pane", "-e", "-p", "-S", `${y}`, "-E", `${y}`);
    const cyan = (char: string) =>
      new RegExp(`\\x1b\\[(?:[0-9;]*;)?36(?:;[0-9;]*)?m(?:\\x1b\\[[0-9;]*m)*${char}`);
    const y = plain.findIndex((l) => l.includes("▶ A1"));
    expect(line(y)).toMatch(cyan("▶"));
    expect(line(y + 1)).toMatch(cyan("│"));
    const bytes = await waitFor(
      () => {
        const got = existsSync(out) ? readFileSync(out, "latin1") : "";
        return got.includes("\x1b]9;Tower: A7") ? got : undefined;
      },
      30_000,
      "an OSC 9 naming A7",
    );
    expect(bytes).toMatch(/\x07\x1b\]9;Tower: A7[^\x07]*waiting/);
    expect(bytes).toContain("\x1b]777;notify;Tower;A7");
  });

  it("A adds an agent to streams.yaml, which starts once trusted", async () => {
    repo = await makeRepo({
      plan: `version: 1
# keep me
project: shop
agent: ${agent("banner", "say hello from {agent}", "sleep 60000")}
streams:
  A:
    name: Foundation
    agents:
      - { id: A1, task: "Base" }
`,
    });
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    rig = new TmuxRig(repo.root, `node ${CLI}`, { cols: 160, rows: 48 });
    await rig.waitForText("hello from A1", 30_000);
    rig.keys("A");
    await rig.waitForText("Add an agent to streams.yaml");
    // Stream A and the id A2 are prefilled: Tab to the task, type it, then Tab past the rest.
    rig.keys("Tab", "Tab");
    rig.type("Write the docs");
    for (let i = 0; i < 5; i++) rig.keys("Tab");
    await rig.waitForText("would run these commands", 20_000);
    rig.keys("y");
    await rig.waitForText("hello from A2", 30_000);
    const text = readFileSync(path.join(repo.root, "streams.yaml"), "utf8");
    expect(text).toContain("# keep me");
    expect(text).toContain('- { id: "A2", task: "Write the docs" }');
  });

  it("the Snapshots tab lists the stream worktrees' snapshots at 80x24; o shows one whole with how to bring a file back, B brings its files back", async () => {
    repo = await makeRepo({
      plan: `version: 1
project: shop
agent: ${agent("banner", "sleep 60000")}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
`,
    });
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    const worktree = path.join(path.dirname(repo.root), "shop-stream-A");
    await fsp.writeFile(path.join(worktree, "notes.md"), "a draft\n");
    const commit = await recordSnapshot(worktree, "A", "before A1's Bash");
    // Thrown away since (an agent's git clean).
    await fsp.rm(path.join(worktree, "notes.md"));
    rig = new TmuxRig(repo.root, `node ${CLI}`, { cols: 80, rows: 24 });
    await rig.waitFor((s) => /A1 (running|idle)/.test(s), "A1");
    // Shift-Tab from Locks goes round to the last tab, whose title fits at 80 columns.
    rig.keys("BTab");
    const tab = await rig.waitFor((s) => /Snap 1\b/.test(s) && s.includes("notes.md"), "the tab");
    expect(tab).toMatch(
      new RegExp(
        `\\d\\d:\\d\\d:\\d\\d A +${commit?.slice(0, 10)} +1 file: notes\\.md +before A1's Bash`,
      ),
    );
    rig.keys("o");
    const whole = await rig.waitForText("restore:", 10_000);
    expect(whole).toContain(`  git restore --source=${commit?.slice(0, 12)} -- <file>`);
    expect(whole).toContain(`commit: ${commit}`);
    expect(whole).toContain("  - notes.md");
    // B brings it back, once confirmed.
    rig.keys("Escape");
    await rig.waitFor((s) => !s.includes("restore:"), "the row closed");
    rig.keys("B");
    const asked = await rig.waitForText(
      `Bring back snapshot ${commit?.slice(0, 10)} into A's worktree?`,
    );
    expect(asked).toContain("Its file (notes.md) is written as it was");
    rig.keys("y");
    await rig.waitForText(`brought back 1 file of snapshot ${commit?.slice(0, 10)}`, 10_000);
    expect(await fsp.readFile(path.join(worktree, "notes.md"), "utf8")).toBe("a draft\n");
  });

  it("X after a merge removes the merged worktree but keeps one that still holds work", async () => {
    repo = await makeRepo({
      plan: `version: 1
project: shop
agent: ${agent("banner", "sleep 60000")}
validate: ["true"]
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
  B:
    name: Billing
    agents: [{ id: B1, task: "Billing" }]
`,
    });
    expect((await tower(repo.root, ["start", "A", "B"])).code).toBe(0);
    const worktree = (id: string) => path.join(path.dirname(repo?.root ?? ""), `shop-stream-${id}`);
    // Merged while the agents run in the control room: their worktrees stay for X.
    rig = new TmuxRig(repo.root, `node ${CLI}`, { cols: 160, rows: 48 });
    await rig.waitFor(
      (s) => /A1 (running|idle)/.test(s) && /B1 (running|idle)/.test(s),
      "A1 and B1",
    );
    for (const id of ["A", "B"]) {
      await fsp.writeFile(path.join(worktree(id), `${id}.txt`), `${id}\n`);
      git(worktree(id), "add", ".");
      git(worktree(id), "commit", "-q", "-m", `${id}'s work`);
      expect((await tower(repo.root, ["complete", id])).code).toBe(0);
    }
    expect((await tower(repo.root, ["merge", "A"])).code).toBe(0);
    expect((await tower(repo.root, ["merge", "B"])).code).toBe(0);
    expect(existsSync(worktree("A"))).toBe(true);
    // B's worktree gets work after its merge: a file nobody committed.
    await fsp.writeFile(path.join(worktree("B"), "after-merge.txt"), "not lost\n");
    await rig.waitForText("B Billing merged", 30_000);
    for (const id of ["A", "B"]) {
      // Select the stream's agent, then X.
      await rig.waitForText(`${id}1`);
      rig.keys(id === "A" ? "h" : "l");
      await rig.waitFor((s) => s.includes(`▶ ${id}1`), `${id}1 selected`);
      rig.keys("X");
      await rig.waitForText(`Clean up ${id}`);
      rig.keys("y");
      const done = await rig.waitFor(
        (s) => s.includes(`${id} cleaned up`),
        `${id}'s cleanup result`,
        30_000,
      );
      if (id === "B") expect(done).toMatch(/kept|untracked|uncommitted/);
    }
    expect(existsSync(worktree("A"))).toBe(false);
    expect(readFileSync(path.join(worktree("B"), "after-merge.txt"), "utf8")).toBe("not lost\n");
  });
});
