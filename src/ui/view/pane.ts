/**
 * A pane's title bar, which is also the border above it (as tmux's `pane-border-status top`):
 * agent, status word, what the status came from, locks held, role, stream, branch, then the
 * border line to the edge; the selected pane's in the accent colour.
 */
import { thousands } from "../../engine/order.js";
import { isAgentsWord } from "../../pty/status-source.js";
import type { CopyStatus } from "../../room/copy-mode.js";
import type { PaneFrame } from "../../room/state.js";
import type { AgentView } from "./model.js";
import { fitLine, type Line, seg, type Tone, wrapText } from "./types.js";

const STATUS_TONE: Record<AgentView["status"], Tone> = {
  starting: "muted",
  running: "ok",
  idle: "plain",
  waiting: "warn",
  exited: "muted",
};

/** The agent's status as its pane title and the sidebar say it; an exit with its code or signal. */
export function statusWord(agent: AgentView): string {
  if (agent.status !== "exited") return agent.status;
  if (agent.failure !== undefined) return "not started";
  // Stopped by Tower (x, or a restart): SIGKILL said, as the grace period ran out.
  if (agent.stopped) return agent.signal === "SIGKILL" ? "stopped SIGKILL" : "stopped";
  return agent.signal ? `exited ${agent.signal}` : `exited ${agent.exitCode ?? "?"}`;
}

export function paneTitle(
  agent: AgentView,
  options: {
    width: number;
    selected: boolean;
    locks: number;
    insert: boolean;
    offset: number;
    copy?: CopyStatus | undefined;
  },
): Line {
  const base: Tone = options.selected ? "accentStrong" : "title";
  // Most important first, so that a narrow pane still shows who it is and whether it waits.
  const line: Line = [
    seg(options.selected ? "▶ " : "  ", base),
    seg(agent.id, base),
    seg(" "),
    seg(statusWord(agent), STATUS_TONE[agent.status]),
  ];
  // Copy mode first after the status: it says what the keys do now.
  const { copy } = options;
  if (copy) {
    // Where the cursor is, as less says it: "line 1,204 of 5,000".
    line.push(
      seg(" COPY", "warn"),
      seg(` line ${thousands(copy.line)} of ${thousands(copy.lines)}`, "muted"),
    );
    if (copy.selecting)
      line.push(seg(` selecting ${copy.selecting === "line" ? "lines" : "a block"}`, "warn"));
    if (copy.search !== undefined && copy.search !== "") {
      line.push(
        seg(
          copy.notFound ? ` "${copy.search}" not found` : ` /${copy.search}`,
          copy.notFound ? "warn" : "muted",
        ),
      );
    }
  }
  // Where the status comes from, when the agent said it itself (hooks, title, OSC).
  if (isAgentsWord(agent.source)) {
    line.push(seg(` (${agent.source})`, "muted"));
  }
  if (agent.status === "waiting") line.push(seg(" y approve · n deny", "warn"));
  if (options.insert) line.push(seg(" INSERT", "warn"));
  if (options.locks)
    line.push(seg(` ${options.locks} lock${options.locks > 1 ? "s" : ""}`, "muted"));
  if (!copy && options.offset) line.push(seg(` scrolled ${options.offset}`, "muted"));
  if (agent.role) line.push(seg(` ${agent.role}`, "muted"));
  line.push(seg(` ${agent.stream} `, "accent"), seg(agent.branch, "muted"), seg(" "));
  const fitted = fitLine(line, options.width);
  const used = fitted.reduce((n, s) => n + s.text.length, 0);
  if (used < options.width) {
    fitted.push(seg("─".repeat(options.width - used), options.selected ? "accent" : "muted"));
  }
  return fitted;
}

const BOLD = "\x1b[1m";
const PLAIN = "\x1b[0m";

/**
 * What a pane shows below its title: the program's screen, or for an agent Tower did not start
 * (AgentView.failure), why and what then, wrapped to the pane's `width`, until it starts again.
 * The message line says it once, to the clients attached at that moment; the pane keeps it.
 */
export function paneScreen(
  agent: AgentView | undefined,
  frame: PaneFrame | undefined,
  width: number,
): Pick<PaneFrame, "rows" | "cols"> | undefined {
  if (agent?.failure === undefined || agent.status !== "exited") return frame;
  const text = (line: string) => wrapText(line, Math.max(1, width - 2)).map((row) => ` ${row}`);
  const rows = [
    "",
    ...text(`Tower did not start ${agent.id}:`).map((row) => `${BOLD}${row}${PLAIN}`),
    ...text(agent.failure),
    "",
    ...text(`Once that is fixed, x starts ${agent.id} (its pane selected).`),
  ];
  // Wider than the pane: each row is cut or padded to it where it is drawn (fitRow), so that
  // nothing of an earlier screen stays beside a short row.
  return { rows, cols: width + 1 };
}
