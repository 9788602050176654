/** The store factory: a fresh store for the app and for every test. */
import { createStore, type StoreApi } from "zustand/vanilla";
import {
  type AppState,
  createAgentsSlice,
  createProjectSlice,
  createSharedStateSlice,
  createUiSlice,
} from "./slices.js";

export type AppStore = StoreApi<AppState>;

export function createAppStore(initial: Partial<AppState> = {}): AppStore {
  const store = createStore<AppState>()((...a) => ({
    ...createProjectSlice(...a),
    ...createAgentsSlice(...a),
    ...createSharedStateSlice(...a),
    ...createUiSlice(...a),
  }));
  if (Object.keys(initial).length) store.setState(initial);
  return store;
}

export type { AppState, Modal, PaneFrame } from "./slices.js";
