/**
 * The room in the control room's own process, on the control room's store (see room/room.ts):
 * the room writes its slices there, follows this client's layout, and its messages go to the
 * message line. Tests drive it this way too.
 */
import type { Project } from "../../engine/project.js";
import type { ConflictScanner } from "../../room/conflict-scanner.js";
import { type RefreshScope, Room, type RoomOptions } from "../../room/room.js";
import type { SessionManager } from "../../room/sessions.js";
import type { StateWatcher } from "../../room/state-watcher.js";
import { askOrphans, askTrust, followLayout, showMessages } from "../room-client.js";
import type { AppStore } from "../store/index.js";

export type { RefreshScope } from "../../room/room.js";
export type ServicesOptions = RoomOptions & {
  /** Size the agents for this store's screen, zoom and selection as they change (default true). */
  followLayout?: boolean;
  /** How long the bottom panel keeps rows its content no longer needs (see `followPanel`). */
  shrinkPanelAfterMs?: number;
};

export interface Services {
  room: Room;
  sessions: SessionManager;
  watcher: StateWatcher;
  scanner: ConflictScanner;
  refresh(scope?: RefreshScope): Promise<void>;
  close(graceMs?: number): Promise<void>;
}

export async function startServices(
  project: Project,
  store: AppStore,
  options: ServicesOptions = {},
): Promise<Services> {
  const room = await Room.open(project, store, options);
  const unfollow =
    options.followLayout === false
      ? undefined
      : followLayout(store, room, { shrinkAfterMs: options.shrinkPanelAfterMs });
  const unlisten = showMessages(store, room);
  const unask = askTrust(store);
  const unorphans = askOrphans(store);
  return {
    room,
    sessions: room.sessions,
    watcher: room.watcher,
    scanner: room.scanner,
    refresh: (scope) => room.refresh(scope),
    async close(graceMs) {
      unfollow?.();
      unlisten();
      unask();
      unorphans();
      await room.close(graceMs);
    },
  };
}
