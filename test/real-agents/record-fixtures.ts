/**
 * Records what the pinned real CLIs show and emit, for Tower's presets and their tests: each CLI
 * in Tower's Session (100x30) against the scripted model endpoint, driven through idle, working,
 * a permission prompt for a write, an edit and a shell command, approve and deny, and a finished
 * turn. Writes, under test/real-agents/fixtures/<cli>/:
 *
 * - `<state>.txt`: the screen as plain text (`session.text()`), temp folder names made stable;
 * - `signals.txt`: the OSC sequences (window titles, OSC 7501, notifications, ...) and BELs the
 *   CLI wrote while in each state, in order, repeats counted;
 * - for Claude Code, which runs with a logging hook on every event (as Tower will start it),
 *   `hooks.jsonl`: each hook call's event and payload, in order.
 *
 *   npx tsx test/real-agents/record-fixtures.ts [claude] [codex] [gemini]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hookSettings, readHookLog } from "./claude-hooks.js";
import { type AgentEnv, claudeEnv, codexEnv, geminiEnv } from "./cli-env.js";
import type { AgentCli } from "./clis.js";
import { type RealAgentRun, screenShows, startRun, until } from "./harness.js";
import { answerPrompt, submitPrompt } from "./interact.js";
import type { ToolCall, Turn } from "./model-server.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

interface RecordPlan {
  cli: AgentCli;
  env(modelUrl: string, root: string): AgentEnv;
  /** Lines of the first screen once the CLI is ready for a prompt. */
  ready: RegExp[];
  /** A line of the idle screen (ready for a prompt). */
  idle: RegExp;
  /** The input line showing typed `text`. */
  input(text: string): RegExp;
  /** A line shown while the model is working. */
  busy: RegExp;
  write(file: string, root: string): ToolCall;
  edit(file: string, root: string): ToolCall;
  bash(root: string): ToolCall;
  /** Each prompt's question and its last line (so that it is drawn completely). */
  prompts: { write: RegExp[]; edit: RegExp[]; bash: RegExp[] };
  approve: string;
  deny: string;
  /** A line shown once the approved write was done. */
  written: RegExp;
  /** A line shown once the denied command was refused. */
  denied: RegExp;
}

const CONTENT = "hello from the scripted model\n";

const hookLog = (root: string) => path.join(root, ".git", "hooks.jsonl");

const PLANS: Record<AgentCli, RecordPlan> = {
  claude: {
    cli: "claude",
    // With hooks for every event logging their payloads, as Tower will start it.
    env: (modelUrl, root) =>
      claudeEnv({ modelUrl, trust: [root], args: ["--settings", hookSettings(hookLog(root))] }),
    ready: [/Claude Code v2\.1\.197/, /\? for shortcuts/],
    idle: /\? for shortcuts/,
    input: (text) => new RegExp(`^❯\\s${text}`),
    busy: /esc to interrupt/,
    write: (file) => ({ name: "Write", input: { file_path: file, content: CONTENT } }),
    edit: (file) => ({
      name: "Edit",
      input: { file_path: file, old_string: "hello", new_string: "goodbye", replace_all: false },
    }),
    bash: () => ({
      name: "Bash",
      input: { command: "echo done > done.txt", description: "Record that the work is done" },
    }),
    prompts: {
      write: [/Do you want to create hello\.txt\?/, /Esc to cancel/],
      edit: [/Do you want to make this edit to hello\.txt\?/, /Esc to cancel/],
      bash: [/Do you want to proceed\?/, /Esc to cancel/],
    },
    approve: "1",
    deny: "\x1b",
    written: /Wrote 1 lines? to hello\.txt/,
    denied: /User rejected|Interrupted/,
  },
  codex: {
    cli: "codex",
    env: (modelUrl, root) =>
      codexEnv({ modelUrl, trust: [root], overrides: { sandbox_mode: '"read-only"' } }),
    ready: [/OpenAI Codex \(v0\.171\.0\)/, /^\s+\/tmp\/\S+\/repo\s*$/, /\? for shortcuts/],
    idle: /\? for shortcuts/,
    input: (text) => new RegExp(`^›\\s${text}`),
    busy: /esc to interrupt/,
    write: () => ({
      name: "apply_patch",
      input:
        "*** Begin Patch\n*** Add File: hello.txt\n+hello from the scripted model\n*** End Patch\n",
    }),
    edit: () => ({
      name: "apply_patch",
      input:
        "*** Begin Patch\n*** Update File: hello.txt\n@@\n-hello from the scripted model\n+goodbye from the scripted model\n*** End Patch\n",
    }),
    bash: () => ({
      name: "exec_command",
      input: {
        cmd: "echo done > done.txt",
        sandbox_permissions: "require_escalated",
        justification: "Record that the work is done",
      },
    }),
    prompts: {
      write: [/Would you like to make the following edits\?/, /Press enter to confirm/],
      edit: [/Would you like to make the following edits\?/, /Press enter to confirm/, /goodbye/],
      bash: [/Would you like to run the following command\?/, /Press enter to confirm/],
    },
    approve: "y",
    deny: "\x1b",
    written: /Added hello\.txt/,
    denied: /Conversation interrupted/,
  },
  gemini: {
    cli: "gemini",
    env: (modelUrl, root) => geminiEnv({ modelUrl, trust: [root] }),
    ready: [/Gemini CLI v0\.61\.0/, /Type your message/, /no sandbox/],
    idle: /Type your message/,
    input: (text) => new RegExp(`^\\s*>\\s+${text}`),
    busy: /esc to cancel/,
    write: (file) => ({ name: "write_file", input: { file_path: file, content: CONTENT } }),
    edit: (file) => ({
      name: "replace",
      input: {
        file_path: file,
        instruction: "Say goodbye instead of hello.",
        old_string: "hello",
        new_string: "goodbye",
      },
    }),
    bash: () => ({
      name: "run_shell_command",
      input: { command: "echo done > done.txt", description: "Record that the work is done" },
    }),
    prompts: {
      write: [/Apply this change\?/, /No, suggest changes/],
      edit: [/Apply this change\?/, /No, suggest changes/],
      bash: [/Allow execution of/, /No, suggest changes/],
    },
    approve: "1",
    deny: "\x1b",
    written: /WriteFile/,
    denied: /Request cancelled/,
  },
};

/** Temp folder names with their random part replaced (same length, so boxes stay aligned). */
function stable(text: string): string {
  return text.replace(
    /(tower-(?:real-agent|claude-home|codex-home|gemini-home)-|codex-home-)[A-Za-z0-9]{6}/g,
    "$1XXXXXX",
  );
}

class Recorder {
  private mark = 0;
  private readonly signals: string[] = [];

  constructor(
    private readonly run: RealAgentRun,
    private readonly dir: string,
  ) {}

  /** Saves the screen as `<name>.txt` and the signals since the last state under `name`. */
  async save(name: string): Promise<void> {
    await this.run.session.whenParsed();
    const rows = this.run.session.text().map((row) => row.trimEnd());
    writeFileSync(path.join(this.dir, `${name}.txt`), `${stable(rows.join("\n"))}\n`);
    this.signalsUntilNow(name);
    console.log(`  ${name}`);
  }

  /**
   * The OSC sequences and BELs since the last mark, under the heading `name`, each with the
   * second it came (a title can follow the screen it belongs to by a few hundred ms, so it may
   * fall under the next state).
   */
  signalsUntilNow(name: string): void {
    const tap = this.run.tap;
    const lines: string[] = [];
    let last = "";
    let first = 0;
    let count = 0;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2).padStart(6)} s`;
    const flush = () => {
      if (last !== "") lines.push(`${seconds(first)}  ${last}${count > 1 ? `   (x${count})` : ""}`);
    };
    for (const osc of tap.oscs(this.mark)) {
      const shown = stable(osc.raw);
      if (shown === last) {
        count++;
        continue;
      }
      flush();
      last = shown;
      first = osc.at;
      count = 1;
    }
    flush();
    const bells = tap.bells(this.mark);
    if (bells > 0) lines.push(`BEL x${bells}`);
    const heading = `## ${name} (screen saved at ${seconds(tap.elapsed()).trim()})`;
    this.signals.push(heading, ...(lines.length > 0 ? lines : ["(none)"]), "");
    this.mark = tap.length;
  }

  writeSignals(): void {
    writeFileSync(path.join(this.dir, "signals.txt"), this.signals.join("\n"));
  }
}

function gate(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function record(plan: RecordPlan): Promise<void> {
  console.log(plan.cli);
  const dir = path.join(FIXTURES, plan.cli);
  mkdirSync(dir, { recursive: true });
  let root = "";
  const file = () => path.join(root, "hello.txt");
  const working = gate();
  const afterWrite = gate();
  // Turns are made when their request arrives, once `root` is known.
  const script: Turn[] = [
    () => ({
      until: working.promise,
      text: "I'll create the file.",
      toolCalls: [plan.write(file(), root)],
    }),
    () => ({ until: afterWrite.promise, toolCalls: [plan.edit(file(), root)] }),
    () => ({ toolCalls: [plan.bash(root)] }),
    { text: "All done." },
  ];
  const run = await startRun({
    script,
    makeEnv: (url, repoRoot) => {
      root = repoRoot;
      return plan.env(url, repoRoot);
    },
  });
  const recorder = new Recorder(run, dir);
  try {
    await screenShows(run, plan.ready);
    await recorder.save("idle");
    await submitPrompt(run, "Create hello.txt", plan.input("Create hello\\.txt"));
    await run.server.waitForTurn(0);
    await screenShows(run, plan.busy);
    await recorder.save("working");
    working.open();
    await screenShows(run, plan.prompts.write);
    await recorder.save("permission-write");
    await answerPrompt(run, plan.approve, plan.prompts.write);
    await run.server.waitForTurn(1);
    await screenShows(run, plan.written);
    await recorder.save("after-approve");
    afterWrite.open();
    await screenShows(run, plan.prompts.edit);
    await recorder.save("permission-edit");
    await answerPrompt(run, plan.approve, plan.prompts.edit);
    await run.server.waitForTurn(2);
    await screenShows(run, plan.prompts.bash);
    await recorder.save("permission-bash");
    await answerPrompt(run, plan.deny, plan.prompts.bash);
    await screenShows(run, plan.denied);
    await recorder.save("after-deny");
    await screenShows(run, plan.idle);
    await submitPrompt(run, "go on", plan.input("go on"));
    await screenShows(run, /All done\./);
    await screenShows(run, plan.idle);
    await recorder.save("idle-after-turn");
    await run.session.stop();
    recorder.signalsUntilNow("exit");
    if (plan.cli === "claude") {
      await until(
        () => (readHookLog(hookLog(root)).some((c) => c.event === "SessionEnd") ? true : undefined),
        () => "the SessionEnd hook",
      );
      const lines = readHookLog(hookLog(root)).map((call) => stable(JSON.stringify(call)));
      writeFileSync(path.join(dir, "hooks.jsonl"), `${lines.join("\n")}\n`);
      console.log("  hooks.jsonl");
    }
  } finally {
    recorder.writeSignals();
    if (run.server.errors.length > 0) console.log("server errors:", run.server.errors);
    await run.dispose();
  }
}

const wanted = process.argv.slice(2) as AgentCli[];
for (const cli of wanted.length > 0 ? wanted : (Object.keys(PLANS) as AgentCli[])) {
  const plan = PLANS[cli];
  if (plan === undefined)
    throw new Error(`unknown CLI ${cli} (known: ${Object.keys(PLANS).join(", ")})`);
  await record(plan);
}
process.exit(0);
