/**
 * The room's notifications on the user's own terminal: a bell, then an OSC 9 (iTerm2, WezTerm,
 * Windows Terminal, kitty) and an OSC 777 (urxvt, foot, Ghostty, VTE) desktop notification. Both
 * pass through SSH, and through tmux with `allow-passthrough` or as its own bell. Nothing rings
 * for the agent whose pane this client has selected: the user is looking at it.
 */
import type { RoomClient } from "./room-client.js";
import type { AppStore } from "./store/index.js";

/** The text made safe inside an OSC string: no control characters, one line, not too long. */
const oscText = (text: string) =>
  text
    .replace(/[\x00-\x1f\x7f-\x9f]+/g, " ")
    .trim()
    .slice(0, 200);

/** The bytes that ring the terminal and show `text` as a desktop notification. */
export function notificationBytes(text: string): string {
  const body = oscText(text);
  return `\x07\x1b]9;Tower: ${body}\x07\x1b]777;notify;Tower;${body}\x07`;
}

export function ringOnNotify(
  store: AppStore,
  client: RoomClient,
  write: (bytes: string) => void,
): () => void {
  return client.on((event) => {
    if (event.type !== "notify") return;
    if (event.agent !== undefined && event.agent === store.getState().selected) return;
    write(notificationBytes(event.text));
  });
}
