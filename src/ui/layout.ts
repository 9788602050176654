/**
 * The control room's screen layout from its state: the terminal's size, the zoom, and the rows
 * the bottom panel is given, which follow what its tab shows.
 */
import { MIN_PANEL, maxPanelHeight, type ScreenLayout, screenLayout } from "../room/layout.js";
import type { AppStore } from "./store/index.js";
import type { AppState } from "./store/slices.js";
import { projectViewOf } from "./view/model.js";
import { panelRows } from "./view/panel.js";

/** Where everything goes on this client's screen (see `screenLayout`). */
export const clientLayout = (s: Pick<AppState, "size" | "zoomed" | "panelRows">): ScreenLayout =>
  screenLayout(s.size.cols, s.size.rows, { zoomed: s.zoomed, panel: s.panelRows });

/** The rows the bottom panel's content needs, within its least and most. */
export const panelRowsWanted = (s: AppState): number =>
  Math.min(
    maxPanelHeight(s.size.rows),
    Math.max(
      MIN_PANEL,
      panelRows({ ...projectViewOf(s), problem: s.problem }, s.tab, Math.max(1, s.size.cols)),
    ),
  );

/** How long the panel keeps rows its content no longer needs before giving them back. */
export const PANEL_SHRINK_MS = 5000;

/**
 * Sizes the bottom panel by its content, up to its most (an empty Locks tab does not take twelve
 * rows). The panel's height decides the agents' terminal height, so it changes sparingly: it
 * grows at once when its content needs more rows, and gives rows back only when the tab, the
 * terminal's size or the zoom changes, or when the content has needed fewer for `shrinkAfterMs`
 * (a lock taken and released does not resize every agent twice).
 */
export function followPanel(
  store: AppStore,
  options: { shrinkAfterMs?: number | undefined } = {},
): () => void {
  const shrinkAfter = options.shrinkAfterMs ?? PANEL_SHRINK_MS;
  let timer: NodeJS.Timeout | undefined;
  const wanted = panelRowsWanted;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const update = (s: AppState, fresh: boolean) => {
    const rows = wanted(s);
    const current = s.panelRows;
    if (current === undefined || fresh || rows > current) {
      cancel();
      if (rows !== current) s.setPanelRows(rows);
    } else if (rows === current) {
      cancel();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        const now = store.getState();
        const later = wanted(now);
        if (now.panelRows !== undefined && later < now.panelRows) now.setPanelRows(later);
      }, shrinkAfter);
      timer.unref?.();
    }
  };
  update(store.getState(), true);
  const unsubscribe = store.subscribe((s, prev) => {
    const fresh = s.tab !== prev.tab || s.size !== prev.size || s.zoomed !== prev.zoomed;
    if (
      fresh ||
      s.locks !== prev.locks ||
      s.conflicts !== prev.conflicts ||
      s.checkpoints !== prev.checkpoints ||
      s.tasks !== prev.tasks ||
      s.activity !== prev.activity ||
      s.handoffs !== prev.handoffs ||
      s.problem !== prev.problem ||
      s.status !== prev.status
    ) {
      update(s, fresh);
    }
  });
  return () => {
    cancel();
    unsubscribe();
  };
}
