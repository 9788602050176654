/**
 * `npm start` (which runs `tower demo`) as a newcomer sees it: within a minute or two, everything
 * the demo promises.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, it } from "vitest";
import { PROJECT_ROOT } from "../helpers/repo.js";
import { TmuxRig } from "./tmux.js";

let parent: string | undefined;
let rig: TmuxRig | undefined;
afterEach(async () => {
  await rig?.close();
  if (parent) rmSync(parent, { recursive: true, force: true });
});

describe("tower demo in tmux", () => {
  it("shows the guide, agents side by side, a waiting agent, locks, conflicts, a completed stream and a handoff; y and m work", async () => {
    parent = mkdtempSync(path.join(os.tmpdir(), "tower-demo-e2e-"));
    const dir = path.join(parent, "demo");
    // The README's first command, after `npm install`; --dir keeps parallel runs apart.
    rig = new TmuxRig(PROJECT_ROOT, `npm start -- --dir ${dir}`);
    await rig.waitForText("Welcome to Tower");
    rig.keys("Escape");
    const header = (s: string) => s.split("\n")[0] ?? "";
    // Three agents' own output on the screen at once, and a lock.
    await rig.waitFor(
      (s) => ["src/util.ts", "src/billing.ts", "docs/guide.md"].every((text) => s.includes(text)),
      "A2's, B1's and C1's output side by side",
      90_000,
    );
    await rig.waitFor((s) => /[1-9] locks?/.test(header(s)), "a lock", 90_000);
    await rig.waitFor((s) => /[1-9] waiting/.test(header(s)), "a waiting agent", 90_000);
    await rig.waitFor((s) => /[1-9]\d* conflicts?/.test(header(s)), "conflicts", 90_000);
    await rig.waitFor(
      (s) => s.includes("C Docs completed") && /Handoffs 1/.test(s),
      "C completed and handed off",
      90_000,
    );
    // Roles beside the agents; the docs' quality gate ran by itself once C completed.
    await rig.waitFor(
      (s) => /A1 \w+ Architect/.test(s) && /docs_quality passed/.test(s),
      "roles, and the quality gate passed",
      60_000,
    );
    await rig.waitFor((s) => /1 approval waiting/.test(header(s)), "the approval waiting", 30_000);
    rig.keys("Tab");
    await rig.waitFor(
      (s) => /high\s+overlap/.test(s) && /scope/.test(s),
      "the overlap and the scope violation",
    );
    rig.keys("w", "y");
    await rig.waitForText("Proceeding: the API is ready");
    rig.keys("m");
    await rig.waitForText("Merge C (Docs) into main?");
    rig.keys("y");
    await rig.waitForText("Merge of C: merged");
    rig.keys("Escape", "q");
    await rig.waitForText("Quit Tower?");
    rig.keys("y");
    await rig.waitForText("[exited 0]");
  });
});
