/**
 * Snapshots of a stream worktree's uncommitted work: the backstop for what no commit holds yet,
 * which an agent's `git checkout .`, `git reset --hard` or `git clean -fd` (or another agent's of
 * the same stream, sharing the worktree) throws away. Taken after each write an agent's hook
 * tells of, without touching the worktree, its index or its branch; listed by `tower snapshots`,
 * restored with git. Real git, the real room's hook endpoint.
 */
import {
  chmodSync,
  existsSync,
  promises as fsp,
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  listSnapshots,
  recordSnapshot,
  SNAPSHOT_FILE_LIMIT,
  snapshotRef,
} from "../../src/engine/git/snapshot.js";
import { openProject } from "../../src/engine/project.js";
import { HOOK_SOCKET } from "../../src/room/hook-endpoint.js";
import { roomDir } from "../../src/room/runtime-dir.js";
import { startServices } from "../../src/ui/services/index.js";
import { createAppStore } from "../../src/ui/store/index.js";
import { cleanEnv, git, makeRepo, type TempRepo, tower, waitFor } from "../helpers/repo.js";

const PLAN = `version: 1
project: shop
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }, { id: A2, task: "Tests" }]
`;

let repo: TempRepo;
afterEach(() => repo.cleanup());
const wt = () => path.join(path.dirname(repo.root), "shop-stream-A");

/** The room opened on the repository while `work` runs, then closed. */
async function withRoom(
  work: (services: Awaited<ReturnType<typeof startServices>>) => Promise<void>,
): Promise<void> {
  const project = await openProject(repo.root, cleanEnv());
  const services = await startServices(project, createAppStore(), {
    session: { env: cleanEnv() },
  });
  try {
    await work(services);
  } finally {
    await services.close(500);
  }
}

async function started(): Promise<void> {
  repo = await makeRepo({ plan: PLAN });
  const result = await tower(repo.root, ["start", "A"]);
  expect(result.code, result.stderr).toBe(0);
}

describe("snapshots of a stream worktree's uncommitted work", () => {
  it("hold changed and new files, leave the worktree, its index and its branch as they were, and bring back what a git reset --hard and a git clean -fd threw away", async () => {
    await started();
    writeFileSync(path.join(wt(), "README.md"), "# demo, changed by A1\n");
    writeFileSync(path.join(wt(), "new.ts"), "export const a = 1;\n");
    git(wt(), "add", "new.ts");
    writeFileSync(path.join(wt(), "untracked.ts"), "export const b = 2;\n");
    const head = git(wt(), "rev-parse", "HEAD").trim();
    const status = git(wt(), "status", "--porcelain");
    // The repository's own hooks (which Tower's guard runs after its own) see nothing of it.
    const ran = path.join(path.dirname(repo.root), "hooks-ran");
    for (const hook of ["reference-transaction", "post-index-change"]) {
      const file = path.join(repo.root, ".git", "hooks", hook);
      writeFileSync(file, `#!/bin/sh\necho ${hook} >> ${ran}\n`);
      chmodSync(file, 0o755);
    }
    const commit = await recordSnapshot(wt(), "A", "after A1's write of README.md");
    expect(existsSync(ran)).toBe(false);
    // Its index was a copy beside the worktree's, gone once the snapshot is made.
    const gitDir = path.resolve(wt(), git(wt(), "rev-parse", "--git-dir").trim());
    expect(readdirSync(gitDir).filter((f) => f.includes("tower-snapshot"))).toEqual([]);
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(git(wt(), "rev-parse", "HEAD").trim()).toBe(head);
    expect(git(wt(), "status", "--porcelain")).toBe(status);
    // Nothing new since: no second snapshot.
    expect(await recordSnapshot(wt(), "A", "again")).toBeUndefined();
    // A2 throws the work away.
    git(wt(), "reset", "-q", "--hard");
    git(wt(), "clean", "-q", "-fd");
    expect(existsSync(path.join(wt(), "untracked.ts"))).toBe(false);
    const result = await tower(repo.root, ["snapshots", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(commit?.slice(0, 10));
    expect(result.stdout).toContain("3 files: README.md, new.ts, untracked.ts");
    expect(result.stdout).toContain("after A1's write of README.md");
    expect(result.stdout).toContain(`git restore --source=${commit?.slice(0, 10)} -- <file>`);
    git(wt(), "restore", `--source=${commit}`, "--", "README.md", "untracked.ts");
    expect(readFileSync(path.join(wt(), "README.md"), "utf8")).toBe("# demo, changed by A1\n");
    expect(readFileSync(path.join(wt(), "untracked.ts"), "utf8")).toBe("export const b = 2;\n");
    // Ignored files are not in them, nor untracked ones too large to copy each time.
    writeFileSync(path.join(wt(), ".gitignore"), "*.log\n");
    writeFileSync(path.join(wt(), "run.log"), "log\n");
    writeFileSync(path.join(wt(), "data.bin"), Buffer.alloc(SNAPSHOT_FILE_LIMIT + 1));
    const next = await recordSnapshot(wt(), "A", "with an ignored file");
    const held = git(wt(), "ls-tree", "-r", "--name-only", String(next));
    expect(held).toContain(".gitignore");
    expect(held).not.toContain("run.log");
    expect(held).not.toContain("data.bin");
    expect((await listSnapshots(repo.root, "A")).map((s) => s.message)).toEqual([
      "with an ignored file",
      "after A1's write of README.md",
    ]);
    expect(git(repo.root, "for-each-ref", "--format=%(refname)", "refs/tower/")).toBe(
      `${snapshotRef("A")}\n`,
    );
  });

  it("bring their files back into the stream's worktree on the room's word, a snapshot of what was there taken first; a commit that is not one of the stream's is refused", async () => {
    await started();
    writeFileSync(path.join(wt(), "README.md"), "# demo, changed by A1\n");
    writeFileSync(path.join(wt(), "notes.md"), "A2's notes\n");
    // A name git would quote, and colours the user's configuration asks for: read as they are.
    writeFileSync(path.join(wt(), "odd name\n.md"), "odd\n");
    git(repo.root, "config", "color.ui", "always");
    const commit = String(await recordSnapshot(wt(), "A", "before A1's Bash"));
    expect((await listSnapshots(repo.root, "A"))[0]?.files).toEqual([
      "README.md",
      "notes.md",
      "odd name\n.md",
    ]);
    // Thrown away, then other work begun.
    git(wt(), "checkout", "--", "README.md");
    git(wt(), "clean", "-q", "-fd");
    writeFileSync(path.join(wt(), "next.md"), "A1's next step\n");
    await withRoom(async (services) => {
      const reply = await services.room.run({ type: "snapshot.restore", stream: "A", commit });
      expect(reply).toMatchObject({ ok: true });
      expect(reply.ok && reply.text).toMatch(
        new RegExp(
          `^brought back 3 files of snapshot ${commit.slice(0, 10)} into A's worktree: README.md, notes.md, odd name\n.md; what was there before is snapshot [0-9a-f]{10}$`,
        ),
      );
      expect(readFileSync(path.join(wt(), "odd name\n.md"), "utf8")).toBe("odd\n");
      expect(readFileSync(path.join(wt(), "README.md"), "utf8")).toBe("# demo, changed by A1\n");
      expect(readFileSync(path.join(wt(), "notes.md"), "utf8")).toBe("A2's notes\n");
      // The work begun since stays, and is in the snapshot taken before.
      expect(readFileSync(path.join(wt(), "next.md"), "utf8")).toBe("A1's next step\n");
      const [before] = await listSnapshots(repo.root, "A");
      expect(before?.message).toBe("before bringing back snapshot " + commit.slice(0, 10));
      expect(before?.files).toEqual(["next.md"]);
      // The index is as it was: the files are back as changes, not staged.
      expect(git(wt(), "diff", "--cached", "--name-only")).toBe("");
      // A file git ignores now (the worktree's .gitignore changed since) is no snapshot's: its
      // content stays, said so.
      writeFileSync(path.join(wt(), ".gitignore"), "notes.md\n");
      writeFileSync(path.join(wt(), "notes.md"), "A2's notes, changed and now ignored\n");
      const again = await services.room.run({ type: "snapshot.restore", stream: "A", commit });
      expect(again.ok && again.text).toContain(
        "left notes.md as it is (git ignores it now: no snapshot holds what it holds)",
      );
      expect(readFileSync(path.join(wt(), "notes.md"), "utf8")).toBe(
        "A2's notes, changed and now ignored\n",
      );
      // Only a snapshot of the stream: another commit (its branch's HEAD) is refused.
      const head = git(wt(), "rev-parse", "HEAD").trim();
      const refused = await services.room.run({
        type: "snapshot.restore",
        stream: "A",
        commit: head,
      });
      expect(refused).toEqual({
        ok: false,
        error: `${head.slice(0, 10)} is not a snapshot of stream A (tower snapshots A lists them)`,
      });
      expect(
        await services.room.run({ type: "snapshot.restore", stream: "Z", commit }),
      ).toMatchObject({ ok: false, error: expect.stringContaining("no stream Z") });
    });
  });

  it("asked for at the same instant (the room's B beside an agent's hook, a second process) are each recorded, none failing on git's lock of their ref", async () => {
    await started();
    const asks: Promise<string | undefined>[] = [];
    for (let i = 0; i < 6; i++) {
      writeFileSync(path.join(wt(), `draft-${i}.md`), `draft ${i}\n`);
      asks.push(recordSnapshot(wt(), "A", `ask ${i}`));
    }
    let results = await Promise.allSettled(asks);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    // Another process's snapshot (tower hook, with no room) holding git's lock of the ref a
    // moment: waited for.
    const common = path.resolve(wt(), git(wt(), "rev-parse", "--git-common-dir").trim());
    const lock = path.join(common, `${snapshotRef("A")}.lock`);
    writeFileSync(lock, "");
    setTimeout(() => rmSync(lock, { force: true }), 300);
    writeFileSync(path.join(wt(), "draft-5.md"), "draft 5, again\n");
    const late = await Promise.allSettled([recordSnapshot(wt(), "A", "ask 6")]);
    expect(late.filter((r) => r.status === "rejected")).toEqual([]);
    results = [...results, ...late];
    const [newest] = await listSnapshots(repo.root, "A");
    expect(newest?.files).toEqual([0, 1, 2, 3, 4, 5].map((i) => `draft-${i}.md`));
    // Each one recorded is in the reflog: none overwrote another's entry.
    const recorded = results.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
    const listed = (await listSnapshots(repo.root, "A")).map((s) => s.commit);
    expect(listed.slice().sort()).toEqual(recorded.slice().sort());
  });

  it("brought back leave a file the snapshot deleted as it is: only what it holds is written", async () => {
    await started();
    rmSync(path.join(wt(), "README.md"));
    writeFileSync(path.join(wt(), "notes.md"), "A2's notes\n");
    const commit = String(await recordSnapshot(wt(), "A", "before A1's Bash"));
    expect((await listSnapshots(repo.root, "A"))[0]?.files).toEqual(["README.md", "notes.md"]);
    git(wt(), "checkout", "--", "README.md");
    writeFileSync(path.join(wt(), "README.md"), "# demo, written again since\n");
    git(wt(), "clean", "-q", "-fd");
    await withRoom(async (services) => {
      const reply = await services.room.run({ type: "snapshot.restore", stream: "A", commit });
      expect(reply.ok && reply.text).toMatch(
        /^brought back 1 file of snapshot [0-9a-f]{10} into A's worktree: notes\.md; /,
      );
      expect(readFileSync(path.join(wt(), "notes.md"), "utf8")).toBe("A2's notes\n");
      expect(readFileSync(path.join(wt(), "README.md"), "utf8")).toBe(
        "# demo, written again since\n",
      );
    });
  });

  it("brought back over a link at one of their paths replace the link, never write through it to where it points", async () => {
    await started();
    writeFileSync(path.join(wt(), "notes.md"), "A2's notes\n");
    const commit = String(await recordSnapshot(wt(), "A", "before A1's Bash"));
    const outside = path.join(path.dirname(repo.root), "outside.md");
    writeFileSync(outside, "not the repository's\n");
    rmSync(path.join(wt(), "notes.md"));
    symlinkSync(outside, path.join(wt(), "notes.md"));
    await withRoom(async (services) => {
      const reply = await services.room.run({ type: "snapshot.restore", stream: "A", commit });
      expect(reply).toMatchObject({ ok: true });
      expect(readFileSync(outside, "utf8")).toBe("not the repository's\n");
      expect(lstatSync(path.join(wt(), "notes.md")).isSymbolicLink()).toBe(false);
      expect(readFileSync(path.join(wt(), "notes.md"), "utf8")).toBe("A2's notes\n");
    });
  });

  it("are taken by the room after each write an agent's hook tells of, and at the end of its turn", async () => {
    await started();
    const project = await openProject(repo.root, cleanEnv());
    const services = await startServices(project, createAppStore(), {
      session: { env: cleanEnv() },
    });
    try {
      writeFileSync(path.join(wt(), "src.ts"), "written by A1\n");
      const socket = path.join(await roomDir(repo.root), HOOK_SOCKET);
      const payload = {
        hook_event_name: "PostToolUse",
        tool_name: "Write",
        tool_input: { file_path: path.join(wt(), "src.ts"), content: "written by A1\n" },
        tool_response: { success: true },
      };
      const request = {
        event: "PostToolUse",
        agent: { id: "A1", stream: "A", worktree: wt() },
        payload,
      };
      const send = (message: unknown) =>
        new Promise<void>((resolve, reject) => {
          const c = net.createConnection(socket);
          c.on("error", reject);
          c.on("data", () => {});
          c.on("end", () => resolve());
          c.end(`${JSON.stringify(message)}\n`);
        });
      await send(request);
      const snapshots = await waitFor(
        async () => {
          const found = await listSnapshots(repo.root, "A");
          return found.length > 0 ? found : undefined;
        },
        10_000,
        "a snapshot of A's worktree",
      );
      expect(snapshots[0]?.files).toEqual(["src.ts"]);
      expect(snapshots[0]?.message).toBe("after A1's PostToolUse");
      // What its shell wrote (no hook tells of that) is in the one taken at the end of its turn.
      writeFileSync(path.join(wt(), "generated.ts"), "made by a script\n");
      await send({ event: "Stop", agent: request.agent, payload: { hook_event_name: "Stop" } });
      const turn = await waitFor(
        async () =>
          (await listSnapshots(repo.root, "A")).find((s) => s.message === "after A1's Stop"),
        10_000,
        "a snapshot at the end of A1's turn",
      );
      expect(turn.files).toEqual(["generated.ts", "src.ts"]);
      await fsp.rm(path.join(wt(), "src.ts"));
    } finally {
      await services.close(500);
    }
  });

  // A shell command may throw away what is uncommitted (`git checkout .`, `git clean -fd`), and
  // what another agent's shell wrote in the worktree no hook told of: the room takes a snapshot
  // before the command runs, and answers the hook (which the command waits for) only then.
  it("are taken before each shell command of an agent (Claude Code's and Codex's Bash, Gemini CLI's run_shell_command), the hook answered once it is recorded", async () => {
    await started();
    const rows = async () =>
      (await listSnapshots(repo.root, "A")).map((s) => ({ stream: "A", ...s }));
    const project = await openProject(repo.root, cleanEnv());
    const store = createAppStore();
    const services = await startServices(project, store, {
      session: { env: cleanEnv() },
    });
    try {
      const socket = path.join(await roomDir(repo.root), HOOK_SOCKET);
      const send = (event: string, id: string, payload: Record<string, unknown>) =>
        new Promise<string>((resolve, reject) => {
          const c = net.createConnection(socket);
          let answer = "";
          c.setEncoding("utf8");
          c.on("error", reject);
          c.on("data", (chunk: string) => {
            answer += chunk;
          });
          c.on("end", () => resolve(answer));
          const agent = { id, stream: "A", worktree: wt() };
          c.write(
            `${JSON.stringify({ event, agent, payload: { hook_event_name: event, ...payload } })}\n`,
          );
        });
      const holding = async (file: string) =>
        (await listSnapshots(repo.root, "A")).find((s) => s.files.includes(file));
      // A2's shell wrote a file (no hook told of it); A1 is about to run a command.
      writeFileSync(path.join(wt(), "theirs.md"), "A2's draft\n");
      const bash = { tool_name: "Bash", tool_input: { command: "git clean -fd" }, cwd: wt() };
      const answer = JSON.parse(await send("PreToolUse", "A1", bash)) as { output?: unknown };
      // Allowed (no decision of Tower's), and the snapshot was there before the answer.
      expect(answer.output).toBeUndefined();
      const before = await holding("theirs.md");
      expect(before?.message).toBe("before A1's Bash");
      expect(git(repo.root, "show", `${before?.commit}:theirs.md`)).toBe("A2's draft\n");
      // Gemini CLI's shell tool.
      writeFileSync(path.join(wt(), "gemini.md"), "A1's notes\n");
      const shell = { tool_name: "run_shell_command", tool_input: { command: "git checkout ." } };
      await send("BeforeTool", "A2", shell);
      expect((await holding("gemini.md"))?.message).toBe("before A2's run_shell_command");
      // Before each of Codex's requests to its model while a command of its runs on (a shell it
      // keeps open, which it types into with write_stdin, a tool no hook tells of): what it
      // wrote, before its next line can undo it. With none running, nothing is taken then.
      const codex = { ...bash, tool_input: { command: "bash" }, tool_use_id: "call_open" };
      writeFileSync(path.join(wt(), "idle.md"), "written with no command running\n");
      await send("CodexModelRequest", "A2", {});
      expect(await holding("idle.md")).toBeUndefined();
      await fsp.rm(path.join(wt(), "idle.md"));
      await send("PreToolUse", "A2", codex);
      writeFileSync(path.join(wt(), "typed.md"), "typed into Codex's shell\n");
      const request = JSON.parse(await send("CodexModelRequest", "A2", {})) as { output?: unknown };
      expect(request.output).toBeUndefined();
      expect((await holding("typed.md"))?.message).toBe("before A2's model request");
      // Its command done (PostToolUse, with its snapshot after it), none again.
      await fsp.rm(path.join(wt(), "typed.md"));
      await send("PostToolUse", "A2", { ...codex, tool_response: "exit 0" });
      await waitFor(
        async () =>
          (await listSnapshots(repo.root, "A")).find((s) => s.message === "after A2's PostToolUse"),
        10_000,
        "the snapshot after the command",
      );
      writeFileSync(path.join(wt(), "later.md"), "after the shell ended\n");
      await send("CodexModelRequest", "A2", {});
      expect(await holding("later.md")).toBeUndefined();
      await fsp.rm(path.join(wt(), "later.md"));
      // A snapshot being taken as the command is asked for (after A1's write): the answer waits
      // for one begun after the question, which holds what was written until then.
      writeFileSync(path.join(wt(), "src.ts"), "written by A1\n");
      const write = {
        tool_name: "Write",
        tool_input: { file_path: path.join(wt(), "src.ts"), content: "written by A1\n" },
        tool_response: { success: true },
      };
      await send("PostToolUse", "A1", write);
      writeFileSync(path.join(wt(), "late.md"), "A1's shell, just now\n");
      await send("PreToolUse", "A1", bash);
      const [newest] = await listSnapshots(repo.root, "A");
      expect(newest?.files).toEqual(["gemini.md", "late.md", "src.ts", "theirs.md"]);
      // A command that failed may have written before it did (Claude Code's PostToolUseFailure).
      writeFileSync(path.join(wt(), "half.md"), "written, then the command failed\n");
      await send("PostToolUseFailure", "A1", { ...bash, error: "exit code 1" });
      const failed = await waitFor(() => holding("half.md"), 10_000, "a snapshot after it");
      expect(failed.message).toBe("after A1's PostToolUseFailure");
      // The control room's Snapshots tab lists each as the room takes it, newest first,
      const listed = await rows();
      await waitFor(
        () => (store.getState().snapshots.length === listed.length ? true : undefined),
        10_000,
        "the room's list of snapshots",
      );
      expect(store.getState().snapshots).toEqual(listed);
    } finally {
      await services.close(500);
    }
    // and a room opened later lists those taken before.
    const later = createAppStore();
    const again = await startServices(await openProject(repo.root, cleanEnv()), later, {
      session: { env: cleanEnv() },
    });
    try {
      const listed = await rows();
      await waitFor(
        () => (later.getState().snapshots.length > 0 ? true : undefined),
        10_000,
        "the snapshots read when the room opens",
      );
      expect(later.getState().snapshots).toEqual(listed);
    } finally {
      await again.close(500);
    }
  });
});
