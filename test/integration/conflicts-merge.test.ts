/**
 * Merge prediction: chained in merge order (a conflict that appears only once an earlier stream
 * is applied) and pairwise, through `tower conflicts --json` and the engine's own API; and the
 * scan leaves every ref, index and working tree as it found them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type ConflictWarning,
  predictMergeOrder,
  predictStreamMerges,
} from "../../src/engine/conflicts/index.js";
import { loadPlan } from "../../src/engine/plan/index.js";
import { StateStore } from "../../src/engine/state/index.js";
import { git, makeRepo, type TempRepo, tower } from "../helpers/repo.js";
import {
  addStream,
  commitAll,
  conflictsJson,
  numbered,
  type StreamSetup,
  startStreams,
  writeIn,
  writeStreamsState,
} from "../helpers/streams.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
  writeIn(repo.root, "shared.txt", numbered(10));
  writeIn(repo.root, "other.txt", numbered(10));
  commitAll(repo.root, "base files");
});
afterEach(() => repo.cleanup());

const merges = async () => (await conflictsJson(repo.root)).filter((w) => w.kind === "merge");

const edit = (stream: StreamSetup, file: string, from: string, to: string) =>
  writeIn(stream.worktree, file, numbered(10).replace(`${from}\n`, `${to}\n`));

/** Everything a scan must not change: refs, HEADs, indexes and working trees. */
function snapshot(streams: readonly StreamSetup[]): string {
  const roots = [repo.root, ...streams.map((s) => s.worktree)];
  return [
    git(repo.root, "for-each-ref", "--format=%(refname) %(objectname)"),
    git(repo.root, "worktree", "list", "--porcelain"),
    ...roots.map((root) =>
      [
        git(root, "rev-parse", "HEAD"),
        git(root, "status", "--porcelain=v1", "--untracked-files=all"),
        git(root, "ls-files", "--stage", "--debug"),
        git(root, "diff"),
      ].join("\n"),
    ),
  ].join("\n--\n");
}

describe("merge prediction", () => {
  it("does not blame a stream with no changes for what the base already holds (pairwise)", async () => {
    const [a] = startStreams(repo, ["A"]) as [StreamSetup];
    // Another stream merged since A branched: the base changed line 3 of shared.txt.
    writeIn(repo.root, "shared.txt", numbered(10).replace("line 3\n", "merged 3\n"));
    commitAll(repo.root, "merge of an earlier stream");
    edit(a, "shared.txt", "line 3", "A3");
    commitAll(a.worktree, "A changes line 3");
    // B branches now, after that merge, and changes nothing.
    const b = addStream(repo, "B");
    writeStreamsState(repo, [a, b]);
    const warnings = await merges();
    expect(warnings.map((w) => w.streams)).toEqual([["A"]]);
    expect(warnings[0]?.message).toContain("which main changed since A branched");
    // And a real conflict between two streams' own changes is still found.
    edit(b, "other.txt", "line 5", "B5");
    commitAll(b.worktree, "B changes other.txt");
    const c = addStream(repo, "C");
    edit(c, "other.txt", "line 5", "C5");
    commitAll(c.worktree, "C changes other.txt");
    writeStreamsState(repo, [a, b, c]);
    expect((await merges()).map((w) => w.streams)).toEqual([["A"], ["B", "C"]]);
  });

  it("chains the streams in merge order: B conflicts once A is applied, and clears when it stops", async () => {
    const [a, b, c] = startStreams(repo, ["A", "B", "C"]) as [
      StreamSetup,
      StreamSetup,
      StreamSetup,
    ];
    edit(a, "shared.txt", "line 5", "A5");
    commitAll(a.worktree);
    edit(b, "shared.txt", "line 5", "B5");
    commitAll(b.worktree);
    edit(c, "other.txt", "line 1", "C1");
    commitAll(c.worktree);
    // Uncommitted work is not predicted: C's unstaged edit of the same line conflicts with nobody.
    edit(c, "shared.txt", "line 5", "C5");

    const before = snapshot([a, b, c]);
    const found = await merges();
    expect(snapshot([a, b, c])).toBe(before);
    expect(found).toEqual([
      {
        kind: "merge",
        streams: ["A", "B"],
        agents: ["A1", "A2", "B1", "B2"],
        files: ["shared.txt"],
        severity: "high",
        message: "Merging stream B after A (merge order) would conflict in shared.txt.",
      },
    ]);

    // The chain itself: B is clean against main alone, conflicts after A, and is left out, so C
    // follows A directly.
    const plan = await loadPlan(`${repo.root}/streams.yaml`);
    const store = new StateStore(repo.stateDir);
    const steps = await predictStreamMerges({ plan, store, mainRoot: repo.root, base: "main" });
    expect(
      steps.map((s) => [s.stream, s.clean, s.conflictFiles, s.conflictsWith, s.after]),
    ).toEqual([
      ["A", true, [], [], []],
      ["B", false, ["shared.txt"], ["A"], ["A"]],
      ["C", true, [], [], ["A"]],
    ]);
    expect(steps[0]?.result).toMatch(/^[0-9a-f]{40}$/);
    const alone = await predictMergeOrder(repo.root, "main", [{ id: "B", branch: b.branch }]);
    expect(alone[0]).toMatchObject({ stream: "B", clean: true, conflictFiles: [] });
    expect(snapshot([a, b, c])).toBe(before);

    // Without A active (say, it was set aside), nothing conflicts.
    writeStreamsState(repo, [b, c]);
    expect(await merges()).toEqual([]);
    writeStreamsState(repo, [a, b, c]);
    expect(await merges()).toHaveLength(1);

    // B gives up its change: cleared.
    git(b.worktree, "reset", "-q", "--hard", "main");
    expect(await merges()).toEqual([]);
    expect(snapshot([a, b, c])).not.toBe(before); // B's reset, ours
  });

  it("predicts pairwise conflicts that the chain cannot show, and conflicts with the base itself", async () => {
    const [a, b] = startStreams(repo, ["A", "B"]) as [StreamSetup, StreamSetup];
    // main moves on after the streams started.
    writeIn(repo.root, "shared.txt", numbered(10).replace("line 2\n", "M2\n"));
    commitAll(repo.root, "main moves");
    // A conflicts with main (line 2), so the chain leaves A out; B merges into main cleanly,
    // but A and B conflict with each other on line 8.
    writeIn(
      a.worktree,
      "shared.txt",
      numbered(10).replace("line 2\n", "A2\n").replace("line 8\n", "A8\n"),
    );
    commitAll(a.worktree);
    edit(b, "shared.txt", "line 8", "B8");
    commitAll(b.worktree);

    const before = snapshot([a, b]);
    const found = await merges();
    expect(snapshot([a, b])).toBe(before);
    expect(found.map((w) => [w.streams, w.files, w.message])).toEqual([
      [
        ["A", "B"],
        ["shared.txt"],
        "The branches of streams A and B conflict with each other in shared.txt.",
      ],
      [
        ["A"],
        ["shared.txt"],
        "Merging stream A into main would conflict in shared.txt, which main changed since A branched.",
      ],
    ]);

    // A rebases its work onto the new main without the line-2 edit: only the pairwise one stays.
    git(a.worktree, "reset", "-q", "--hard", "main");
    writeIn(
      a.worktree,
      "shared.txt",
      numbered(10).replace("line 2\n", "M2\n").replace("line 8\n", "A8\n"),
    );
    commitAll(a.worktree);
    expect((await merges()).map((w) => w.streams)).toEqual([["A", "B"]]);
  });

  it("creates no ref, even across repeated scans, and works without a git identity", async () => {
    const [a, b] = startStreams(repo, ["A", "B"]) as [StreamSetup, StreamSetup];
    edit(a, "other.txt", "line 1", "A1");
    commitAll(a.worktree);
    edit(b, "shared.txt", "line 1", "B1");
    commitAll(b.worktree);
    git(repo.root, "config", "--unset", "user.name");
    git(repo.root, "config", "--unset", "user.email");
    const refs = git(repo.root, "for-each-ref");
    const env = { HOME: repo.root, XDG_CONFIG_HOME: repo.root, GIT_CONFIG_NOSYSTEM: "1" };
    for (let i = 0; i < 2; i++) {
      const result = await tower(repo.root, ["conflicts", "--json"], env);
      expect(result.stderr).toBe("");
      const warnings = JSON.parse(result.stdout) as ConflictWarning[];
      expect(warnings.filter((w) => w.kind === "merge")).toEqual([]);
    }
    expect(git(repo.root, "for-each-ref")).toBe(refs);
  });
});
