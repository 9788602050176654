/**
 * What the key handlers work with: the store, the room's client, the key table and the way out;
 * and the two ways of sending the room a command from a key (see src/room/commands.ts).
 */
import type { RoomCommand } from "../../room/commands.js";
import type { KeyCommand } from "../keys/table.js";
import type { RoomClient } from "../room-client.js";
import type { AppStore } from "../store/index.js";

export interface Controller {
  store: AppStore;
  /** The room: in this process, or a server's through its socket. */
  client: RoomClient;
  table: readonly KeyCommand[];
  /** Insert mode's escape key (a control byte, see parseEscapeKey); Ctrl-] by default. */
  escapeKey?: number;
  /**
   * Leaves the control room. With `stop`, every agent is stopped first (and a server with
   * them); without, the agents go on (a detach: only where a server hosts the room).
   */
  quit(options: { stop: boolean }): void;
  /** Puts text on the outer terminal's clipboard (OSC 52); absent where there is no terminal. */
  clipboard?(text: string): void;
}

/** A message on the message line, until the next key; kept in the Messages list (`M`). */
export function flash(ctl: Controller, text: string): void {
  ctl.store.getState().showFlash(text);
}

/** Sends a room command off the key handler; its reply (or failure) goes to the message line. */
export function send(ctl: Controller, command: RoomCommand, busy?: string): void {
  if (busy) ctl.store.getState().showFlash(busy, 60_000);
  ctl.client.run(command).then(
    (reply) => {
      const text = reply.ok ? reply.text : reply.error;
      if (text) flash(ctl, text);
      else if (busy) ctl.store.setState({ flash: undefined });
    },
    (error: unknown) => flash(ctl, error instanceof Error ? error.message : String(error)),
  );
}

/** Sends a command whose reply carries a value; a refusal goes to the message line. */
export async function ask<T>(ctl: Controller, command: RoomCommand): Promise<T | undefined> {
  const reply = await ctl.client.run(command);
  if (!reply.ok) {
    flash(ctl, reply.error);
    return undefined;
  }
  return reply.value as T;
}
