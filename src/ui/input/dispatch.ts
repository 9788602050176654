/**
 * Keys to actions. Insert mode forwards raw bytes to the selected agent (the escape key returns
 * to normal mode); normal mode looks each key up in the key table, says why when the command does
 * not apply now, and otherwise runs it. Dialogs and the help screen take keys first.
 */
import { approveCheckpoint, rejectCheckpoint } from "../../engine/checkpoints.js";
import { runGate } from "../../engine/gates/index.js";
import { humanName } from "../../engine/human.js";
import { releaseLocks } from "../../engine/locks.js";
import { completeStream } from "../../engine/orchestrator/complete.js";
import { mergeStream } from "../../engine/orchestrator/merge.js";
import { planMerge } from "../../engine/orchestrator/merge-plan.js";
import { startStream } from "../../engine/orchestrator/start.js";
import type { Project } from "../../engine/project.js";
import { signingSeal } from "../../engine/seal.js";
import { changeTask, taskActionText } from "../../engine/tasks/index.js";
import { screenLayout, visiblePanes } from "../../room/layout.js";
import { type CommandId, commandForKey, type KeyCommand } from "../keys/table.js";
import type { AppStore } from "../store/index.js";
import type { Modal } from "../store/slices.js";
import { TABS } from "../view/model.js";
import { dialogTextWidth, wrapText } from "../view/types.js";
import { keyContext, mergeTarget } from "./context.js";
import { runHandoff } from "./handoff.js";
import { parseKeys } from "./parse.js";

/** What the dispatcher needs of the agent sessions (the SessionManager service). */
export interface SessionsApi {
  input(id: string, data: string): { escape: boolean; rest: string };
  approve(id: string): void;
  deny(id: string): void;
  stop(id: string): Promise<unknown>;
  restart(id: string): Promise<void>;
  scroll(id: string, deltaLines: number): number;
  paste(id: string, text: string): void;
  running(): string[];
}

export interface Controller {
  store: AppStore;
  project: Project;
  sessions: SessionsApi;
  table: readonly KeyCommand[];
  /** Leaves the control room (after the sessions were stopped). */
  quit(): void;
  /** Runs git for the diff view (kept out of the render path). */
  diff(streamId: string): Promise<string[]>;
}

const FLASH_MS = 4000;

export function flash(ctl: Controller, text: string): void {
  ctl.store.getState().showFlash(text, FLASH_MS);
  setTimeout(() => {
    const current = ctl.store.getState().flash;
    if (current && current.until <= Date.now()) ctl.store.setState({ flash: undefined });
  }, FLASH_MS + 20).unref();
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs an engine action off the key handler; its failure becomes a flash message. */
function act(ctl: Controller, work: () => Promise<string | undefined>): void {
  work().then(
    (done) => done && flash(ctl, done),
    (error) => flash(ctl, message(error).split("\n")[0] ?? "failed"),
  );
}

export function handleInput(ctl: Controller, data: string) {
  const s = ctl.store.getState();
  if (s.mode === "insert" && !s.modal && !s.helpOpen) {
    if (!s.selected) {
      s.setMode("normal");
      return;
    }
    const result = ctl.sessions.input(s.selected, data);
    if (!result.escape) return;
    s.setMode("normal");
    // Keys typed after the escape key in the same chunk are Tower commands.
    for (const key of parseKeys(result.rest)) handleKey(ctl, key);
    return;
  }
  for (const key of parseKeys(data)) handleKey(ctl, key);
}

export function handleKey(ctl: Controller, key: string) {
  const s = ctl.store.getState();
  if (s.modal) return modalKey(ctl, s.modal, key);
  if (s.helpOpen) {
    if (key === "escape" || key === "?" || key === "q") s.setHelpOpen(false);
    return;
  }
  if (key === "ctrl+c") return runCommand(ctl, "app.quit");
  const command = commandForKey(key, "normal", ctl.table);
  if (!command) {
    if (key !== "escape") flash(ctl, `${key} does nothing here: ? lists every key`);
    return;
  }
  const reason = command.disabledReason?.(keyContext(s));
  if (reason) return flash(ctl, reason);
  runCommand(ctl, command.id);
}

function moveSelection(ctl: Controller, direction: "left" | "right" | "up" | "down") {
  const s = ctl.store.getState();
  const order = s.agentOrder;
  if (!s.selected || order.length < 2) return;
  const grid = screenLayout(s.size.cols, s.size.rows, { zoomed: false }).grid;
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
  // Past the edge of the page: the previous or next agent, on the previous or next page.
  const index = order.indexOf(s.selected);
  const step = direction === "left" || direction === "up" ? -1 : 1;
  const wrapped = order[(index + step + order.length) % order.length];
  if (wrapped) s.select(wrapped);
}

export function runCommand(ctl: Controller, id: CommandId) {
  const s = ctl.store.getState();
  const agent = s.selected ? s.agents[s.selected] : undefined;
  switch (id) {
    case "pane.left":
    case "pane.right":
    case "pane.up":
    case "pane.down":
      return moveSelection(ctl, id.slice(5) as "left" | "right" | "up" | "down");
    case "tab.next":
    case "tab.previous": {
      const i = TABS.indexOf(s.tab);
      return s.setTab(
        TABS[(i + (id === "tab.next" ? 1 : TABS.length - 1)) % TABS.length] ?? "locks",
      );
    }
    case "row.next":
      return s.setTabRow(s.tabRow + 1);
    case "row.previous":
      return s.setTabRow(s.tabRow - 1);
    case "mode.insert":
      return s.setMode("insert");
    case "mode.normal":
      return s.setMode("normal");
    case "pane.zoom":
      return s.setZoomed(!s.zoomed);
    case "pane.scrollUp":
    case "pane.scrollDown": {
      if (!agent) return;
      const rows = Math.max(1, Math.floor(s.size.rows / 3));
      ctl.sessions.scroll(agent.id, id === "pane.scrollUp" ? rows : -rows);
      return;
    }
    case "prompt.approve":
      if (agent) ctl.sessions.approve(agent.id);
      return;
    case "prompt.deny":
      if (agent) ctl.sessions.deny(agent.id);
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
        options: startable.map((x) => `${x.id}  ${x.name}`),
        selected: 0,
        onPick: (option) => {
          const streamId = option.split(" ")[0] ?? "";
          act(ctl, async () => {
            const result = await startStream(ctl.project, streamId);
            return `started ${streamId} on ${result.branch}`;
          });
        },
      });
    }
    case "stream.complete":
      if (!agent) return;
      return act(ctl, async () => {
        const result = await completeStream(ctl.project, agent.stream);
        return `completed ${agent.stream}${result.nowStartable.length ? `; can start now: ${result.nowStartable.join(", ")}` : ""}`;
      });
    case "stream.merge": {
      const target = mergeTarget(s);
      if (!target) return;
      return act(ctl, async () => {
        const [plan] = await planMerge(ctl.project, target);
        if (!plan) return `nothing to merge for ${target}`;
        if (plan.blockers.length) return plan.blockers[0];
        const lines = [
          `merge order: ${plan.mergeOrder.map((x) => (x === plan.id ? `[${x}]` : x)).join(" ")}`,
          `predicted conflicts: ${plan.predictedConflicts.length ? plan.predictedConflicts.join(", ") : "none"}`,
          `validation: ${plan.validate.length ? plan.validate.join(", then ") : "none configured"}`,
          "",
          "On a conflict or a failed validation the base branch is left as it was.",
          "The worktree is removed only if clean; the branch is deleted only with git branch -d.",
        ];
        ctl.store.getState().openModal({
          kind: "confirm",
          title: `Merge ${plan.id} (${plan.name}) into ${plan.base}?`,
          lines,
          confirmLabel: "merge",
          onConfirm: () => runMerge(ctl, plan.id),
        });
        return undefined;
      });
    }
    case "agent.handoff":
      if (!agent) return;
      return act(ctl, () => runHandoff(ctl, agent.id));
    case "checkpoint.approve": {
      const cp = s.checkpoints[s.tabRow];
      if (!cp) return;
      return act(ctl, async () => {
        await approveCheckpoint({
          plan: ctl.project.plan,
          store: ctl.project.store,
          seal: await signingSeal(ctl.project.repo.mainRoot, ctl.project.seal),
          id: cp.id,
          by: `${humanName()} (control room)`,
        });
        return `approved ${cp.id}`;
      });
    }
    case "checkpoint.reject": {
      const cp = s.checkpoints[s.tabRow];
      if (!cp) return;
      return s.openModal({
        kind: "input",
        title: `Reject ${cp.id}`,
        label: "Why? (the reason is recorded)",
        value: "",
        onSubmit: (reason) =>
          act(ctl, async () => {
            if (!reason.trim()) return "a rejection needs a reason";
            await rejectCheckpoint({
              plan: ctl.project.plan,
              store: ctl.project.store,
              seal: ctl.project.seal,
              id: cp.id,
              by: `${humanName()} (control room)`,
              note: reason,
            });
            return `rejected ${cp.id}`;
          }),
      });
    }
    case "checkpoint.run": {
      const cp = s.checkpoints[s.tabRow];
      if (!cp) return;
      s.showFlash(`running ${cp.id}…`, 60_000);
      return act(ctl, async () => {
        const result = await runGate(ctl.project, cp.id);
        return result.passed
          ? `${cp.id} passed`
          : `${cp.id} failed: ${result.note} (log: ${result.logFile})`;
      });
    }
    case "task.done":
    case "task.block": {
      const task = s.tasks[s.tabRow];
      if (!task) return;
      const move = (action: "done" | "block", note?: string) =>
        act(ctl, async () =>
          taskActionText(
            await changeTask(action, {
              plan: ctl.project.plan,
              store: ctl.project.store,
              id: task.id,
              agent: "human",
              ...(note !== undefined && { note }),
            }),
          ),
        );
      if (id === "task.done") return move("done");
      return s.openModal({
        kind: "input",
        title: `Block ${task.id}`,
        label: "Why? (the note is kept with the task)",
        value: "",
        onSubmit: (note) => move("block", note.trim() || undefined),
      });
    }
    case "stream.diff":
      if (!agent) return;
      return act(ctl, async () => {
        const lines = await ctl.diff(agent.stream);
        ctl.store.getState().openModal({
          kind: "text",
          title: `Diff of ${agent.stream} against ${ctl.project.base}`,
          lines,
          offset: 0,
        });
        return undefined;
      });
    case "agent.stopOrRestart":
      if (!agent) return;
      if (agent.status === "exited")
        return act(ctl, async () => {
          await ctl.sessions.restart(agent.id);
          return `restarted ${agent.id}`;
        });
      return s.openModal({
        kind: "confirm",
        title: `Stop ${agent.id}?`,
        lines: [
          `${agent.id} (${agent.stream}) gets SIGTERM, then SIGKILL after a grace period.`,
          "Its worktree and commits are kept; x restarts it.",
        ],
        confirmLabel: "stop",
        onConfirm: () =>
          act(ctl, async () => {
            await ctl.sessions.stop(agent.id);
            return `stopped ${agent.id}`;
          }),
      });
    case "lock.release": {
      const lock = s.locks[s.tabRow];
      if (!lock) return;
      return s.openModal({
        kind: "confirm",
        title: `Release the lock on ${lock.path}?`,
        lines: [
          `It is held by ${lock.agent}${lock.stream ? ` (stream ${lock.stream})` : ""}${lock.task ? ` for "${lock.task}"` : ""}.`,
          "This is a forced release and is logged.",
        ],
        confirmLabel: "release",
        onConfirm: () =>
          act(ctl, async () => {
            await releaseLocks(ctl.project.store, {
              paths: [lock.path],
              agent: "human",
              force: true,
            });
            return `released ${lock.path}`;
          }),
      });
    }
    case "app.help":
      return s.setHelpOpen(!s.helpOpen);
    case "app.quit": {
      const running = ctl.sessions.running();
      if (running.length === 0) return ctl.quit();
      return s.openModal({
        kind: "confirm",
        title: "Quit Tower?",
        lines: [
          `${running.length} agent${running.length > 1 ? "s are" : " is"} running (${running.join(", ")}): they will be stopped.`,
          "Worktrees, branches and commits stay; opening Tower again resumes them.",
        ],
        confirmLabel: "quit",
        onConfirm: () => ctl.quit(),
      });
    }
  }
}

function runMerge(ctl: Controller, streamId: string): void {
  const output: string[] = [];
  const show = () =>
    ctl.store.getState().openModal({
      kind: "text",
      title: `Merging ${streamId}…`,
      lines: [...output],
      offset: Math.max(0, output.length - 12),
    });
  output.push(`merging ${streamId}`);
  show();
  mergeStream(ctl.project, streamId, {
    onCommand: (command) => {
      output.push(`$ ${command}`);
      show();
    },
    onLine: (_command, line) => {
      output.push(`  ${line}`);
      show();
    },
  }).then(
    (result) => {
      // What Tower says is wrapped to the dialog; the commands' own output stays cut.
      const say = (...lines: string[]) => {
        const width = dialogTextWidth(ctl.store.getState().size.cols);
        output.push(...lines.flatMap((line) => wrapText(line, width)));
      };
      if (result.outcome === "merged")
        say(`merged ${streamId} (${result.commit.slice(0, 10)})`, ...result.cleanup.kept);
      else if (result.outcome === "conflict")
        say(`conflict in ${result.files.join(", ")}: merge aborted, nothing changed`);
      else if (result.outcome === "validation_failed") {
        say(result.message);
        output.push(...result.tail.map((l) => `  ${l}`));
      } else say(result.message);
      ctl.store.getState().openModal({
        kind: "text",
        title: `Merge of ${streamId}: ${result.outcome.replace("_", " ")}`,
        lines: output,
        offset: Math.max(0, output.length - 12),
      });
    },
    (error) => {
      output.push(message(error));
      ctl.store.getState().openModal({
        kind: "text",
        title: `Merge of ${streamId} failed`,
        lines: output,
        offset: 0,
      });
    },
  );
}

function modalKey(ctl: Controller, modal: Modal, key: string) {
  const s = ctl.store.getState();
  switch (modal.kind) {
    case "confirm":
      if (key === "y" || key === "enter") {
        s.closeModal();
        modal.onConfirm();
      } else if (key === "n" || key === "escape" || key === "q") s.closeModal();
      return;
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
        if (option) modal.onPick(option);
      }
      return;
    case "input":
      if (key === "escape") return s.closeModal();
      if (key === "enter") {
        s.closeModal();
        return modal.onSubmit(modal.value);
      }
      if (key === "backspace")
        return s.openModal({ ...modal, value: [...modal.value].slice(0, -1).join("") });
      if (key === "space") return s.openModal({ ...modal, value: `${modal.value} ` });
      if ([...key].length === 1) return s.openModal({ ...modal, value: modal.value + key });
      return;
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
