/**
 * Two real Claude Code agents (the pinned CLI of test/real-agents, against its scripted model
 * endpoint) contending for the same files through Tower's hooks: agents A1 and A2 of one stream,
 * started by Tower's room (the compiled dist/room/room.js, as `tower` runs it: hooks, MCP server,
 * briefing) in one worktree, each with its own scripted "model" (the room gives every agent one
 * environment, so each agent's endpoint comes in its plan command: `ANTHROPIC_BASE_URL=… claude`).
 *
 * Each agent's model, write after write: Read a shared file and Write it (one message, so that
 * the Read is fresh), with content that names the agent and the write. Then, by the tool result
 * the CLI sends back:
 * - granted (the hook allowed the Write and took the lock): hold the lock a moment (so the other
 *   agent meets it), check that file_locks.json names this agent as the holder and that the file
 *   on disk is exactly this write, then release it with Tower's MCP `unlock` tool;
 * - refused (the hook denied, naming the other agent): check the file does not hold this write,
 *   and go on;
 * - anything else (Claude Code's own "modified since read" check): count it, release (in case a
 *   lock was taken), go on.
 * A watcher on the shared folder keeps every content seen on disk: each must be a granted write.
 * "Lost": a granted write not on disk while its writer still held the lock (another write went
 * over it), a write that landed without its writer holding the lock, or a write on disk that was
 * not granted. The issue's bar: 0.
 */
import { type FSWatcher, mkdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as ProjectModule from "../../src/engine/project.js";
import type * as RoomModule from "../../src/room/room.js";
import type * as RoomStateModule from "../../src/room/state.js";
import { claudeEnv } from "../../test/real-agents/cli-env.js";
import { cliBinary } from "../../test/real-agents/clis.js";
import {
  ModelServer,
  type RecordedRequest,
  type ToolResult,
  type TurnAnswer,
  toolResults,
} from "../../test/real-agents/model-server.js";
import { QUICK, sized } from "./mode.js";
import { CLI, cleanEnv, makeBenchRepo, PROJECT_ROOT, tower } from "./repo.js";
import { nowMs, percentile, round } from "./stats.js";
import { type BenchRow, row } from "./types.js";

/** Writes per agent (two agents): 200 in all; shared files they contend for. */
const SIZE = sized({ writesPerAgent: 100, files: 2 }, { writesPerAgent: 5, files: 2 });
/** How long a granted lock is held before it is released (the other agent meets it then). */
const HOLD_MS = { min: 20, max: 120 } as const;
const TIMEOUT_MS = sized(15 * 60_000, 150_000);
const AGENTS = ["A1", "A2"] as const;
type AgentId = (typeof AGENTS)[number];

export interface ContendedWrites {
  rows: BenchRow[];
  details: Record<string, unknown>;
}

type Outcome = "granted" | "refused" | "stale";

interface Attempt {
  agent: AgentId;
  k: number;
  file: string;
  content: string;
  outcome?: Outcome;
  /** From the model's answer with the Write to the request that carried its result. */
  ms?: number;
  /** The first 200 characters of the tool result (refusals and failures). */
  said?: string;
  /** Whether its release was asked for, and its answer seen. */
  unlockSent?: boolean;
  unlockSeen?: boolean;
}

const planText = (commands: Record<AgentId, string>) => `version: 1
project: demo
streams:
  A:
    name: Writers
    scope: ["shared/**"]
    agents:
${AGENTS.map((id) => `      - { id: ${id}, task: "Write the shared files", agent: ${JSON.stringify(commands[id])} }`).join("\n")}
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** About 200 bytes, first line naming the writer and the write. */
const contentOf = (agent: AgentId, k: number) => `${agent} write #${k}\n${"x".repeat(180)}\n`;

/** The scripted model of one agent: a state machine over the requests its CLI sends. */
class WriterModel {
  readonly attempts: Attempt[] = [];
  readonly problems: string[] = [];
  readonly done: Promise<void>;
  private finish!: () => void;
  private last: RecordedRequest | undefined;
  private current: Attempt | undefined;
  private answeredAt = 0;

  constructor(
    readonly agent: AgentId,
    private readonly worktree: string,
    private readonly files: readonly string[],
    private readonly writes: number,
    private readonly locksFile: string,
  ) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** The script: the same function for every turn. */
  turns(): ((request: RecordedRequest) => TurnAnswer)[] {
    const turn = (request: RecordedRequest) => this.answer(request);
    return Array.from({ length: this.writes * 4 + 50 }, () => turn);
  }

  private absolute = (file: string) => path.join(this.worktree, file);

  /** The result of the call named `name` that the previous answer made, as `request` carries it. */
  private resultOf(
    previous: RecordedRequest | undefined,
    request: RecordedRequest,
    name: string,
  ): ToolResult | undefined {
    const call = previous?.calls.find((c) => c.name === name);
    return call ? toolResults(request).find((r) => r.id === call.id) : undefined;
  }

  private onDisk(file: string): string | undefined {
    try {
      return readFileSync(this.absolute(file), "utf8");
    } catch {
      return undefined;
    }
  }

  /** The holder of `file` in file_locks.json (read again while a writer leaves it partial). */
  private async holder(file: string): Promise<string | undefined> {
    for (let i = 0; ; i++) {
      try {
        const locks = JSON.parse(readFileSync(this.locksFile, "utf8")) as {
          locks: Record<string, { agent?: string }>;
        };
        return locks.locks[file]?.agent;
      } catch (error) {
        if (i >= 20) throw error;
        await sleep(5);
      }
    }
  }

  private answer(request: RecordedRequest): TurnAnswer {
    const previous = this.last;
    this.last = request;
    const attempt = this.current;
    if (attempt && attempt.outcome === undefined) {
      // The request after a Read + Write: what became of the Write.
      const result = this.resultOf(previous, request, "Write");
      attempt.ms = nowMs() - this.answeredAt;
      if (!result) {
        this.problems.push(`${this.agent} #${attempt.k}: no result for its Write`);
        attempt.outcome = "stale";
      } else if (!result.isError) {
        attempt.outcome = "granted";
      } else if (/is locked by agent A\d/.test(result.content)) {
        attempt.outcome = "refused";
        attempt.said = result.content.slice(0, 200);
      } else {
        attempt.outcome = "stale";
        attempt.said = result.content.slice(0, 200);
      }
      if (attempt.outcome === "refused" && this.onDisk(attempt.file) === attempt.content)
        this.problems.push(`${this.agent} #${attempt.k}: its refused write is on disk`);
      if (attempt.outcome !== "refused") return this.release(attempt, request);
    } else if (attempt && attempt.outcome !== "refused" && !attempt.unlockSent) {
      // Tower's MCP server was still connecting: ask for the unlock again.
      return this.release(attempt, request);
    } else if (attempt?.unlockSent && !attempt.unlockSeen) {
      attempt.unlockSeen = true;
      const result = this.resultOf(previous, request, "mcp__tower__unlock");
      const said = result?.content ?? "";
      // After a write Claude Code refused itself, the file may be the other agent's: Tower then
      // releases nothing, rightly.
      const want =
        attempt.outcome === "granted"
          ? /released /
          : /released |was not locked|is held by A\d, not by you/;
      if (!result || result.isError || !want.test(said))
        this.problems.push(
          `${this.agent} #${attempt.k} (${attempt.outcome}): unlock said ${said.slice(0, 200) || "nothing"}`,
        );
    }
    return this.nextWrite();
  }

  private nextWrite(): TurnAnswer {
    const k = this.attempts.length;
    if (k >= this.writes) {
      this.current = undefined;
      this.finish();
      return { text: "All writes done." };
    }
    const file = this.files[Math.floor(Math.random() * this.files.length)] ?? "";
    const attempt: Attempt = { agent: this.agent, k, file, content: contentOf(this.agent, k) };
    this.attempts.push(attempt);
    this.current = attempt;
    this.answeredAt = nowMs();
    return {
      text: `Write ${k}.`,
      toolCalls: [
        { name: "Read", input: { file_path: this.absolute(file) } },
        { name: "Write", input: { file_path: this.absolute(file), content: attempt.content } },
      ],
    };
  }

  /** Holds a granted lock a moment, checks the file is this write, then unlocks. */
  private release(attempt: Attempt, request: RecordedRequest): TurnAnswer {
    if (!request.tools.includes("mcp__tower__unlock")) {
      return { toolCalls: [{ name: "WaitForMcpServers", input: { servers: ["tower"] } }] };
    }
    attempt.unlockSent = true;
    const hold =
      attempt.outcome === "granted"
        ? HOLD_MS.min + Math.floor(Math.random() * (HOLD_MS.max - HOLD_MS.min))
        : 0;
    return {
      until: async () => {
        await sleep(hold);
        if (attempt.outcome !== "granted") return;
        const holder = await this.holder(attempt.file);
        if (holder !== this.agent)
          this.problems.push(
            `${this.agent} #${attempt.k}: its write landed but ${attempt.file} is locked by ${holder ?? "nobody"}`,
          );
        const now = this.onDisk(attempt.file);
        if (now !== attempt.content)
          this.problems.push(
            `${this.agent} #${attempt.k}: LOST: ${attempt.file} holds ${JSON.stringify(now?.split("\n")[0])} while ${this.agent} holds its lock`,
          );
      },
      toolCalls: [{ name: "mcp__tower__unlock", input: { paths: [attempt.file] } }],
    };
  }
}

/** Every content seen in the shared folder, by file. */
function watchContents(dir: string): { seen: Map<string, Set<string>>; close(): void } {
  const seen = new Map<string, Set<string>>();
  const look = (name: string) => {
    try {
      const text = readFileSync(path.join(dir, name), "utf8");
      if (!seen.has(name)) seen.set(name, new Set());
      seen.get(name)?.add(text);
    } catch {}
  };
  const watcher: FSWatcher = watch(dir, (_event, name) => {
    if (name) look(String(name));
  });
  return { seen, close: () => watcher.close() };
}

/** Runs a removal until it succeeds (for up to 10 s): a folder can be written to meanwhile. */
async function settled(remove: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      remove();
      return;
    } catch (error) {
      if (i >= 40) throw error;
      await sleep(250);
    }
  }
}

/** The Claude Code binary, or why there is none. */
function claudeOrWhy(): { binary: string } | { why: string } {
  try {
    return { binary: cliBinary("claude") };
  } catch (error) {
    return { why: (error as Error).message };
  }
}

export async function runContendedWrites(failures: string[]): Promise<ContendedWrites> {
  const claude = claudeOrWhy();
  if ("why" in claude) {
    const line = `two real Claude Code agents: SKIPPED, ${claude.why}`;
    if (QUICK) process.stdout.write(`${line}\n`);
    else failures.push(line);
    return {
      rows: [row("contended writes by two Claude Code agents: skipped", 0, "", claude.why)],
      details: { skipped: claude.why },
    };
  }
  const servers = await Promise.all(AGENTS.map(() => new ModelServer().listen()));
  const urls = Object.fromEntries(AGENTS.map((id, i) => [id, servers[i]?.url ?? ""])) as Record<
    AgentId,
    string
  >;
  const commands = Object.fromEntries(
    AGENTS.map((id) => [id, `ANTHROPIC_BASE_URL=${urls[id]} ${claude.binary} {task}`]),
  ) as Record<AgentId, string>;
  const repo = await makeBenchRepo({ plan: planText(commands) });
  const worktree = path.join(path.dirname(repo.root), "demo-stream-A");
  const files = Array.from({ length: SIZE.files }, (_, i) => `shared/file-${i}.txt`);
  let env: ReturnType<typeof claudeEnv> | undefined;
  let room: RoomModule.Room | undefined;
  let contents: ReturnType<typeof watchContents> | undefined;
  const t0 = nowMs();
  try {
    const started = await tower(repo.root, ["start", "A"]);
    if (started.code !== 0) throw new Error(`tower start A failed: ${started.stderr}`);
    // The files exist before the agents read them (Claude Code writes an existing file only
    // after reading it).
    mkdirSync(path.join(worktree, "shared"), { recursive: true });
    for (const file of files) writeFileSync(path.join(worktree, file), "initial\n");
    contents = watchContents(path.join(worktree, "shared"));
    const models = AGENTS.map(
      (id) => new WriterModel(id, worktree, files, SIZE.writesPerAgent, repo.locksFile),
    );
    models.forEach((model, i) => {
      servers[i]?.script(...model.turns());
    });
    env = claudeEnv({
      modelUrl: urls.A1,
      trust: [repo.root, worktree],
      // Writes in the worktree without a permission prompt: the hooks alone decide.
      settings: { permissions: { defaultMode: "acceptEdits" } },
    });
    const dist = (file: string) => pathToFileURL(path.join(PROJECT_ROOT, "dist", file)).href;
    const { openProject } = (await import(dist("engine/project.js"))) as typeof ProjectModule;
    const { Room } = (await import(dist("room/room.js"))) as typeof RoomModule;
    const { createRoomStore } = (await import(dist("room/state.js"))) as typeof RoomStateModule;
    const project = await openProject(repo.root, cleanEnv());
    const opened = await Room.open(project, createRoomStore(), {
      tower: [process.execPath, CLI],
      session: {
        env: {
          ...env.env,
          ...(process.env.TOWER_CONFIG_DIR && { TOWER_CONFIG_DIR: process.env.TOWER_CONFIG_DIR }),
        },
        log: false,
        stopGraceMs: 5_000,
      },
    });
    room = opened;
    await opened.run({ type: "layout", cols: 200, rows: 60, zoomed: false });
    const startedAt = nowMs();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), TIMEOUT_MS);
    });
    const finished = await Promise.race([Promise.all(models.map((m) => m.done)), timedOut]);
    clearTimeout(timer);
    const elapsed = nowMs() - startedAt;
    if (finished === "timeout") {
      const screens = AGENTS.map(
        (id) =>
          `--- ${id}:\n${opened.sessions
            .get(id)
            ?.text()
            .filter((l) => l.trim() !== "")
            .slice(-15)
            .join("\n")}`,
      ).join("\n");
      failures.push(
        `contended writes: not done after ${TIMEOUT_MS / 1000} s (${models.map((m) => `${m.agent} ${m.attempts.length} writes`).join(", ")})\n${screens}`,
      );
    }
    // Let the last writes' PostToolUse hooks land.
    await sleep(300);
    return summarize(models, contents.seen, files, elapsed, servers, failures);
  } finally {
    contents?.close();
    await room?.close(5_000).catch(() => {});
    await Promise.all(servers.map((s) => s.close()));
    // Claude Code and its hooks can still be writing in its HOME and in the state directory for
    // a moment after the room stopped them (SessionEnd hooks, backups).
    if (env) await settled(() => rmSync(env?.home ?? "", { recursive: true, force: true }));
    await settled(() => repo.cleanup());
    process.stdout.write(
      QUICK ? "" : `(contended writes: ${((nowMs() - t0) / 1000).toFixed(1)} s in all)\n`,
    );
  }
}

function summarize(
  models: WriterModel[],
  seen: Map<string, Set<string>>,
  files: string[],
  elapsedMs: number,
  servers: ModelServer[],
  failures: string[],
): ContendedWrites {
  const attempts = models.flatMap((m) => m.attempts.filter((a) => a.outcome !== undefined));
  const count = (o: Outcome) => attempts.filter((a) => a.outcome === o).length;
  const granted = new Set(attempts.filter((a) => a.outcome === "granted").map((a) => a.content));
  const initial = "initial\n";
  // Every content seen on disk must be a granted write (or the initial content).
  const foreign: string[] = [];
  for (const [file, texts] of seen) {
    for (const text of texts) {
      if (text === initial || text === "" || granted.has(text)) continue;
      foreign.push(`${file}: ${JSON.stringify(text.split("\n")[0])}`);
    }
  }
  const problems = models.flatMap((m) => m.problems);
  // A granted write overwritten while its writer held the lock, landed without the lock, or a
  // write on disk that was never granted.
  const lost =
    problems.filter((p) => p.includes("LOST") || p.includes("landed but")).length + foreign.length;
  for (const p of problems) failures.push(`contended writes: ${p}`);
  for (const f of foreign) failures.push(`contended writes: on disk but not a granted write: ${f}`);
  for (const [i, server] of servers.entries())
    for (const e of server.errors) failures.push(`contended writes, ${AGENTS[i]}'s model: ${e}`);
  const refusedNaming = attempts.filter(
    (a) => a.outcome === "refused" && /locked by agent A\d, stream A/.test(a.said ?? ""),
  ).length;
  if (refusedNaming !== count("refused"))
    failures.push(
      `contended writes: ${count("refused") - refusedNaming} refusal(s) did not name the holder`,
    );
  const stale = attempts.filter((a) => a.outcome === "stale");
  const staleWhy = [...new Set(stale.map((a) => (a.said ?? "").split(".")[0]))].join("; ");
  const writeMs = attempts.flatMap((a) => (a.ms === undefined ? [] : [a.ms]));
  const total = attempts.length;
  return {
    rows: [
      row(
        "contended writes by 2 Claude Code agents",
        total,
        "writes",
        `${models.map((m) => `${m.agent} ${m.attempts.length}`).join(", ")} on ${files.length} shared files, each Read + Write in one message, a granted lock held ${HOLD_MS.min}-${HOLD_MS.max} ms then released with Tower's MCP unlock`,
      ),
      row("  granted by the hook (lock taken, write landed)", count("granted"), "writes"),
      row("  refused by the hook (holder named)", count("refused"), "writes"),
      row(
        "  refused by Claude Code itself (file changed since read)",
        count("stale"),
        "writes",
        staleWhy.slice(0, 160) || undefined,
      ),
      row(
        "  lost: overwritten while locked, landed without the lock, or on disk but not granted",
        lost,
        "writes",
        "the issue's bar: 0",
      ),
      row(
        "  Write sent -> its result back at the model, p50",
        round(percentile(writeMs, 50)),
        "ms",
        "Read + hook + Write (+ PostToolUse hook) as the agent lives it",
      ),
      row(
        "  Write sent -> its result back at the model, p99",
        round(percentile(writeMs, 99)),
        "ms",
      ),
      row("  wall time for all of them", round(elapsedMs / 1000), "s", "both agents at once"),
    ],
    details: {
      size: SIZE,
      holdMs: HOLD_MS,
      counts: {
        granted: count("granted"),
        refused: count("refused"),
        stale: count("stale"),
        lost,
      },
      problems,
      foreign,
      staleReasons: staleWhy,
      contentsSeen: Object.fromEntries([...seen].map(([f, s]) => [f, s.size])),
      requests: servers.map((s) => s.requests.length),
    },
  };
}
