/**
 * The control room's state: one vanilla zustand store built from typed slices. Services write
 * to it (state-file watcher, conflict scanner, agent sessions); components select narrowly and
 * call actions. Only plain data lives here.
 */
import type { StateCreator } from "zustand/vanilla";
import type { RoomState } from "../../room/state.js";
import type { Mode } from "../keys/table.js";
import type { ColorMode } from "../view/color.js";
import type { Tab } from "../view/model.js";

export {
  ACTIVITY_LIMIT,
  type AgentsSlice,
  type PaneFrame,
  type ProjectSlice,
  type SharedStateSlice,
} from "../../room/state.js";

export type Modal =
  | { kind: "confirm"; title: string; lines: string[]; confirmLabel: string; onConfirm: () => void }
  | {
      kind: "pick";
      title: string;
      options: string[];
      selected: number;
      onPick: (option: string) => void;
    }
  | {
      kind: "input";
      title: string;
      /** Context shown above the field. */
      lines?: string[];
      label: string;
      value: string;
      onSubmit: (value: string) => void;
    }
  | { kind: "text"; title: string; lines: string[]; offset: number };

export interface UiSlice {
  mode: Mode;
  selected: string | undefined;
  tab: Tab;
  /** Selected row in the active tab (locks, checkpoints, ...). */
  tabRow: number;
  zoomed: boolean;
  helpOpen: boolean;
  modal: Modal | undefined;
  flash: { text: string; until: number } | undefined;
  size: { cols: number; rows: number };
  /** What the terminal can show: no colour (NO_COLOR), the 16 standard colours, or all. */
  colorMode: ColorMode;
  setMode(mode: Mode): void;
  select(id: string | undefined): void;
  setTab(tab: Tab): void;
  setTabRow(row: number): void;
  setZoomed(zoomed: boolean): void;
  setHelpOpen(open: boolean): void;
  openModal(modal: Modal): void;
  closeModal(): void;
  showFlash(text: string, ms?: number): void;
  setSize(cols: number, rows: number): void;
}

/** The control room's state: the room's (mirrored, or written by the room in this process) and its own. */
export type AppState = RoomState & UiSlice;
type Slice<T> = StateCreator<AppState, [], [], T>;

export const createUiSlice: Slice<UiSlice> = (set) => ({
  mode: "normal",
  selected: undefined,
  tab: "locks",
  tabRow: 0,
  zoomed: false,
  helpOpen: false,
  modal: undefined,
  flash: undefined,
  size: { cols: 80, rows: 24 },
  colorMode: "full",
  setMode: (mode) => set({ mode }),
  select: (selected) => set({ selected }),
  setTab: (tab) => set({ tab, tabRow: 0 }),
  setTabRow: (tabRow) => set({ tabRow: Math.max(0, tabRow) }),
  setZoomed: (zoomed) => set({ zoomed }),
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  openModal: (modal) => set({ modal }),
  closeModal: () => set({ modal: undefined }),
  showFlash: (text, ms = 4000) => set({ flash: { text, until: Date.now() + ms } }),
  setSize: (cols, rows) => set({ size: { cols, rows } }),
});
