/**
 * How an agent's pane is drawn, behind one small interface: the grid asks the renderer for a
 * pane of a given id and rectangle. The default draws the emulator's rows as Ink text; a faster
 * renderer (writing rows straight to the terminal, say) can replace it without touching the rest.
 */
import type { ReactNode } from "react";
import type { Rect } from "../../room/layout.js";

export interface PaneRenderer {
  name: string;
  render(props: { id: string; rect: Rect }): ReactNode;
}
