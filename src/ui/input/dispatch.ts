/**
 * Keys to actions. Insert mode forwards raw bytes to the selected agent (the escape key returns
 * to normal mode); normal mode looks each key up in the key table, says why when the command does
 * not apply now, and otherwise runs it. Dialogs and the help screen take keys first.
 *
 * Every action is a room command (src/room/commands.ts) sent through the client, so the same
 * keys work on a room in this process and on a server's. Dialogs are data (see `DialogAction`):
 * what answering them does is run here.
 *
 * Pastes: Tower's own terminal is in bracketed-paste mode, so a paste arrives marked. In insert
 * mode it reaches the agent as one paste; in normal mode it is never read as keys (Tower offers
 * to paste it into the selected agent). A confirmation never takes its answer from the burst of
 * input that opened it: a pasted "quit now, yes" cannot quit.
 */

import { humanName } from "../../engine/human.js";
import { DEFAULT_ESCAPE_KEY, splitInput } from "../../pty/keys.js";
import type { MergePlanValue, TaskMoveValue } from "../../room/commands.js";
import { visiblePanes } from "../../room/layout.js";
import { runningAgents } from "../../room/state.js";
import { type CommandId, commandForKey } from "../keys/table.js";
import { clientLayout } from "../layout.js";
import type { DialogAction, Modal } from "../store/slices.js";
import { helpPages } from "../view/help.js";
import { TABS } from "../view/model.js";
import { TAB_TITLES } from "../view/panel.js";
import { recordLines, tabRecords } from "../view/rows.js";
import { dialogTextWidth, wrapText } from "../view/types.js";
import { keyContext, mergeTarget } from "./context.js";
import { ask, type Controller, flash, send } from "./controller.js";
import { copyKey, enterCopy, pasteBuffer } from "./copy.js";
import { formKey, openHandoffForm, openNewAgentForm } from "./handoff.js";
import { runMerge } from "./merge.js";
import { handleMouse } from "./mouse.js";
import { paletteRows } from "./palette.js";
import { MOUSE_ANYWHERE, mouseEvent, PasteReader, parseKeyRanges } from "./parse.js";
import { deleteComments, openReview, runDiffCommand, sendReview, submitComment } from "./review.js";

/** A message's time in the message list, "12:04:31  ", and the rows under it. */
const TIME_COLUMNS = 10;

const readers = new WeakMap<Controller, PasteReader>();

export function handleInput(ctl: Controller, data: string) {
  let reader = readers.get(ctl);
  if (!reader) {
    reader = new PasteReader();
    readers.set(ctl, reader);
  }
  for (const piece of reader.read(data)) {
    if (piece.kind === "paste") handlePaste(ctl, piece.text);
    else handleBurst(ctl, piece.data);
  }
}

/** A chunk of typed input (not a paste). */
function handleBurst(ctl: Controller, data: string): void {
  const s = ctl.store.getState();
  // The message line's message stays until the next key (the Messages list keeps it).
  if (s.flash) ctl.store.setState({ flash: undefined });
  if (s.mode === "insert" && !s.modal && !s.helpOpen) {
    if (!s.selected) {
      s.setMode("normal");
      return;
    }
    // The mouse (when on) is the control room's, never the agent's input.
    const events: string[] = [];
    data = data.replace(MOUSE_ANYWHERE, (event) => {
      events.push(event);
      return "";
    });
    for (const key of events.flatMap((e) => parseKeyRanges(e).map((k) => k.key))) {
      const event = mouseEvent(key);
      if (event) handleMouse(ctl, event);
    }
    if (data === "") return;
    const split = splitInput(data, ctl.escapeKey ?? DEFAULT_ESCAPE_KEY);
    // A refusal (the agent not reading what waits for it) goes to the message line.
    if (split.forward !== "") send(ctl, { type: "input", agent: s.selected, data: split.forward });
    if (!split.escape) return;
    s.setMode("normal");
    // Keys typed after the escape key in the same chunk are Tower commands.
    handleKeys(ctl, split.rest);
    return;
  }
  handleKeys(ctl, data);
}

/**
 * The keys of one burst in normal mode. Once one of them opens a confirmation, the rest never
 * answer it; once one switches to insert mode, the rest is typed into the agent (`i` and what
 * follows it fast enough to arrive together).
 */
function handleKeys(ctl: Controller, data: string): void {
  const keys = parseKeyRanges(data);
  for (const [i, { key, end }] of keys.entries()) {
    const before = ctl.store.getState();
    handleKey(ctl, key);
    const now = ctl.store.getState();
    if (before.mode !== "insert" && now.mode === "insert" && !now.modal && end < data.length) {
      handleBurst(ctl, data.slice(end));
      return;
    }
    const after = now.modal;
    if (after?.kind === "confirm" && after !== before.modal && i < keys.length - 1) {
      const dropped = keys.length - 1 - i;
      flash(
        ctl,
        `${dropped} key${dropped === 1 ? "" : "s"} typed with it ignored: answer the question on its own`,
      );
      return;
    }
  }
}

/** A paste: the agent's input in insert mode; in normal mode, an offer, never keys. */
function handlePaste(ctl: Controller, text: string) {
  const s = ctl.store.getState();
  if (text === "") return;
  if (s.modal?.kind === "input" || s.modal?.kind === "form") {
    // Into the field being typed, as one line.
    for (const c of text.replace(/\r?\n/g, " ")) handleKey(ctl, c === " " ? "space" : c);
    return;
  }
  if (s.modal || s.helpOpen) return;
  if (!s.selected) return flash(ctl, "a paste is not read as keys: select an agent to paste into");
  if (s.mode === "insert") return send(ctl, { type: "paste", agent: s.selected, text });
  const lines = text.split(/\r?\n/);
  const preview = lines.slice(0, 8).map((line) => `  ${line}`);
  if (lines.length > 8) preview.push(`  … ${lines.length - 8} more lines`);
  s.openModal({
    kind: "confirm",
    title: `Paste into ${s.selected}?`,
    lines: [
      "You pasted in normal mode, where keys are commands: it was not read as keys.",
      "",
      ...preview,
    ],
    choices: [
      {
        keys: ["y", "enter"],
        label: `paste into ${s.selected}`,
        action: { do: "paste", agents: [s.selected], text },
      },
    ],
  });
}

export function handleKey(ctl: Controller, key: string) {
  const mouse = mouseEvent(key);
  if (mouse) return handleMouse(ctl, mouse);
  const s = ctl.store.getState();
  if (s.modal) return modalKey(ctl, s.modal, key);
  if (s.helpOpen) {
    if (key === "escape" || key === "?" || key === "q") return s.setHelpOpen(false);
    const pages = helpPages(ctl.table, s.size.cols, s.size.rows - 3).length;
    const step = ["j", "down", "pagedown", "space"].includes(key)
      ? 1
      : ["k", "up", "pageup"].includes(key)
        ? -1
        : 0;
    ctl.store.setState({ helpPage: Math.min(pages - 1, Math.max(0, s.helpPage + step)) });
    return;
  }
  if (s.mode === "copy") return copyKey(ctl, key);
  if (key === "ctrl+c") return runCommand(ctl, "app.quit");
  const command = commandForKey(key, s.mode === "diff" ? "diff" : "normal", ctl.table);
  if (!command) {
    if (key !== "escape") flash(ctl, `${key} does nothing here: ? lists every key`);
    return;
  }
  const reason = command.disabledReason?.(keyContext(s));
  if (reason) return flash(ctl, reason);
  runCommand(ctl, command.id);
}

/** `!`: a shell beside the selected agent (or beside the agent a pane of the user's is beside). */
async function openShell(ctl: Controller) {
  const selected = ctl.store.getState().selected;
  if (!selected) return;
  const id = await ask<string>(ctl, {
    type: "pane.open",
    beside: selected.split("+")[0] ?? selected,
    label: "shell",
  });
  if (id) ctl.store.setState({ selected: id, mode: "insert" });
}

/** The selected row of the bottom tab, whole, in a dialog (Esc closes it, j/k scroll). */
function openRow(ctl: Controller) {
  const s = ctl.store.getState();
  const rows = tabRecords(s, s.tab);
  const row = rows[Math.min(s.tabRow, rows.length - 1)];
  if (!row) return flash(ctl, `the ${s.tab} tab is empty`);
  s.openModal({
    kind: "text",
    title: `${TAB_TITLES[s.tab]}: row ${Math.min(s.tabRow, rows.length - 1) + 1} of ${rows.length}`,
    lines: recordLines(row),
    offset: 0,
  });
}

/** Runs what a dialog's answer says. */
export function runAction(ctl: Controller, action: DialogAction) {
  switch (action.do) {
    case "command":
      return send(ctl, action.command, action.busy);
    case "merge":
      return runMerge(ctl, action.stream);
    case "quit":
      return ctl.quit({ stop: action.stop });
    case "review.send":
      void sendReview(ctl, action);
      return;
    case "review.uncomment":
      void deleteComments(ctl, action);
      return;
    case "paste":
      flash(ctl, `pasted into ${action.agents.join(", ")}`);
      for (const agent of action.agents) send(ctl, { type: "paste", agent, text: action.text });
      return;
    case "none":
      return;
  }
}

/** A confirmation whose only choice is `label` on y or Enter. */
function confirm(
  ctl: Controller,
  title: string,
  lines: string[],
  label: string,
  action: DialogAction,
) {
  ctl.store.getState().openModal({
    kind: "confirm",
    title,
    lines,
    choices: [{ keys: ["y", "enter"], label, action }],
  });
}

const byHuman = () => `${humanName()} (control room)`;

function moveSelection(ctl: Controller, direction: "left" | "right" | "up" | "down") {
  const s = ctl.store.getState();
  const order = s.agentOrder;
  if (!s.selected || order.length < 2) return;
  const grid = clientLayout({ ...s, zoomed: false }).grid;
  const panes = visiblePanes(order, s.selected, grid, false);
  const current = panes.find((p) => p.id === s.selected);
  if (!current) return;
  const cx = current.rect.x + current.rect.width / 2;
  const cy = current.rect.y + current.rect.height / 2;
  const candidates = panes
    .filter((p) => p.id !== s.selected)
    .map((p) => ({
      id: p.id,
      dx: p.rect.x + p.rect.width / 2 - cx,
      dy: p.rect.y + p.rect.height / 2 - cy,
    }))
    .filter((p) =>
      direction === "left"
        ? p.dx < 0 && Math.abs(p.dy) < 1
        : direction === "right"
          ? p.dx > 0 && Math.abs(p.dy) < 1
          : direction === "up"
            ? p.dy < 0
            : p.dy > 0,
    )
    .sort((a, b) => Math.abs(a.dx) + Math.abs(a.dy) - (Math.abs(b.dx) + Math.abs(b.dy)));
  const next = candidates[0]?.id;
  if (next) return s.select(next);
  // Past the edge of the page: the previous or next agent, on the previous or next page; at
  // the first or last agent it stops (no wrapping round).
  const index = order.indexOf(s.selected);
  const step = direction === "left" || direction === "up" ? -1 : 1;
  const beyond = order[index + step];
  if (beyond && !panes.some((p) => p.id === beyond)) s.select(beyond);
}

export function runCommand(ctl: Controller, id: CommandId) {
  const s = ctl.store.getState();
  const agent = s.selected ? s.agents[s.selected] : undefined;
  switch (id) {
    case "pane.left":
    case "pane.right":
    case "pane.up":
    case "pane.down":
      ctl.store.setState({ panelFocus: false });
      return moveSelection(ctl, id.slice(5) as "left" | "right" | "up" | "down");
    case "tab.next":
    case "tab.previous": {
      const i = TABS.indexOf(s.tab);
      return s.setTab(
        TABS[(i + (id === "tab.next" ? 1 : TABS.length - 1)) % TABS.length] ?? "locks",
      );
    }
    case "row.next":
    case "row.previous": {
      const rows = tabRecords(s, s.tab).length;
      const row = Math.min(Math.max(0, rows - 1), s.tabRow + (id === "row.next" ? 1 : -1));
      ctl.store.setState({ panelFocus: true });
      return s.setTabRow(row);
    }
    case "row.open":
      return openRow(ctl);
    case "agent.add":
      return openNewAgentForm(ctl);
    case "agent.shell":
      return void openShell(ctl);
    case "mode.insert":
      if (s.panelFocus && tabRecords(s, s.tab).length > 0) return openRow(ctl);
      return s.setMode("insert");
    case "mode.normal":
      return s.setMode("normal");
    case "pane.zoom":
      return s.setZoomed(!s.zoomed);
    case "pane.copy":
      return enterCopy(ctl);
    case "pane.search":
      return enterCopy(ctl, undefined, { backward: false });
    case "paste.buffer":
      return pasteBuffer(ctl);
    case "pane.scrollUp":
      // Scrolling back is copy mode, as in tmux: its keys then move through the history.
      return enterCopy(ctl, { do: "page", pages: -1 });
    case "pane.scrollDown": {
      if (!agent) return;
      const rows = Math.max(1, Math.floor(s.size.rows / 3));
      void ctl.client.run({
        type: "scroll",
        agent: agent.id,
        lines: -rows,
      });
      return;
    }
    case "prompt.approve":
      if (agent) void ctl.client.run({ type: "approve", agent: agent.id });
      return;
    case "prompt.deny":
      if (agent) void ctl.client.run({ type: "deny", agent: agent.id });
      return;
    case "agent.nextWaiting": {
      const order = s.agentOrder;
      const start = s.selected ? order.indexOf(s.selected) : -1;
      for (let i = 1; i <= order.length; i++) {
        const candidate = order[(start + i) % order.length];
        if (candidate && s.agents[candidate]?.status === "waiting") return s.select(candidate);
      }
      return;
    }
    case "stream.start": {
      const startable =
        s.status?.streams.filter((x) => x.status === "pending" && x.can_start) ?? [];
      return s.openModal({
        kind: "pick",
        title: "Start which stream?",
        options: startable.map((x) => ({
          label: `${x.id}  ${x.name}`,
          action: { do: "command", command: { type: "stream.start", stream: x.id } },
        })),
        selected: 0,
      });
    }
    case "stream.complete":
      if (!agent) return;
      return send(ctl, { type: "stream.complete", stream: agent.stream });
    case "stream.merge": {
      const target = mergeTarget(s);
      if (!target) return;
      void confirmMerge(ctl, target);
      return;
    }
    case "stream.cleanup": {
      if (!agent) return;
      const them = s.agentOrder.filter((id) => s.agents[id]?.stream === agent.stream);
      return confirm(
        ctl,
        `Clean up ${agent.stream}? It is merged.`,
        [
          `Its agents (${them.join(", ")}) are stopped and their panes closed.`,
          "Its worktree is removed only if nothing in it would be lost (no uncommitted, untracked or unreproducible ignored file), its branch only with git branch -d; what is kept is said.",
        ],
        "clean up",
        { do: "command", command: { type: "stream.cleanup", stream: agent.stream } },
      );
    }
    case "agent.handoff":
      if (!agent) return;
      void openHandoffForm(ctl, agent.id);
      return;
    case "checkpoint.approve": {
      const cp = s.checkpoints[s.tabRow];
      if (!cp) return;
      return send(ctl, { type: "checkpoint.approve", id: cp.id, by: byHuman() });
    }
    case "checkpoint.reject": {
      const cp = s.checkpoints[s.tabRow];
      if (!cp) return;
      return s.openModal({
        kind: "input",
        title: `Reject ${cp.id}`,
        label: "Why? (the reason is recorded)",
        value: "",
        purpose: { do: "checkpoint.reject", id: cp.id },
      });
    }
    case "checkpoint.run": {
      const cp = s.checkpoints[s.tabRow];
      if (!cp) return;
      return send(ctl, { type: "checkpoint.run", id: cp.id }, `running ${cp.id}…`);
    }
    case "task.done": {
      const task = s.tasks[s.tabRow];
      if (task) void markDone(ctl, task.id);
      return;
    }
    case "task.block": {
      const task = s.tasks[s.tabRow];
      if (!task) return;
      return s.openModal({
        kind: "input",
        title: `Block ${task.id}`,
        label: "Why? (the note is kept with the task)",
        value: "",
        purpose: { do: "task.block", id: task.id },
      });
    }
    case "stream.diff":
      if (!agent) return;
      void openReview(ctl, agent.stream, agent.id);
      return;
    case "diff.down":
    case "diff.up":
    case "diff.pageDown":
    case "diff.pageUp":
    case "diff.nextHunk":
    case "diff.previousHunk":
    case "diff.nextFile":
    case "diff.previousFile":
    case "diff.comment":
    case "diff.send":
    case "diff.uncomment":
    case "diff.help":
    case "diff.close":
    case "diff.edit":
      return runDiffCommand(ctl, id);
    case "agent.stopOrRestart":
      if (!agent) return;
      if (agent.status === "exited") return send(ctl, { type: "restart", agent: agent.id });
      return confirm(
        ctl,
        `Stop ${agent.id}?`,
        [
          `${agent.id} (${agent.stream}) gets SIGTERM, then SIGKILL after a grace period.`,
          "Its worktree and commits are kept; x restarts it.",
        ],
        "stop",
        { do: "command", command: { type: "stop", agent: agent.id } },
      );
    case "lock.release": {
      const lock = s.locks[s.tabRow];
      if (!lock) return;
      return confirm(
        ctl,
        `Release the lock on ${lock.path}?`,
        [
          `It is held by ${lock.agent}${lock.stream ? ` (stream ${lock.stream})` : ""}${lock.task ? ` for "${lock.task}"` : ""}.`,
          "This is a forced release and is logged.",
        ],
        "release",
        { do: "command", command: { type: "lock.release", path: lock.path } },
      );
    }
    case "snapshot.restore": {
      const snap = s.snapshots[Math.min(s.tabRow, s.snapshots.length - 1)];
      if (!snap || s.tab !== "snapshots") return;
      const short = snap.commit.slice(0, 10);
      const files =
        snap.files.length === 1
          ? `Its file (${snap.files[0]}) is written as it was`
          : `Its ${snap.files.length} files (${snap.files.join(", ")}) are written as they were`;
      return confirm(
        ctl,
        `Bring back snapshot ${short} into ${snap.stream}'s worktree?`,
        [
          `${files} ${snap.message}; the index and the branch stay as they are.`,
          "What is there now is kept in a snapshot first (the Snapshots tab, tower snapshots): this can be undone the same way.",
        ],
        "bring back",
        {
          do: "command",
          command: { type: "snapshot.restore", stream: snap.stream, commit: snap.commit },
        },
      );
    }
    case "app.help":
      return s.setHelpOpen(!s.helpOpen);
    case "app.palette":
      return s.openModal({ kind: "palette", query: "", selected: 0 });
    case "app.messages": {
      // Each whole, wrapped at the dialog's width under its time (the message line cuts them).
      const width = dialogTextWidth(s.size.cols) - TIME_COLUMNS;
      const lines = s.messages.flatMap((m) =>
        wrapText(m.text.replace(/\n/g, " "), width).map((row, i) =>
          i === 0
            ? `${new Date(m.at).toTimeString().slice(0, 8)}  ${row}`
            : `${" ".repeat(TIME_COLUMNS)}${row}`,
        ),
      );
      return s.openModal({
        kind: "text",
        title: `Messages (${s.messages.length})`,
        lines: lines.length ? lines : ["no messages yet"],
        offset: Math.max(0, lines.length - 12),
      });
    }
    case "app.detach":
      return ctl.quit({ stop: false });
    case "app.quit":
      return askQuit(ctl);
  }
}

/** `q`: where a server hosts the room, detach or stop everything; here, stop (asked while agents run). */
function askQuit(ctl: Controller) {
  const s = ctl.store.getState();
  const running = runningAgents(s);
  const them =
    running.length === 0
      ? "No agent is running"
      : `${running.length} agent${running.length === 1 ? " is" : "s are"} running (${running.join(", ")})`;
  if (s.hosted) {
    return s.openModal({
      kind: "confirm",
      title: "Leave Tower?",
      lines: [
        `${them}.`,
        `Detach: the agents go on; \`${s.reopen ?? "tower attach"}\` opens the control room again.`,
        "Stop: every agent is stopped, then the server; worktrees, branches and commits stay.",
      ],
      choices: [
        { keys: ["d", "enter"], label: "detach", action: { do: "quit", stop: false } },
        { keys: ["s"], label: "stop every agent", action: { do: "quit", stop: true } },
      ],
    });
  }
  if (running.length === 0) return ctl.quit({ stop: true });
  confirm(
    ctl,
    "Quit Tower?",
    [
      `${them}: they will be stopped.`,
      "Worktrees, branches and commits stay; opening Tower again resumes them.",
    ],
    "quit",
    { do: "quit", stop: true },
  );
}

/** Marks a task done; when its agent runs, offers to give it its next task as its next prompt. */
async function markDone(ctl: Controller, id: string) {
  const reply = await ctl.client.run({ type: "task.move", id, action: "done" });
  if (!reply.ok) return flash(ctl, reply.error);
  if (reply.text) flash(ctl, reply.text.split("\n").join("; "));
  const next = (reply.value as TaskMoveValue | undefined)?.next;
  if (!next) return;
  confirm(
    ctl,
    `Give ${next.agent} its next task, ${next.id}?`,
    [`Pasted as ${next.agent}'s next prompt:`, "", `  ${next.prompt}`],
    `paste into ${next.agent}`,
    { do: "paste", agents: [next.agent], text: next.prompt },
  );
}

async function confirmMerge(ctl: Controller, target: string) {
  const plan = await ask<MergePlanValue>(ctl, {
    type: "merge.plan",
    stream: target,
  });
  if (!plan) return;
  if (plan.blockers.length) return flash(ctl, plan.blockers[0] ?? "cannot merge now");
  confirm(
    ctl,
    `Merge ${plan.id} (${plan.name}) into ${plan.base}?`,
    [
      `merge order: ${plan.mergeOrder.map((x) => (x === plan.id ? `[${x}]` : x)).join(" ")}`,
      `predicted conflicts: ${plan.predictedConflicts.length ? plan.predictedConflicts.join(", ") : "none"}`,
      `validation: ${plan.validate.length ? plan.validate.join(", then ") : "none configured"}`,
      "",
      "On a conflict or a failed validation the base branch is left as it was.",
      "The worktree is removed only if clean; the branch is deleted only with git branch -d.",
    ],
    "merge",
    { do: "merge", stream: plan.id },
  );
}

function modalKey(ctl: Controller, modal: Modal, key: string) {
  const s = ctl.store.getState();
  switch (modal.kind) {
    case "confirm": {
      const choice = modal.choices.find((c) => c.keys.includes(key));
      if (choice) {
        s.closeModal();
        return runAction(ctl, choice.action);
      }
      if (key === "n" || key === "escape" || key === "q") s.closeModal();
      return;
    }
    case "pick":
      if (key === "escape" || key === "q") return s.closeModal();
      if (key === "up" || key === "k")
        return s.openModal({ ...modal, selected: Math.max(0, modal.selected - 1) });
      if (key === "down" || key === "j")
        return s.openModal({
          ...modal,
          selected: Math.min(modal.options.length - 1, modal.selected + 1),
        });
      if (key === "enter") {
        const option = modal.options[modal.selected];
        s.closeModal();
        if (option) runAction(ctl, option.action);
      }
      return;
    case "input":
      if (key === "escape") return s.closeModal();
      if (key === "enter") {
        s.closeModal();
        return submitInput(ctl, modal.purpose, modal.value);
      }
      if (key === "backspace")
        return s.openModal({ ...modal, value: [...modal.value].slice(0, -1).join("") });
      if (key === "space") return s.openModal({ ...modal, value: `${modal.value} ` });
      if ([...key].length === 1) return s.openModal({ ...modal, value: modal.value + key });
      return;
    case "form":
      return formKey(ctl, modal, key);
    case "palette": {
      const rows = paletteRows(ctl.table, keyContext(s), modal.query);
      if (key === "escape") return s.closeModal();
      if (key === "up" || key === "ctrl+p")
        return s.openModal({ ...modal, selected: Math.max(0, modal.selected - 1) });
      if (key === "down" || key === "ctrl+n" || key === "tab")
        return s.openModal({ ...modal, selected: Math.min(rows.length - 1, modal.selected + 1) });
      if (key === "enter") {
        const row = rows[modal.selected];
        s.closeModal();
        if (!row) return;
        if (row.disabled) return flash(ctl, row.disabled);
        return runCommand(ctl, row.id);
      }
      if (key === "backspace")
        return s.openModal({
          ...modal,
          query: [...modal.query].slice(0, -1).join(""),
          selected: 0,
        });
      if (key === "space") return s.openModal({ ...modal, query: `${modal.query} `, selected: 0 });
      if ([...key].length === 1)
        return s.openModal({ ...modal, query: modal.query + key, selected: 0 });
      return;
    }
    case "text":
      if (key === "escape" || key === "q" || key === "enter") return s.closeModal();
      if (key === "up" || key === "k")
        return s.openModal({ ...modal, offset: Math.max(0, modal.offset - 1) });
      if (key === "down" || key === "j")
        return s.openModal({
          ...modal,
          offset: Math.min(Math.max(0, modal.lines.length - 1), modal.offset + 1),
        });
      if (key === "pageup")
        return s.openModal({ ...modal, offset: Math.max(0, modal.offset - 10) });
      if (key === "pagedown")
        return s.openModal({
          ...modal,
          offset: Math.min(Math.max(0, modal.lines.length - 1), modal.offset + 10),
        });
      return;
  }
}

function submitInput(
  ctl: Controller,
  purpose: Extract<Modal, { kind: "input" }>["purpose"],
  value: string,
) {
  switch (purpose.do) {
    case "checkpoint.reject":
      if (!value.trim()) return flash(ctl, "a rejection needs a reason");
      return send(ctl, { type: "checkpoint.reject", id: purpose.id, by: byHuman(), reason: value });
    case "task.block":
      return send(ctl, {
        type: "task.move",
        id: purpose.id,
        action: "block",
        ...(value.trim() && { note: value.trim() }),
      });
    case "review.comment":
      void submitComment(ctl, purpose, value);
      return;
  }
}

export { type Controller, flash } from "./controller.js";
