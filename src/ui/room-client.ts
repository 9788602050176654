/**
 * The control room's side of the room: a client that sends the room plain-data commands and
 * hears its events. In the same process the room itself is the client (its `run` and `on`);
 * over a socket, a remote client with the same two methods.
 */
import type { RoomCommand, RoomEvent, RoomReply } from "../room/commands.js";
import { followPanel } from "./layout.js";
import type { AppStore } from "./store/index.js";
import type { AppState } from "./store/slices.js";

export interface RoomClient {
  run(command: RoomCommand): Promise<RoomReply>;
  on(listener: (event: RoomEvent) => void): () => void;
}

/**
 * Keeps the room told of this client's screen (its size, zoom, the selected pane, which decides
 * the page shown, and the bottom panel's rows, which follow its content: see `followPanel`):
 * the agents' programs are sized for the panes of the client that was active last.
 */
export function followLayout(
  store: AppStore,
  client: RoomClient,
  options: { shrinkAfterMs?: number | undefined } = {},
): () => void {
  const unpanel = followPanel(store, options);
  const send = () => {
    const s = store.getState();
    void client.run({
      type: "layout",
      cols: s.size.cols,
      rows: s.size.rows,
      zoomed: s.zoomed,
      selected: s.selected,
      insert: s.mode === "insert",
      panel: s.panelRows,
    });
  };
  send();
  const unsubscribe = store.subscribe((s, prev) => {
    if (
      s.size !== prev.size ||
      s.panelRows !== prev.panelRows ||
      s.zoomed !== prev.zoomed ||
      s.selected !== prev.selected ||
      (s.mode === "insert") !== (prev.mode === "insert") ||
      s.agentOrder !== prev.agentOrder
    ) {
      send();
    }
  });
  return () => {
    unsubscribe();
    unpanel();
  };
}

/** The room's messages on the message line. */
export function showMessages(store: AppStore, client: RoomClient): () => void {
  return client.on((event) => {
    if (event.type === "message") store.getState().showFlash(event.text);
  });
}

/**
 * The room's trust question as a dialog: shown when the room asks (a plan whose commands this
 * machine has not trusted), gone when it is answered here or in another client.
 */
export function askTrust(store: AppStore): () => void {
  const show = (question: AppState["trustQuestion"]) => {
    const s = store.getState();
    if (question) {
      s.openModal({
        kind: "confirm",
        title: question.title,
        lines: question.lines,
        choices: [
          {
            keys: ["y", "enter"],
            label: "trust them and start the agents",
            action: { do: "command", command: { type: "trust" } },
          },
        ],
      });
    } else if (s.modal?.kind === "confirm" && s.modal.choices[0]?.action.do === "command") {
      const action = s.modal.choices[0].action;
      if (action.do === "command" && action.command.type === "trust") s.closeModal();
    }
  };
  show(store.getState().trustQuestion);
  return store.subscribe((s, prev) => {
    if (s.trustQuestion !== prev.trustQuestion) show(s.trustQuestion);
  });
}

/**
 * The room's question about a stream removed from streams.yaml while its agents run: keep them
 * running until stopped, or stop them (worktree and branch stay either way). Asked for the
 * first undecided stream; gone once decided here or in another client.
 */
export function askOrphans(store: AppStore): () => void {
  const isOrphanQuestion = (modal: AppState["modal"]) =>
    modal?.kind === "confirm" &&
    modal.choices.some(
      (c) => c.action.do === "command" && c.action.command.type === "orphans.keep",
    );
  const show = (orphans: AppState["orphans"]) => {
    const s = store.getState();
    const first = orphans[0];
    if (!first) {
      if (isOrphanQuestion(s.modal)) s.closeModal();
      return;
    }
    // Another dialog open (the user is answering something else): asked once it is closed.
    if (s.modal && !isOrphanQuestion(s.modal)) {
      pending = true;
      return;
    }
    pending = false;
    const them = first.agents.join(", ");
    s.openModal({
      kind: "confirm",
      title: `Stream ${first.stream} is gone from streams.yaml, but its agents run`,
      lines: [
        `${them} ${first.agents.length === 1 ? "is" : "are"} still running in its worktree.`,
        "Keep: they run until you stop them (x), and Tower does not ask again.",
        "Stop: they are stopped gracefully. Either way its worktree, branch and commits stay;",
        "put the stream back in streams.yaml to work on it again (`tower check` lists it).",
      ],
      choices: [
        {
          keys: ["k", "enter"],
          label: "keep them running",
          action: { do: "command", command: { type: "orphans.keep", stream: first.stream } },
        },
        {
          keys: ["s"],
          label: "stop them",
          action: { do: "command", command: { type: "orphans.stop", stream: first.stream } },
        },
      ],
    });
  };
  let pending = false;
  show(store.getState().orphans);
  return store.subscribe((s, prev) => {
    if (s.orphans !== prev.orphans || (pending && prev.modal && !s.modal)) show(s.orphans);
  });
}
