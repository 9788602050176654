/**
 * The conflict scanner service on real worktrees: warnings appear and go as files change in the
 * streams' worktrees, as commits land and as streams start, without anyone asking for a scan; a
 * stream that cannot be read keeps the last good warnings and shows the error.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { ConflictWarning } from "../../src/engine/conflicts/index.js";
import { startConflictScanner } from "../../src/room/conflict-scanner.js";
import { startStateWatcher } from "../../src/room/state-watcher.js";
import type { AppStore } from "../../src/ui/store/index.js";
import { git, waitFor } from "../helpers/repo.js";
import {
  addStream,
  commitAll,
  numbered,
  type StreamSetup,
  writeIn,
  writeStreamsState,
} from "../helpers/streams.js";
import { cleanup, fixture, onCleanup } from "./helpers.js";

afterEach(cleanup);

const overlaps = (store: AppStore): ConflictWarning[] =>
  store.getState().conflicts.filter((w) => w.kind === "overlap");

async function setup(ids: string[], intervalMs?: number) {
  const f = await fixture();
  writeIn(f.repo.root, "shared/util.py", numbered(20));
  commitAll(f.repo.root, "base files");
  const streams = ids.map((id) => addStream(f.repo, id));
  writeStreamsState(f.repo, streams);
  const watcher = await startStateWatcher(f.project, f.store);
  onCleanup(() => watcher.close());
  // The first scan at once: these tests time what happens after it.
  const scanner = startConflictScanner(f.project, f.store, {
    debounceMs: 150,
    firstScanDelayMs: 0,
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
  onCleanup(() => scanner.close());
  return { ...f, streams, scanner };
}

describe("conflict scanner", () => {
  it("runs its first scan a moment after it starts (a client attaching to a new server comes first), then finds what was there", async () => {
    const f = await fixture();
    writeIn(f.repo.root, "shared/util.py", numbered(20));
    commitAll(f.repo.root, "base files");
    const [a, b] = [addStream(f.repo, "A"), addStream(f.repo, "B")];
    writeStreamsState(f.repo, [a, b]);
    writeIn(a.worktree, "shared/util.py", numbered(20).replace("line 3\n", "A3\n"));
    writeIn(b.worktree, "shared/util.py", numbered(20).replace("line 15\n", "B15\n"));
    const watcher = await startStateWatcher(f.project, f.store);
    onCleanup(() => watcher.close());
    const started = Date.now();
    // Triggers debounced past the test: only the first scan can find the overlap.
    const scanner = startConflictScanner(f.project, f.store, {
      debounceMs: 60_000,
      firstScanDelayMs: 1_000,
    });
    onCleanup(() => scanner.close());
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(overlaps(f.store)).toEqual([]);
    await waitFor(() => (overlaps(f.store).length > 0 ? true : undefined), 15_000, "the overlap");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it("warns of two streams changing the same file, and clears it when one reverts", async () => {
    const { store, streams } = await setup(["A", "B"]);
    const [a, b] = streams as [StreamSetup, StreamSetup];
    writeIn(a.worktree, "shared/util.py", numbered(20).replace("line 3\n", "A3\n"));
    writeIn(b.worktree, "shared/util.py", numbered(20).replace("line 15\n", "B15\n"));
    const found = await waitFor(
      () => (overlaps(store).length > 0 ? overlaps(store) : undefined),
      15_000,
      "an overlap warning",
    );
    expect(found).toEqual([
      {
        kind: "overlap",
        streams: ["A", "B"],
        agents: ["A1", "A2", "B1", "B2"],
        files: ["shared/util.py"],
        severity: "medium",
        message:
          "Streams A and B both changed shared/util.py (A: unstaged, B: unstaged), on different lines.",
      },
    ]);
    expect(store.getState().conflictError).toBeUndefined();

    // A commit changes no file in the worktree: the branch's ref tells.
    commitAll(a.worktree, "A's change");
    await waitFor(
      () => (overlaps(store)[0]?.message.includes("A: committed") ? true : undefined),
      15_000,
      "the overlap seen as committed",
    );

    writeIn(b.worktree, "shared/util.py", numbered(20));
    await waitFor(
      () => (overlaps(store).length === 0 ? true : undefined),
      15_000,
      "the overlap to clear",
    );
  });

  it("watches the worktree of a stream that starts later", async () => {
    const { repo, store, streams } = await setup(["A"]);
    const [a] = streams as [StreamSetup];
    writeIn(a.worktree, "shared/util.py", numbered(20).replace("line 3\n", "A3\n"));
    const b = addStream(repo, "B");
    writeStreamsState(repo, [a, b]);
    await waitFor(
      () => (store.getState().status?.streams[1]?.status === "in_progress" ? true : undefined),
      15_000,
      "B in progress",
    );
    // Only B's worktree changes now.
    writeIn(b.worktree, "shared/util.py", numbered(20).replace("line 3\n", "B3\n"));
    const found = await waitFor(
      () => (overlaps(store).length > 0 ? overlaps(store) : undefined),
      15_000,
      "an overlap warning",
    );
    expect(found[0]).toMatchObject({ streams: ["A", "B"], severity: "high" });
  });

  it("sweeps on a timer while an agent is running, for what the file watchers cannot see", async () => {
    const { store, streams, scanner } = await setup(["A", "B"], 300);
    const [a, b] = streams as [StreamSetup, StreamSetup];
    await waitFor(() => (store.getState().status ? true : undefined), 5_000, "the status");
    // Let the scans of the start-up (the status and locks arriving) run first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await scanner.scanNow();
    // The watchers ignore node_modules (never a scan trigger), but a scan sees the files in it.
    writeIn(a.worktree, "node_modules/shared.js", "A\n");
    writeIn(b.worktree, "node_modules/shared.js", "B\n");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(overlaps(store)).toEqual([]); // every agent idle: no timer, no scan
    store
      .getState()
      .upsertAgent({ id: "A1", stream: "A", task: "t", branch: a.branch, status: "running" });
    const found = await waitFor(
      () => (overlaps(store).length > 0 ? overlaps(store) : undefined),
      10_000,
      "the overlap found by the sweep",
    );
    expect(found[0]).toMatchObject({ streams: ["A", "B"], files: ["node_modules/shared.js"] });
  });

  it("keeps the last good warnings when a stream cannot be scanned, and says why", async () => {
    const { store, streams, scanner } = await setup(["A", "B"]);
    const [a, b] = streams as [StreamSetup, StreamSetup];
    writeIn(a.worktree, "shared/util.py", numbered(20).replace("line 3\n", "A3\n"));
    writeIn(b.worktree, "shared/util.py", numbered(20).replace("line 3\n", "B3\n"));
    await waitFor(() => overlaps(store)[0], 15_000, "an overlap warning");
    rmSync(b.worktree, { recursive: true, force: true });
    const error = await waitFor(() => store.getState().conflictError, 15_000, "a scan error");
    expect(error).toContain("B");
    expect(overlaps(store)).toHaveLength(1);

    // Back: the error goes at the next scan.
    git(a.worktree, "worktree", "prune");
    git(a.worktree, "worktree", "add", "-q", b.worktree, b.branch);
    await scanner.scanNow();
    expect(store.getState().conflictError).toBeUndefined();
    expect(overlaps(store)).toEqual([]);
  });

  it("leaves the room's state alone when a scan finds what the last one found", async () => {
    // Every scan used to set the warnings anew: each client was sent them and redrew its
    // screen, at every lock taken and every sweep, for nothing.
    const { store, streams, scanner } = await setup(["A", "B"]);
    const [a, b] = streams as [StreamSetup, StreamSetup];
    writeIn(a.worktree, "shared/util.py", numbered(20).replace("line 3\n", "A3\n"));
    writeIn(b.worktree, "shared/util.py", numbered(20).replace("line 15\n", "B15\n"));
    await waitFor(() => overlaps(store)[0], 15_000, "an overlap warning");
    await scanner.scanNow();
    const found = store.getState().conflicts;
    let updates = 0;
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.conflicts !== previous.conflicts || state.conflictError !== previous.conflictError)
        updates += 1;
    });
    await scanner.scanNow();
    await scanner.scanNow();
    unsubscribe();
    expect(updates).toBe(0);
    expect(store.getState().conflicts).toBe(found);

    // A change is still set at once.
    writeIn(b.worktree, "shared/util.py", numbered(20));
    await scanner.scanNow();
    expect(overlaps(store)).toEqual([]);
  });
});
