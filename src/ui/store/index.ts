/** The store factory: a fresh store for the app and for every test. */
import { createStore, type StoreApi } from "zustand/vanilla";
import { roomSlices } from "../../room/state.js";
import { type AppState, createUiSlice } from "./slices.js";

export type AppStore = StoreApi<AppState>;

export function createAppStore(initial: Partial<AppState> = {}): AppStore {
  const store = createStore<AppState>()((set, get, api) => ({
    // The room's slices: in the same process the room writes them here; otherwise they mirror
    // what the room sends.
    ...roomSlices(set, get, api),
    ...createUiSlice(set, get, api),
  }));
  if (Object.keys(initial).length) store.setState(initial);
  // The selection follows the panes: the first one when nothing (or a removed agent) is
  // selected; when a pane of the user's own (`A1+shell`) goes, the agent it was opened beside,
  // back in normal mode (nothing more to type into).
  store.subscribe((s, previous) => {
    if (s.agentOrder === previous.agentOrder) return;
    if (s.selected === undefined || !s.agentOrder.includes(s.selected)) {
      const beside = s.selected?.split("+")[0];
      const next = beside && s.agentOrder.includes(beside) ? beside : s.agentOrder[0];
      store.setState({
        selected: next,
        ...(s.mode !== "normal" && s.selected !== undefined && { mode: "normal" }),
      });
    }
  });
  return store;
}

export type { AppState, Modal, PaneFrame } from "./slices.js";
