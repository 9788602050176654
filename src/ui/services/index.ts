/**
 * The control room's services, started together: the state watcher first (so the store holds the
 * state), then the agents' sessions (synced to the streams in progress, and following the
 * status from then on), then the conflict scanner.
 */
import type { Project } from "../../engine/project.js";
import { startHookEndpoint } from "../../room/hook-endpoint.js";
import type { AppStore } from "../store/index.js";
import { type ConflictScanner, startConflictScanner } from "./conflict-scanner.js";
import { startGateRunner } from "./gate-runner.js";
import { SessionManager, type SessionManagerOptions } from "./sessions.js";
import { type StateScope, type StateWatcher, startStateWatcher } from "./state-watcher.js";

export {
  activeWorktrees,
  type ConflictScanner,
  type ConflictScannerOptions,
  SCAN_DEBOUNCE_MS,
  startConflictScanner,
} from "./conflict-scanner.js";
export {
  type CommandOverride,
  FRAME_INTERVAL_MS,
  type LayoutRequest,
  type PaneSize,
  type SessionDefaults,
  SessionManager,
  type SessionManagerOptions,
  visiblePaneSizes,
} from "./sessions.js";
export {
  STATE_DEBOUNCE_MS,
  STATE_SCOPES,
  type StateScope,
  type StateWatcher,
  type StateWatcherOptions,
  startStateWatcher,
  toCheckpointRows,
} from "./state-watcher.js";

/** What can be refreshed by name: a state scope, the conflicts, or everything. */
export type RefreshScope = StateScope | "conflicts" | "all";

export interface ServicesOptions extends SessionManagerOptions {
  /**
   * Size the sessions from the store's `size`, `zoomed`, `selected` and pane order whenever they
   * change (default true); the page shown is the selected agent's. Components may call
   * `sessions.layout()` themselves instead.
   */
  followLayout?: boolean;
  /** State watcher debounce (default 40 ms). */
  stateDebounceMs?: number;
  /** Conflict scanner debounce (default 500 ms). */
  scanDebounceMs?: number;
}

export interface Services {
  sessions: SessionManager;
  watcher: StateWatcher;
  scanner: ConflictScanner;
  /** Reads a scope again (or everything); resolves when the store has it. */
  refresh(scope?: RefreshScope): Promise<void>;
  /** Stops the agents (within their grace period), the scanner and the watcher. */
  close(graceMs?: number): Promise<void>;
}

export async function startServices(
  project: Project,
  store: AppStore,
  options: ServicesOptions = {},
): Promise<Services> {
  const watcher = await startStateWatcher(
    project,
    store,
    options.stateDebounceMs === undefined ? {} : { debounceMs: options.stateDebounceMs },
  );
  // Agents' hooks ask the room first (room/hook-endpoint.ts); their announcements reach the panes.
  let sessions: SessionManager | undefined;
  const hooks = await startHookEndpoint(project, (agent, status) =>
    sessions?.announce(agent, status),
  ).catch(() => undefined);
  sessions = new SessionManager(project, store, {
    ...options,
    ...(hooks && { hookSocket: hooks.socket }),
  });
  let unfollow: (() => void) | undefined;
  if (options.followLayout !== false) {
    const apply = () => {
      const s = store.getState();
      // The page shown is the selected agent's (as the pane grid shows it).
      sessions.layout(s.size.cols, s.size.rows, s.zoomed, s.selected);
    };
    apply();
    unfollow = store.subscribe((s, prev) => {
      if (
        s.size !== prev.size ||
        s.zoomed !== prev.zoomed ||
        s.selected !== prev.selected ||
        s.agentOrder !== prev.agentOrder
      ) {
        apply();
      }
    });
  }
  const status = store.getState().status;
  if (status) await sessions.sync(status);
  const gates = startGateRunner(project, store);
  const scanner = startConflictScanner(
    project,
    store,
    options.scanDebounceMs === undefined ? {} : { debounceMs: options.scanDebounceMs },
  );
  return {
    sessions,
    watcher,
    scanner,
    async refresh(scope = "all") {
      if (scope === "conflicts") return scanner.scanNow();
      if (scope === "all") {
        await watcher.refresh();
        await scanner.scanNow();
        return;
      }
      return watcher.refresh(scope);
    },
    async close(graceMs) {
      unfollow?.();
      gates.close();
      await sessions.close(graceMs);
      await hooks?.close();
      await scanner.close();
      await watcher.close();
    },
  };
}
