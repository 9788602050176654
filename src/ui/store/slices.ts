/**
 * The control room's state: one vanilla zustand store built from typed slices. Services write
 * to it (state-file watcher, conflict scanner, agent sessions); components select narrowly and
 * call actions. Only plain data lives here.
 */
import type { StateCreator } from "zustand/vanilla";
import type { RoomCommand } from "../../room/commands.js";
import type { RoomState } from "../../room/state.js";
import type { Mode } from "../keys/table.js";
import type { ColorMode } from "../view/color.js";
import type { DiffView } from "../view/diff.js";
import type { Tab } from "../view/model.js";

export {
  ACTIVITY_LIMIT,
  type AgentsSlice,
  type PaneFrame,
  type ProjectSlice,
  type SharedStateSlice,
} from "../../room/state.js";

/**
 * What a dialog does when answered: plain data, run by the key dispatcher (src/ui/input), so
 * that a dialog is a value like the rest of the state and never a closure kept in the store.
 */
export type DialogAction =
  /** Runs a room command; its reply goes to the message line. */
  | { do: "command"; command: RoomCommand; busy?: string }
  | { do: "merge"; stream: string }
  /** Leaves the control room: with `stop`, every agent (and a server) is stopped first. */
  | { do: "quit"; stop: boolean }
  /** Pastes text into agents' input (as a bracketed paste where the program asked for one). */
  | { do: "paste"; agents: string[]; text: string }
  /** Sends the review's comments with these ids to the agent (see src/ui/input/review.ts). */
  | { do: "review.send"; stream: string; agent: string; ids: string[] }
  | { do: "review.uncomment"; stream: string; ids: string[] }
  | { do: "none" };

/** What the line typed into an input dialog is for. */
export type InputPurpose =
  | { do: "checkpoint.reject"; id: string }
  | { do: "task.block"; id: string }
  /** A comment on a line of the review view (mode `diff`). */
  | {
      do: "review.comment";
      stream: string;
      file: string;
      line: number;
      side: "new" | "old";
      code: string;
    };

/** A choice of a dialog: its keys, what the hint calls it, what it does. */
export interface DialogChoice {
  keys: string[];
  label: string;
  action: DialogAction;
}

/** A field of a form: one line, or a list of entries (one per line, never split on a character). */
export type FormField =
  | { key: string; label: string; kind: "line"; value: string }
  | { key: string; label: string; kind: "list"; items: string[] };

/** What a completed form is for. */
export type FormPurpose =
  | { do: "handoff"; from: string; stream: string }
  /** `A`: a new agent for streams.yaml. */
  | { do: "agent.add" };

export type Modal =
  | {
      kind: "confirm";
      title: string;
      lines: string[];
      /** The first choice is the default (Enter); Esc and n cancel unless a choice takes them. */
      choices: DialogChoice[];
    }
  | {
      kind: "pick";
      title: string;
      options: { label: string; action: DialogAction }[];
      selected: number;
    }
  | {
      kind: "input";
      title: string;
      /** Context shown above the field. */
      lines?: string[];
      label: string;
      value: string;
      purpose: InputPurpose;
    }
  | {
      kind: "form";
      title: string;
      fields: FormField[];
      /** The field being edited. */
      field: number;
      /** What is being typed: a line field's value, or a list field's next entry. */
      draft: string;
      purpose: FormPurpose;
    }
  | { kind: "text"; title: string; lines: string[]; offset: number }
  /** The command palette (`:`): every command by name, fuzzy-matched. */
  | { kind: "palette"; query: string; selected: number };

export const MESSAGE_LIMIT = 500;

export interface UiSlice {
  mode: Mode;
  selected: string | undefined;
  tab: Tab;
  /** Selected row in the active tab (locks, checkpoints, ...). */
  tabRow: number;
  zoomed: boolean;
  helpOpen: boolean;
  /** The help's page shown (it wraps what it says, so it can take several). */
  helpPage: number;
  modal: Modal | undefined;
  /** The message line: stays until the next key (or `until`). */
  flash: { text: string; until: number } | undefined;
  /** Every message shown, oldest first (the Messages list, `M`), the last MESSAGE_LIMIT. */
  messages: { at: number; text: string }[];
  size: { cols: number; rows: number };
  /**
   * The rows the bottom panel is given (see `screenLayout`'s `panel`), set by `followPanel` from
   * what its tab shows; undefined: the most it may take.
   */
  panelRows: number | undefined;
  /** What the terminal can show: no colour (NO_COLOR), the 16 standard colours, or all. */
  colorMode: ColorMode;
  /** A server hosts the room: leaving the control room keeps the agents running. */
  hosted: boolean;
  /** The command that opens this room again from this terminal's folder (`tower attach ...`). */
  reopen: string | undefined;
  /** Copy mode's search being typed (`/` down, `?` up): each key searches again. */
  copySearch: { query: string; backward: boolean } | undefined;
  /** Tower's paste buffer: the last text copied in copy mode, which `p` pastes. */
  pasteBuffer: string | undefined;
  /** J/K moved into the bottom tab: Enter opens its selected row (until a pane key). */
  panelFocus: boolean;
  /** The review view (`d`, mode `diff`): a stream's diff and its comments. */
  review: DiffView | undefined;
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
  setPanelRows(rows: number | undefined): void;
  /** Opens the review view (mode `diff`), changes it, or closes it (back to normal mode). */
  setReview(review: DiffView | undefined): void;
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
  helpPage: 0,
  modal: undefined,
  flash: undefined,
  messages: [],
  size: { cols: 80, rows: 24 },
  panelRows: undefined,
  colorMode: "full",
  hosted: false,
  reopen: undefined,
  copySearch: undefined,
  pasteBuffer: undefined,
  panelFocus: false,
  review: undefined,
  setMode: (mode) => set({ mode }),
  select: (selected) => set({ selected }),
  setTab: (tab) => set({ tab, tabRow: 0 }),
  setTabRow: (tabRow) => set({ tabRow: Math.max(0, tabRow) }),
  setZoomed: (zoomed) => set({ zoomed }),
  setHelpOpen: (helpOpen) => set({ helpOpen, helpPage: 0 }),
  openModal: (modal) => set({ modal }),
  closeModal: () => set({ modal: undefined }),
  showFlash: (text, ms) =>
    set((s) => ({
      flash: { text, until: ms === undefined ? Number.POSITIVE_INFINITY : Date.now() + ms },
      messages: [...s.messages, { at: Date.now(), text }].slice(-MESSAGE_LIMIT),
    })),
  setSize: (cols, rows) => set({ size: { cols, rows } }),
  setPanelRows: (panelRows) => set({ panelRows }),
  setReview: (review) =>
    set(review ? { review, mode: "diff" } : { review: undefined, mode: "normal" }),
});
