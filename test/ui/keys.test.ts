import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UI_COMMAND_IDS } from "../../src/engine/plan/index.js";
import { keybindingsMarkdown, readmeKeyTable, withReadmeKeyTable } from "../../src/ui/keys/docs.js";
import {
  commandForKey,
  displayKey,
  KEY_TABLE,
  type KeyContext,
  withOverrides,
} from "../../src/ui/keys/table.js";
import { PROJECT_ROOT } from "../helpers/repo.js";

const context: KeyContext = {
  mode: "normal",
  agentCount: 0,
  waitingCount: 0,
  startableStreams: [],
  startBlocker: "E cannot start: waiting for A (in_progress)",
  activeTab: "locks",
  zoomed: false,
  canDetach: false,
};

describe("the key table", () => {
  it("has exactly the commands that streams.yaml's ui.keys can name", () => {
    expect(KEY_TABLE.map((c) => c.id).sort()).toEqual([...UI_COMMAND_IDS].sort());
  });
  it("binds each key once per mode", () => {
    for (const mode of ["normal", "insert", "diff"] as const) {
      const keys = KEY_TABLE.filter((c) => c.mode === mode).flatMap((c) => c.keys);
      expect(new Set(keys).size, mode).toBe(keys.length);
    }
  });
  it("finds commands by key and mode", () => {
    expect(commandForKey("j", "normal")?.id).toBe("pane.down");
    expect(commandForKey("ctrl+]", "insert")?.id).toBe("mode.normal");
    expect(commandForKey("j", "insert")).toBeUndefined();
  });
  it("says why a command does not apply now", () => {
    const why = (id: string, c: KeyContext) =>
      KEY_TABLE.find((k) => k.id === id)?.disabledReason?.(c);
    expect(why("stream.start", context)).toBe("E cannot start: waiting for A (in_progress)");
    expect(why("prompt.approve", context)).toBe("no agent is selected: start a stream with s");
    const agent = {
      id: "A1",
      stream: "A",
      status: "running" as const,
      streamStatus: "in_progress",
    };
    expect(why("prompt.approve", { ...context, selectedAgent: agent })).toBe(
      "A1 is not waiting for an answer",
    );
    expect(
      why("prompt.approve", { ...context, selectedAgent: { ...agent, status: "waiting" } }),
    ).toBeUndefined();
    expect(
      why("stream.merge", { ...context, selectedAgent: agent, mergeBlocker: "A is in progress" }),
    ).toBe("A is in progress");
    expect(
      why("stream.merge", { ...context, selectedAgent: agent, mergeTarget: "B" }),
    ).toBeUndefined();
    expect(why("lock.release", context)).toBe("no lock is held");
    expect(why("checkpoint.approve", context)).toBe("open the Checkpoints tab first (Tab)");
    expect(why("snapshot.restore", context)).toBe("open the Snapshots tab first (Tab)");
    expect(why("snapshot.restore", { ...context, activeTab: "snapshots" })).toBe("no snapshot yet");
    const snapshot = { stream: "A", commit: "0123456789" };
    expect(
      why("snapshot.restore", { ...context, activeTab: "snapshots", selectedSnapshot: snapshot }),
    ).toBeUndefined();
  });
  it("takes overrides and shows keys readably", () => {
    expect(commandForKey("g", "normal", withOverrides({ "app.help": ["g"] }))?.id).toBe("app.help");
    expect(displayKey("ctrl+]")).toBe("Ctrl-]");
    expect(displayKey("shift+tab")).toBe("Shift-Tab");
    expect(displayKey("left")).toBe("←");
  });
  it("docs/keybindings.md is generated from the table and is up to date", () => {
    const committed = readFileSync(path.join(PROJECT_ROOT, "docs/keybindings.md"), "utf8");
    expect(
      committed,
      "docs/keybindings.md is stale: run `npx tsx scripts/gen-keybindings.ts`",
    ).toBe(keybindingsMarkdown());
    for (const c of KEY_TABLE) expect(committed).toContain(c.description);
  });
  it("the README's key table is generated from the table and is up to date", () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    expect(readme, "README.md's key table is stale: run `npx tsx scripts/gen-keybindings.ts`").toBe(
      withReadmeKeyTable(readme),
    );
    for (const c of KEY_TABLE) expect(readmeKeyTable()).toContain(c.description);
    expect(() => withReadmeKeyTable("# no table here")).toThrow(/no key table section/);
  });
});
