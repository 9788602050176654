/**
 * What a server sends one client of the room's state: a snapshot of the room's data when the
 * client is welcomed, then patches as the store changes, each with only the keys that changed
 * (for `frames`, only the panes whose frame changed, and of each only the rows that changed
 * since the frame this client was last sent: a spinner costs one row, not a screen).
 *
 * A client that reads slowly (a bad SSH link) never slows the room: changes are not queued as
 * messages but kept as "the latest value of each key (and of each pane) not yet sent", and a
 * patch goes out only while the connection is writable. When it is not, the feed waits for its
 * "drain" and then sends what is latest, so the frames in between are dropped, as tmux does.
 * What waits for a client is therefore bounded by the room's own size, never by time.
 *
 * A pane's frame goes at once (an echo, copy mode's cursor), with whatever else waits: as soon as
 * the code that changed it returns (a microtask, so that the frames of one frame tick go in one
 * patch), not in a later phase of the event loop, where it waited behind a turn of the parse
 * queue (pty/parse-queue.ts) whenever other panes were flooding. The rest of the state waits up
 * to `STATE_SETTLE_MS` for more of it: one change of the room is often several (a lock taken is
 * the locks read, then the activity line, in two turns of the event loop), and each patch is a
 * redraw in every client.
 */
import { FrameTooLargeError, type Message, type Transport } from "../room/protocol/index.js";
import { type PaneFrame, ROOM_DATA_KEYS, type RoomState } from "../room/state.js";

type DataKey = (typeof ROOM_DATA_KEYS)[number];

/** How long a change of the room's state (not a frame) waits for more before it is sent. */
export const STATE_SETTLE_MS = 10;

/** `{type: "snapshot" | "patch", data, unset?, frames?}`: see docs/protocol.md. */
export interface StateMessage extends Message {
  type: "snapshot" | "patch";
  /** Keys of the room's data with their new values (a snapshot: every key that has a value). */
  data: Partial<Record<DataKey, unknown>>;
  /** Keys whose value became undefined (JSON has no undefined). */
  unset?: DataKey[];
  /** In a patch: the panes whose frame changed; null for a pane that is gone. */
  frames?: Record<string, PaneUpdate | null>;
  /** In a patch: lines added to the activity the client has (instead of `data.activity`). */
  append?: { activity?: ListAppend };
}

/** A list's new entries, after its first `drop` entries fell off (a list kept to a limit). */
export interface ListAppend {
  drop: number;
  add: unknown[];
}

/**
 * `after` as `before` with entries dropped from its start and added at its end, the entries
 * kept being the same objects (the state watcher's activity grows that way); undefined when it
 * is not (a list read afresh), and it goes whole.
 */
export function appendOf(
  before: readonly unknown[] | undefined,
  after: readonly unknown[],
): ListAppend | undefined {
  if (!before || before.length === 0 || after.length === 0) return undefined;
  const drop = before.indexOf(after[0]);
  if (drop < 0) return undefined;
  const kept = before.length - drop;
  if (kept > after.length) return undefined;
  for (let i = 1; i < kept; i++) if (after[i] !== before[drop + i]) return undefined;
  return { drop, add: after.slice(kept) };
}

/**
 * A pane's new frame in a patch: whole, or (when it has as many rows as the one the client has)
 * only the rows that changed, by index.
 */
export type PaneUpdate = PaneFrame | RowsUpdate;

/** The frame's other fields as they are now, and its changed rows. */
export type RowsUpdate = Omit<PaneFrame, "rows"> & {
  /** Row index (as a string, JSON's keys) to the row's new text. */
  changed: Record<string, string>;
};

/** What turns `before` (the frame the client has) into `after`, with only the changed rows. */
export function paneUpdate(before: PaneFrame | undefined, after: PaneFrame): PaneUpdate {
  if (!before || before.rows.length !== after.rows.length) return after;
  const changed: Record<string, string> = {};
  let count = 0;
  for (let i = 0; i < after.rows.length; i++) {
    if (after.rows[i] !== before.rows[i]) {
      changed[i] = after.rows[i] ?? "";
      count++;
    }
  }
  // Nearly every row changed (a scroll): the whole frame is no longer than the list.
  if (count > after.rows.length / 2) return after;
  const { rows: _, ...rest } = after;
  return { ...rest, changed };
}

/** `update` applied to the frame the client has (undefined: an error of the server's). */
export function applyPaneUpdate(
  before: PaneFrame | undefined,
  update: PaneUpdate,
): PaneFrame | undefined {
  if (!("changed" in update)) return update;
  if (!before) return undefined;
  const rows = before.rows.slice();
  const { changed, ...rest } = update;
  for (const [index, row] of Object.entries(changed)) {
    const at = Number(index);
    if (!Number.isInteger(at) || at < 0 || at >= rows.length) return undefined;
    rows[at] = row;
  }
  return { ...rest, rows };
}

/** The room's data as one snapshot message. */
export function snapshotOf(state: RoomState): StateMessage {
  const data: Partial<Record<DataKey, unknown>> = {};
  const unset: DataKey[] = [];
  for (const key of ROOM_DATA_KEYS) {
    if (state[key] === undefined) unset.push(key);
    else data[key] = state[key];
  }
  return { type: "snapshot", data, ...(unset.length > 0 && { unset }) };
}

export class ClientFeed {
  private readonly keys = new Set<DataKey>();
  private readonly frames = new Map<string, PaneFrame | null>();
  /** The frame of each pane as this client has it (sent last): what the next rows differ from. */
  private readonly sent = new Map<string, PaneFrame>();
  /** The activity as this client has it: what the next lines are appended to. */
  private sentActivity: readonly unknown[] | undefined;
  /** A flush as soon as the code that changed a frame returns, or after `STATE_SETTLE_MS` (state only). */
  private soon = false;
  private later: NodeJS.Timeout | undefined;
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly store: { getState(): RoomState; subscribe: RoomStoreSubscribe },
  ) {
    this.send(snapshotOf(store.getState()));
    this.sentActivity = store.getState().activity;
    for (const [agent, frame] of Object.entries(store.getState().frames))
      this.sent.set(agent, frame);
    this.stops.push(
      store.subscribe((state, previous) => this.changed(state, previous)),
      transport.on("drain", () => this.flush()),
      transport.on("close", () => this.stop()),
    );
  }

  /** Updates waiting for this client (keys and panes), for tests and the server's log. */
  get waiting(): number {
    return this.keys.size + this.frames.size;
  }

  stop(): void {
    this.unschedule();
    for (const stop of this.stops.splice(0)) stop();
    this.keys.clear();
    this.frames.clear();
    this.sent.clear();
    this.sentActivity = undefined;
  }

  private changed(state: RoomState, previous: RoomState): void {
    for (const key of ROOM_DATA_KEYS) {
      if (state[key] === previous[key]) continue;
      if (key !== "frames") {
        this.keys.add(key);
        continue;
      }
      for (const [agent, frame] of Object.entries(state.frames)) {
        if (frame !== previous.frames[agent]) this.frames.set(agent, frame);
      }
      for (const agent of Object.keys(previous.frames)) {
        if (!(agent in state.frames)) this.frames.set(agent, null);
      }
    }
    if (this.waiting === 0 || this.soon) return;
    // Changes made in one go (a frame tick, a state read) go in one patch.
    if (this.frames.size > 0) {
      this.soon = true;
      queueMicrotask(() => {
        if (this.soon) this.flush();
      });
    } else if (this.later === undefined) {
      this.later = setTimeout(() => this.flush(), STATE_SETTLE_MS);
    }
  }

  private unschedule(): void {
    if (this.later !== undefined) clearTimeout(this.later);
    this.soon = false;
    this.later = undefined;
  }

  /** Sends what waits, if the client can take it now; otherwise the next drain does. */
  private flush(): void {
    this.unschedule();
    if (this.transport.closed || !this.transport.writable || this.waiting === 0) return;
    const state = this.store.getState();
    const patch: StateMessage = { type: "patch", data: {} };
    const unset: DataKey[] = [];
    for (const key of this.keys) {
      if (state[key] === undefined) unset.push(key);
      else if (key !== "activity") patch.data[key] = state[key];
      else {
        const append = appendOf(this.sentActivity, state.activity);
        if (append) patch.append = { activity: append };
        else patch.data.activity = state.activity;
        this.sentActivity = state.activity;
      }
    }
    if (unset.length > 0) patch.unset = unset;
    if (this.frames.size > 0) {
      const frames: Record<string, PaneUpdate | null> = {};
      for (const [agent, frame] of this.frames) {
        if (frame === null) {
          frames[agent] = null;
          this.sent.delete(agent);
          continue;
        }
        frames[agent] = paneUpdate(this.sent.get(agent), frame);
        this.sent.set(agent, frame);
      }
      patch.frames = frames;
    }
    this.keys.clear();
    this.frames.clear();
    this.send(patch);
  }

  /**
   * Sends a snapshot or a patch; one too big for a frame (a huge screen of full-colour cells)
   * goes in pieces (`pieces`). What cannot go even so ends this client's connection, saying
   * why: a feed runs from timers and the store's changes, where a throw would end the server.
   */
  private send(message: StateMessage): void {
    try {
      try {
        this.transport.send(message);
      } catch (error) {
        if (!(error instanceof FrameTooLargeError)) throw error;
        for (const piece of pieces(message, error.limit)) this.transport.send(piece);
      }
    } catch (error) {
      if (this.transport.closed) return;
      const problem = `the room's ${message.type} could not be sent to this client: ${(error as Error).message}`;
      this.transport.send({ type: "error", message: problem });
      this.transport.close(problem);
    }
  }
}

/**
 * `message` in messages of at most about half of `limit` bytes each, which applied in order give
 * the client what it would have: the message without its frames, then each pane's frame in a
 * patch of its own, and a frame still too big as a blank frame of its size followed by its rows,
 * as many to a patch as fit.
 */
export function pieces(message: StateMessage, limit: number): StateMessage[] {
  const budget = Math.floor(limit / 2);
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");
  const patch = (agent: string, update: PaneUpdate | null): StateMessage => ({
    type: "patch",
    data: {},
    frames: { [agent]: update },
  });
  const { frames: patchFrames, ...rest } = message;
  const out: StateMessage[] = [];
  let frames: Record<string, PaneUpdate | null>;
  if (message.type === "snapshot") {
    frames = (message.data.frames ?? {}) as Record<string, PaneFrame>;
    out.push({ ...rest, data: { ...message.data, frames: {} } });
  } else {
    frames = patchFrames ?? {};
    out.push(rest);
  }
  for (const [agent, update] of Object.entries(frames)) {
    if (update === null || bytes(update) <= budget) {
      out.push(patch(agent, update));
      continue;
    }
    let fields: Omit<PaneFrame, "rows">;
    let rows: [string, string][];
    if ("changed" in update) {
      const { changed, ...others } = update;
      fields = others;
      rows = Object.entries(changed);
    } else {
      const { rows: all, ...others } = update;
      fields = others;
      rows = all.map((row, i) => [String(i), row]);
      out.push(patch(agent, { ...others, rows: all.map(() => "") }));
    }
    let chunk: Record<string, string> = {};
    let size = 0;
    for (const [index, row] of rows) {
      const n = bytes(row) + index.length + 4;
      if (size > 0 && size + n > budget) {
        out.push(patch(agent, { ...fields, changed: chunk }));
        chunk = {};
        size = 0;
      }
      chunk[index] = row;
      size += n;
    }
    if (size > 0) out.push(patch(agent, { ...fields, changed: chunk }));
  }
  return out;
}

type RoomStoreSubscribe = (listener: (state: RoomState, previous: RoomState) => void) => () => void;
