/**
 * A client of a room hosted elsewhere (a server's socket, or `ssh host tower server --stdio`):
 * the room's `run` and `on`, over a welcomed connection, and the room's data mirrored into a
 * store that has the room's slices (the control room's own store, or `createRoomStore()`).
 * The server sends a snapshot first, then patches (feed.ts); both are applied with setState,
 * so the store's subscribers see them as they would the room's own writes.
 */
import type { StoreApi } from "zustand/vanilla";
import type { RoomCommand, RoomEvent, RoomReply } from "../room/commands.js";
import {
  CommandError,
  type Connection,
  createRequester,
  type Message,
  mebibytes,
  type Requester,
  type Transport,
} from "../room/protocol/index.js";
import type { RoomState } from "../room/state.js";
import { applyPaneUpdate, type StateMessage } from "./feed.js";

/** The patch a state message makes to a store whose frames and activity are `current`'s now. */
export function statePatch(
  message: StateMessage,
  current: Pick<RoomState, "frames" | "activity">,
): Partial<RoomState> {
  const { frames } = current;
  const patch: Record<string, unknown> = { ...message.data };
  for (const key of message.unset ?? []) patch[key] = undefined;
  const appended = message.type === "patch" ? message.append?.activity : undefined;
  if (appended) {
    const { drop, add } = appended;
    if (
      !Number.isInteger(drop) ||
      drop < 0 ||
      drop > current.activity.length ||
      !Array.isArray(add)
    )
      throw new Error(
        `the server sent activity lines to append to a list this client does not have (drop ${String(drop)} of ${current.activity.length})`,
      );
    patch.activity = [...current.activity.slice(drop), ...add];
  }
  if (message.type === "patch" && message.frames) {
    const next = { ...frames };
    for (const [agent, update] of Object.entries(message.frames)) {
      if (update === null) {
        delete next[agent];
        continue;
      }
      const frame = applyPaneUpdate(next[agent], update);
      if (!frame)
        throw new Error(
          `the server sent changed rows of ${agent}'s pane, which this client does not have whole`,
        );
      next[agent] = frame;
    }
    patch.frames = next;
  }
  return patch as Partial<RoomState>;
}

/**
 * What a control room the server dropped for reading too slowly says: the server keeps only a
 * pane's latest frame for a client, so what piled up was the rest of the room's messages, for
 * a client that stopped reading (a stopped process, a stalled terminal or link).
 */
export function droppedSlow(behind: number, reopen: string): string {
  return `the Tower server dropped this control room for reading too slowly (${mebibytes(behind)} of the room's messages waited for it: a stopped terminal or a stalled link); the agents go on, and \`${reopen}\` opens the room again`;
}

/**
 * How long a client waits for the room's snapshot once welcomed: a server sends it when its
 * room is open (its agents started and the state read: seconds on a loaded machine).
 */
const SNAPSHOT_MS = 30_000;

export class RemoteRoom {
  private readonly listeners = new Set<(event: RoomEvent) => void>();
  private readonly requester: Requester;
  private closeReason: string | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();

  private constructor(
    readonly transport: Transport,
    readonly welcome: Connection["welcome"],
    whenLost?: (said: string) => string,
    /** The command that opens this room again (`tower attach` unless the connection says). */
    readonly reopen?: string,
  ) {
    this.requester = createRequester(transport);
    transport.on("close", (said) => {
      const behind = transport.droppedBehind;
      const reason =
        behind !== undefined
          ? droppedSlow(behind, reopen ?? "tower attach")
          : transport.lost && whenLost
            ? whenLost(said)
            : said;
      this.closeReason = reason;
      for (const listener of this.closeListeners) listener(reason);
    });
  }

  /**
   * Mirrors the room into `store`; resolves once the snapshot is applied (so the screens are
   * there when the control room first draws). A server welcomes a client at once and sends the
   * snapshot once its room is open: one that sends none within `snapshotTimeoutMs` (hung while
   * opening it) is left, and the promise rejects saying so, rather than wait for ever.
   */
  static attach<S extends RoomState>(
    connection: Connection,
    store: StoreApi<S>,
    options: { snapshotTimeoutMs?: number } = {},
  ): Promise<RemoteRoom> {
    const remote = new RemoteRoom(
      connection.transport,
      connection.welcome,
      connection.whenLost,
      connection.reopen,
    );
    return new Promise((resolve, reject) => {
      let snapshot = false;
      const waitMs = options.snapshotTimeoutMs ?? SNAPSHOT_MS;
      const timer = setTimeout(() => {
        if (snapshot) return;
        const pid = connection.welcome.server?.pid;
        const why = `the Tower server${pid === undefined ? "" : ` (pid ${pid})`} let this client in but sent no room within ${waitMs / 1000} s: it is hung, or still opening its room (its log, server.log in its room folder, says which)`;
        reject(new Error(why));
        connection.transport.close(why);
      }, waitMs);
      connection.transport.on("close", () => clearTimeout(timer));
      connection.transport.on("message", (message: Message) => {
        if (message.type === "snapshot" || message.type === "patch") {
          const state = message as unknown as StateMessage;
          try {
            store.setState(statePatch(state, store.getState()) as Partial<S>);
          } catch (error) {
            connection.transport.close((error as Error).message);
            return;
          }
          if (message.type === "snapshot" && !snapshot) {
            snapshot = true;
            clearTimeout(timer);
            resolve(remote);
          }
        } else if (message.type === "event") {
          const event = (message as { event?: RoomEvent }).event;
          if (event && typeof event.type === "string") remote.emit(event);
        }
      });
      connection.transport.on("close", (reason) => {
        if (!snapshot) reject(new Error(`the Tower server closed the connection: ${reason}`));
      });
    });
  }

  async run(command: RoomCommand): Promise<RoomReply> {
    try {
      return (await this.requester.request(command)) as RoomReply;
    } catch (error) {
      const text = error instanceof CommandError ? error.message : String(error);
      return { ok: false, error: text };
    }
  }

  on(listener: (event: RoomEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.early.length > 0) {
      queueMicrotask(() => {
        for (const event of this.early.splice(0)) this.emit(event);
      });
    }
    return () => this.listeners.delete(listener);
  }

  /**
   * Events that came before anyone listened (a new server's "restarted A1", sent right after
   * the snapshot) wait for the first listener, as the control room subscribes after attaching.
   */
  private readonly early: RoomEvent[] = [];

  private emit(event: RoomEvent): void {
    if (this.listeners.size === 0) {
      if (this.early.length < 100) this.early.push(event);
      return;
    }
    for (const listener of this.listeners) listener(event);
  }

  get closed(): string | undefined {
    return this.closeReason;
  }

  /** Whether the server went without a word (killed, crashed, or the link to it dropped). */
  get lost(): boolean {
    return this.transport.lost;
  }

  /** Called once when the connection ends (a detach, the server stopping, the link dropping). */
  onClose(listener: (reason: string) => void): () => void {
    if (this.closeReason !== undefined) {
      const reason = this.closeReason;
      queueMicrotask(() => listener(reason));
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Leaves the room in good order: the agents go on. */
  detach(reason = "the client detached"): void {
    if (this.transport.closed) return;
    this.transport.send({ type: "bye", reason });
    this.transport.close(reason);
  }
}
