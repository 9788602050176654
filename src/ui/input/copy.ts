/**
 * Copy mode's keys (src/room/copy-mode.ts holds the mode itself, per pane, in the room): the
 * key table's `copy` commands move, search and select; `y` copies the selection to the system
 * clipboard (OSC 52, which reaches the desktop through SSH and through tmux with
 * `set-clipboard on`) and into Tower's paste buffer, which `p` in normal mode pastes into the
 * selected agent. While a search is typed (`/`, `?`), keys edit it and each searches again.
 */

import type { CopyValue } from "../../room/commands.js";
import type { CopyAction } from "../../room/copy-mode.js";
import { type CommandId, commandForKey } from "../keys/table.js";
import { keyContext } from "./context.js";
import { ask, type Controller, flash } from "./controller.js";

/** The bytes that put `text` on the terminal's clipboard (OSC 52, the "c" selection). */
export function clipboardBytes(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, "utf8").toString("base64")}\x07`;
}

/** Sends a copy action for the selected agent; a refusal ends copy mode. */
async function act(ctl: Controller, action: CopyAction): Promise<CopyValue | undefined> {
  const agent = ctl.store.getState().selected;
  if (!agent) {
    leave(ctl);
    return undefined;
  }
  const value = await ask<CopyValue>(ctl, { type: "copy", agent, action });
  if (!value) leave(ctl);
  return value;
}

function leave(ctl: Controller): void {
  ctl.store.setState({ mode: "normal", copySearch: undefined });
}

/**
 * Enters copy mode on the selected pane with `first` (a page up...; any action enters it), in one
 * command, so that nothing sent after it (a quick `q`) can arrive first.
 */
export function enterCopy(ctl: Controller, first?: CopyAction, search?: { backward: boolean }) {
  ctl.store.setState({
    mode: "copy",
    copySearch: search ? { query: "", backward: search.backward } : undefined,
  });
  void act(ctl, first ?? { do: "enter" });
}

/** `p`: the paste buffer into the selected agent, as a paste (bracketed when it asked for it). */
export function pasteBuffer(ctl: Controller): void {
  const s = ctl.store.getState();
  if (!s.selected || s.pasteBuffer === undefined) return;
  void ctl.client.run({ type: "paste", agent: s.selected, text: s.pasteBuffer });
  const lines = s.pasteBuffer.split("\n").length;
  flash(ctl, `pasted ${lines} line${lines === 1 ? "" : "s"} into ${s.selected}`);
}

const ACTIONS: Partial<Record<CommandId, CopyAction>> = {
  "copy.up": { do: "move", lines: -1 },
  "copy.down": { do: "move", lines: 1 },
  "copy.left": { do: "move", cols: -1 },
  "copy.right": { do: "move", cols: 1 },
  "copy.halfUp": { do: "page", pages: -0.5 },
  "copy.halfDown": { do: "page", pages: 0.5 },
  "copy.pageUp": { do: "page", pages: -1 },
  "copy.pageDown": { do: "page", pages: 1 },
  "copy.top": { do: "top" },
  "copy.bottom": { do: "bottom" },
  "copy.lineStart": { do: "lineStart" },
  "copy.lineEnd": { do: "lineEnd" },
  "copy.next": { do: "next" },
  "copy.previous": { do: "next", reverse: true },
  "copy.select": { do: "select", kind: "block" },
  "copy.selectLines": { do: "select", kind: "line" },
};

/** A key in copy mode. */
export function copyKey(ctl: Controller, key: string) {
  const s = ctl.store.getState();
  if (s.copySearch) return searchKey(ctl, s.copySearch, key);
  const command = commandForKey(key, "copy", ctl.table);
  if (!command) {
    flash(
      ctl,
      `${key} does nothing in copy mode: q leaves it; the help (? in normal mode) lists its keys`,
    );
    return;
  }
  const reason = command.disabledReason?.(keyContext(s));
  if (reason) return flash(ctl, reason);
  switch (command.id) {
    case "copy.exit":
      leave(ctl);
      void act(ctl, { do: "exit" });
      return;
    case "copy.searchForward":
    case "copy.searchBackward":
      ctl.store.setState({
        copySearch: { query: "", backward: command.id === "copy.searchBackward" },
      });
      return;
    case "copy.yank":
      leave(ctl);
      void act(ctl, { do: "yank" }).then((value) => {
        if (value?.text === undefined) return;
        copied(ctl, value.text);
      });
      return;
    default: {
      const action = ACTIONS[command.id];
      if (action) void act(ctl, action);
    }
  }
}

/** The yanked text: on the clipboard through OSC 52, and in the paste buffer. */
function copied(ctl: Controller, text: string): void {
  ctl.store.setState({ pasteBuffer: text });
  ctl.clipboard?.(text);
  const lines = text.split("\n").length;
  flash(
    ctl,
    `copied ${lines} line${lines === 1 ? "" : "s"} to the clipboard and the paste buffer: p pastes it into an agent`,
  );
}

/** A key while a search is typed: text edits it (searching again), Enter keeps, Esc goes back. */
function searchKey(ctl: Controller, search: { query: string; backward: boolean }, key: string) {
  const update = (query: string) => {
    ctl.store.setState({ copySearch: { ...search, query } });
    void act(ctl, { do: "search", query, backward: search.backward, incremental: true });
  };
  if (key === "enter") {
    ctl.store.setState({ copySearch: undefined });
    return;
  }
  if (key === "escape" || key === "ctrl+c") {
    ctl.store.setState({ copySearch: undefined });
    void act(ctl, { do: "searchCancel" });
    return;
  }
  if (key === "backspace") {
    if (search.query === "") {
      ctl.store.setState({ copySearch: undefined });
      return;
    }
    return update(search.query.slice(0, -1));
  }
  if (key === "space") return update(`${search.query} `);
  // One printable character (key names of printable keys are the character itself).
  if ([...key].length === 1 && key >= " ") return update(search.query + key);
}
