/**
 * The room's list of its stream worktrees' snapshots (engine/git/snapshot.ts), for the control
 * room's Snapshots tab: the newest of each stream of the plan read when the room opens, and each
 * one the room takes added as it is taken. Snapshots taken by no room (none are) or dropped by
 * git's gc meanwhile show at the next opening.
 */
import { listSnapshots } from "../engine/git/snapshot.js";
import type { Project } from "../engine/project.js";
import type { RoomStore, SnapshotRow } from "./state.js";

/** The most rows the room keeps (all streams together, the newest). */
export const SNAPSHOT_ROWS = 100;

export interface SnapshotRows {
  /** The room took a snapshot for `stream`: its row goes first. */
  taken(stream: string): void;
}

const newestFirst = (rows: SnapshotRow[]) =>
  rows.sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, SNAPSHOT_ROWS);

export function followSnapshots(project: Project, store: RoomStore): SnapshotRows {
  const root = project.repo.mainRoot;
  const rowsOf = async (stream: string, limit: number): Promise<SnapshotRow[]> =>
    (await listSnapshots(root, stream, limit).catch(() => [])).map((s) => ({ stream, ...s }));
  // One read after another, in the order asked: a row added never comes before the first read.
  let reads: Promise<unknown> = Promise.all(
    project.plan.streams.map((s) => rowsOf(s.id, SNAPSHOT_ROWS)),
  ).then((lists) => {
    const known = new Set(store.getState().snapshots.map((r) => r.commit));
    const read = lists.flat().filter((r) => !known.has(r.commit));
    store.getState().setSnapshots(newestFirst([...store.getState().snapshots, ...read]));
  });
  return {
    taken(stream) {
      reads = reads
        .then(async () => {
          const [row] = await rowsOf(stream, 1);
          const rows = store.getState().snapshots;
          if (row && !rows.some((r) => r.commit === row.commit))
            store.getState().setSnapshots(newestFirst([row, ...rows]));
        })
        .catch(() => undefined);
    },
  };
}
