/**
 * The mouse, when the user turned it on (`ui.mouse: true` in streams.yaml, or `--mouse`): off by
 * default, so that the terminal's own selection keeps working. The wheel scrolls the pane under
 * the pointer back through its history (copy mode, as tmux's wheel does); a click selects the
 * pane under it, or a tab of the bottom panel.
 */
import { visiblePanes } from "../../room/layout.js";
import { clientLayout } from "../layout.js";
import { projectViewOf, TABS } from "../view/model.js";
import { tabBar } from "../view/panel.js";
import type { Controller } from "./controller.js";
import { enterCopy } from "./copy.js";
import type { MouseEvent } from "./parse.js";

/** Lines one turn of the wheel scrolls (tmux's default is 5; panes here are smaller). */
export const WHEEL_LINES = 3;

/** The escape sequences that turn the mouse on (clicks and wheel, SGR encoding) and off. */
export const MOUSE_ON = "\x1b[?1000h\x1b[?1006h";
export const MOUSE_OFF = "\x1b[?1006l\x1b[?1000l";

export function handleMouse(ctl: Controller, event: MouseEvent): void {
  if (event.release) return;
  const s = ctl.store.getState();
  // Over a dialog, the help or the review view, the panes are not on screen.
  if (s.modal || s.helpOpen || s.mode === "diff") return;
  const layout = clientLayout(s);
  const pane = visiblePanes(s.agentOrder, s.selected, layout.grid, s.zoomed).find(
    ({ rect }) =>
      event.x >= rect.x &&
      event.x < rect.x + rect.width &&
      event.y >= rect.y &&
      event.y < rect.y + rect.height,
  );
  // Wheel: buttons 64 (up) and 65 (down), with modifier bits that do not matter here.
  if ((event.button & 64) !== 0) {
    if (!pane) return;
    const up = (event.button & 1) === 0;
    if (pane.id !== s.selected) select(ctl, pane.id);
    const scroll = { do: "scroll" as const, lines: up ? -WHEEL_LINES : WHEEL_LINES };
    if (ctl.store.getState().mode === "copy") {
      void ctl.client.run({ type: "copy", agent: pane.id, action: scroll });
    } else if (up) {
      enterCopy(ctl, scroll);
    }
    return;
  }
  if ((event.button & 3) !== 0) return; // only the left button selects
  if (pane) {
    if (pane.id !== s.selected) select(ctl, pane.id);
    return;
  }
  if (event.y === layout.panel.y && layout.panel.height > 0) {
    const tab = tabAt(ctl, event.x, layout.panel.width);
    if (tab) s.setTab(tab);
  }
}

/** Selects another pane; copy mode stays with the pane it was on, so the keys are normal again. */
function select(ctl: Controller, id: string): void {
  const s = ctl.store.getState();
  if (s.mode === "copy" && s.selected) {
    void ctl.client.run({ type: "copy", agent: s.selected, action: { do: "exit" } });
  }
  ctl.store.setState({
    selected: id,
    mode: s.mode === "insert" ? "insert" : "normal",
    copySearch: undefined,
  });
}

/** The tab whose label is at column `x` of the panel's tab bar. */
function tabAt(ctl: Controller, x: number, width: number) {
  const s = ctl.store.getState();
  const bar = tabBar(projectViewOf(s), s.tab, width);
  // The bar is a label then a space for each tab, in TABS order.
  let at = 0;
  for (const [i, segment] of bar.entries()) {
    const end = at + segment.text.length;
    if (x >= at && x < end) return i % 2 === 0 ? TABS[i / 2] : undefined;
    at = end;
  }
  return undefined;
}
