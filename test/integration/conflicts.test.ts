/**
 * `tower conflicts`: each kind of warning from a real change in real worktrees, and cleared when
 * the change goes; conflict_warnings.jsonl told once; conflict_cleared in the activity log.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConflictWarning } from "../../src/engine/conflicts/index.js";
import { git, makeRepo, readJsonlFile, type TempRepo, tower } from "../helpers/repo.js";
import {
  addStream,
  commitAll,
  conflictsJson,
  installGuards,
  numbered,
  removeIn,
  type StreamSetup,
  startStreams,
  writeIn,
  writeStreamsState,
} from "../helpers/streams.js";

let repo: TempRepo;
let a: StreamSetup;
let b: StreamSetup;

beforeEach(async () => {
  repo = await makeRepo();
  writeIn(repo.root, "shared/util.py", numbered(20));
  writeIn(repo.root, "config/settings.ts", "export const settings = {};\n");
  writeIn(repo.root, "logging/log.ts", "export const log = (s: string) => s;\n");
  writeIn(repo.root, "logging/handlers.py", "def handle():\n    pass\n");
  commitAll(repo.root, "base files");
  [a, b] = startStreams(repo, ["A", "B"]) as [StreamSetup, StreamSetup];
});
afterEach(() => repo.cleanup());

const scan = () => conflictsJson(repo.root);

const ofKind = (warnings: ConflictWarning[], kind: string) =>
  warnings.filter((w) => w.kind === kind);
const conflictLog = () => readJsonlFile(path.join(repo.stateDir, "conflict_warnings.jsonl"));
const activity = () => readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));

describe("tower conflicts", () => {
  it("does not count editor temporary files (swap, backup, lock files) as changes", async () => {
    for (const file of [
      "logging/.log.ts.swp",
      "logging/log.ts~",
      "logging/.#log.ts",
      "logging/#log.ts#",
      "logging/4913",
    ]) {
      writeIn(a.worktree, file, "x\n");
      writeIn(b.worktree, file, "y\n");
    }
    // A's scope is config/**, and both streams hold the same names: neither scope nor overlap.
    expect(await scan()).toEqual([]);
    // A real file there still counts.
    writeIn(a.worktree, "logging/notes.md", "x\n");
    expect(ofKind(await scan(), "scope").map((w) => w.files)).toEqual([["logging/notes.md"]]);
  });

  it("says so when nothing conflicts, in text and as JSON", async () => {
    const text = await tower(repo.root, ["conflicts"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe("no conflicts\n");
    expect(await scan()).toEqual([]);
  });

  it("warns of an overlap, medium on different lines and high on the same lines, and clears it", async () => {
    writeIn(a.worktree, "shared/util.py", numbered(20).replace("line 3\n", "A3\n"));
    writeIn(b.worktree, "shared/util.py", numbered(20).replace("line 15\n", "B15\n"));
    git(b.worktree, "add", "shared/util.py"); // staged in B, unstaged in A
    let overlaps = ofKind(await scan(), "overlap");
    expect(overlaps).toEqual([
      {
        kind: "overlap",
        streams: ["A", "B"],
        agents: ["A1", "A2", "B1", "B2"],
        files: ["shared/util.py"],
        severity: "medium",
        message:
          "Streams A and B both changed shared/util.py (A: unstaged, B: staged), on different lines.",
      },
    ]);

    writeIn(b.worktree, "shared/util.py", numbered(20).replace("line 3\n", "B3\n"));
    overlaps = ofKind(await scan(), "overlap");
    expect(overlaps).toHaveLength(1);
    expect(overlaps[0]).toMatchObject({ severity: "high", files: ["shared/util.py"] });
    expect(overlaps[0]?.message).toContain("on the same lines");

    // A deletion of lines that B replaced is the same lines too; a new file added by both as well.
    writeIn(a.worktree, "shared/util.py", numbered(20).replace("line 3\nline 4\n", ""));
    writeIn(a.worktree, "shared/new.py", "x = 1\n");
    writeIn(b.worktree, "shared/new.py", "x = 2\n");
    overlaps = ofKind(await scan(), "overlap");
    expect(overlaps.map((w) => [w.files[0], w.severity])).toEqual([
      ["shared/new.py", "high"],
      ["shared/util.py", "high"],
    ]);

    git(b.worktree, "reset", "-q", "--hard");
    removeIn(b.worktree, "shared/new.py");
    expect(ofKind(await scan(), "overlap")).toEqual([]);
  });

  it("warns of changes outside the stream's scope, committed or untracked, and clears them", async () => {
    writeIn(a.worktree, "logging/extra.py", "print('x')\n");
    writeIn(a.worktree, "config/inside.ts", "export {};\n");
    writeIn(b.worktree, "README.md", "# changed\n");
    commitAll(b.worktree, "B edits the readme");
    const scope = ofKind(await scan(), "scope");
    expect(scope.map((w) => [w.streams, w.files, w.severity])).toEqual([
      [["A"], ["logging/extra.py"], "medium"],
      [["B"], ["README.md"], "medium"],
    ]);
    expect(scope[0]?.message).toBe(
      "Stream A changed logging/extra.py, outside its scope (config/**).",
    );
    removeIn(a.worktree, "logging/extra.py");
    git(b.worktree, "reset", "-q", "--hard", "main");
    expect(ofKind(await scan(), "scope")).toEqual([]);
  });

  it("warns when a stream changes a file under another stream's live lock, until it is released", async () => {
    writeIn(a.worktree, "logging/log.ts", "export const log = (s: string) => 'A ' + s;\n");
    // B1 holds the folder, A1 holds a file of A's own: only the first concerns A.
    expect((await tower(repo.root, ["lock", "logging/", "--agent", "B1"])).code).toBe(0);
    expect((await tower(repo.root, ["lock", "config/", "--agent", "A1"])).code).toBe(0);
    writeIn(a.worktree, "config/settings.ts", "export const settings = { a: 1 };\n");
    const locks = ofKind(await scan(), "lock");
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({
      kind: "lock",
      streams: ["A", "B"],
      files: ["logging/log.ts"],
      severity: "high",
    });
    expect(locks[0]?.message).toMatch(
      /^Stream A changed logging\/log\.ts, which is locked by agent B1 of stream B \(folder lock logging\/, until /,
    );
    expect((await tower(repo.root, ["unlock", "logging/", "--agent", "B1"])).code).toBe(0);
    expect(ofKind(await scan(), "lock")).toEqual([]);
    // An expired lock is no warning either.
    expect(
      (await tower(repo.root, ["lock", "logging/log.ts", "--agent", "B2", "--ttl", "1s"])).code,
    ).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(ofKind(await scan(), "lock")).toEqual([]);
  });

  it("warns when a stream imports a module another stream changed (TS and Python)", async () => {
    writeIn(b.worktree, "logging/log.ts", "export const log = (s: string) => 'B ' + s;\n");
    writeIn(b.worktree, "logging/handlers.py", "def handle():\n    return 1\n");
    // A: an untracked TS file with a `.js` import, and an added line in a tracked Python file.
    writeIn(a.worktree, "config/use.ts", 'import { log } from "../logging/log.js";\nlog("x");\n');
    writeIn(a.worktree, "shared/util.py", `from logging.handlers import handle\n${numbered(20)}`);
    const imports = ofKind(await scan(), "import");
    expect(imports.map((w) => [w.streams, w.files, w.severity])).toEqual([
      [["A", "B"], ["logging/handlers.py"], "low"],
      [["A", "B"], ["logging/log.ts"], "low"],
    ]);
    expect(imports[1]?.message).toBe(
      "Stream A imports logging/log.ts (in config/use.ts), which stream B changed.",
    );
    git(b.worktree, "checkout", "--", "logging/log.ts");
    expect(ofKind(await scan(), "import").map((w) => w.files)).toEqual([["logging/handlers.py"]]);
  });

  it("tells conflict_warnings.jsonl of a warning once, and the activity log when it clears", async () => {
    writeIn(a.worktree, "logging/extra.py", "print('x')\n");
    const first = await scan();
    expect(first).toHaveLength(1);
    await scan();
    let log = await conflictLog();
    expect(log).toHaveLength(1);
    expect(log[0]).toEqual({
      timestamp: expect.stringMatching(/Z$/),
      agent: "A1",
      warning: "Stream A changed logging/extra.py, outside its scope (config/**).",
      severity: "medium",
    });
    // A conflict warning is no problem of the state (the worktrees have the guard, as after start).
    await installGuards(repo, [a, b]);
    const check = await tower(repo.root, ["check"]);
    expect(check.code, check.stderr).toBe(0);

    removeIn(a.worktree, "logging/extra.py");
    await scan();
    await scan();
    const cleared = (await activity()).filter((e) => e.action === "conflict_cleared");
    expect(cleared).toEqual([
      {
        timestamp: expect.stringMatching(/Z$/),
        agent: "tower",
        stream: "A",
        action: "conflict_cleared",
        kind: "scope",
        streams: ["A"],
        files: ["logging/extra.py"],
        message: "Stream A changed logging/extra.py, outside its scope (config/**).",
      },
    ]);
    // Back again: a new warning, told again.
    writeIn(a.worktree, "logging/extra.py", "print('x')\n");
    await scan();
    log = await conflictLog();
    expect(log).toHaveLength(2);
  });

  it("prints a table of the warnings", async () => {
    writeIn(a.worktree, "logging/extra.py", "print('x')\n");
    const result = await tower(repo.root, ["conflicts"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "SEVERITY  KIND   STREAMS  MESSAGE\n" +
        "medium    scope  A        Stream A changed logging/extra.py, outside its scope (config/**).\n" +
        "\n1 conflict warning\n",
    );
  });

  it("ignores pending and merged streams, and works from a stream worktree", async () => {
    const c = addStream(repo, "C", { status: "merged" });
    writeIn(c.worktree, "shared/util.py", "C\n");
    writeStreamsState(repo, [a, b, c, { ...addStream(repo, "D"), status: "pending" }]);
    writeIn(a.worktree, "shared/util.py", "A\n");
    const result = await tower(a.worktree, ["conflicts", "--json"]);
    expect(result.code).toBe(0);
    const warnings = JSON.parse(result.stdout) as ConflictWarning[];
    expect(warnings.every((w) => w.streams.every((s) => s === "A" || s === "B"))).toBe(true);
  });

  it("fails with exit 1 naming the stream whose worktree cannot be read, recording nothing", async () => {
    writeIn(a.worktree, "logging/extra.py", "print('x')\n");
    rmSync(b.worktree, { recursive: true, force: true });
    const result = await tower(repo.root, ["conflicts", "--json"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `stream B: its worktree ${b.worktree} is missing or unreadable`,
    );
    expect(await conflictLog()).toEqual([]);
  });
});
