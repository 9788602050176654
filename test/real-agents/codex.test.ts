/**
 * Codex CLI 0.171.0, the real CLI, in Tower's Session against the scripted model endpoint:
 * apply_patch asks "Would you like to make the following edits?" in the read-only sandbox; `y`
 * approves, Esc aborts the turn. And what a stopped Codex leaves running. See FINDINGS.md.
 */
import { existsSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/pty/index.js";
import { CODEX_DAEMON_FOLDER, codexEnv } from "./cli-env.js";
import { makeGitRepo, screenShows, startAgent, startRun, until } from "./harness.js";
import { answerAsTower, answerPrompt } from "./interact.js";
import { ModelServer } from "./model-server.js";
import { describeProcesses, killAll, processesWithEnv, unixSocketsOf } from "./processes.js";
import { codex } from "./profiles.js";
import { approveWrite, denyWrite, guardOutside, PROMPT } from "./write-flow.js";

describe("Codex CLI (real CLI)", () => {
  let outside: ReturnType<typeof guardOutside>;
  beforeAll(() => {
    outside = guardOutside();
  });
  afterAll(() => outside.check());

  it("asks before apply_patch; y approves: the file is written and its result reaches the model", () =>
    approveWrite(codex));

  it("Esc denies apply_patch: no file, and the model is told the call was aborted", () =>
    denyWrite(codex));

  // Codex 0.171 sometimes loses an Esc that comes within ~100 ms of its approval being drawn,
  // and then ignores Esc at that prompt for good (seen 2-8 times in 30 fresh sessions, with the
  // key sent as the prompt was seen): Tower's `n` waits until the screen has been still a moment.
  it("n pressed the moment the approval is drawn denies at the first press (8 fresh sessions)", async () => {
    for (let i = 0; i < 8; i++) {
      let root = "";
      const target = () => path.join(root, "hello.txt");
      const run = await startRun({
        script: [
          () => ({
            text: "I'll create the file.",
            toolCalls: [codex.writeCall(target(), "hi\n", root)],
          }),
          { text: "Finished." },
        ],
        makeEnv: (url, repoRoot) => {
          root = repoRoot;
          return codex.env(url, repoRoot, PROMPT);
        },
      });
      try {
        await screenShows(run, codex.permissionPrompt);
        await answerAsTower(run, "deny", codex.permissionPrompt, 10_000);
        await screenShows(run, codex.denied);
        expect(existsSync(target())).toBe(false);
      } finally {
        await run.dispose();
      }
    }
  });

  it("leaves no process behind when its session is stopped (shared app-server off)", async () => {
    const run = await startRun({
      script: [{ text: "Nothing to do." }],
      makeEnv: (modelUrl, root) => codexEnv({ modelUrl, trust: [root], args: ["Say something"] }),
    });
    const codexHome = run.agent.codexHome as string;
    try {
      await screenShows(run, /Nothing to do\./);
      expect(processesWithEnv("CODEX_HOME", codexHome).length).toBeGreaterThan(0);
      await run.session.stop();
      const left = await until(
        () => {
          const found = processesWithEnv("CODEX_HOME", codexHome);
          return found.length === 0 ? found : undefined;
        },
        () =>
          `no process of ${codexHome}; left:\n${describeProcesses(processesWithEnv("CODEX_HOME", codexHome))}`,
        15_000,
      );
      expect(left).toEqual([]);
    } finally {
      killAll(processesWithEnv("CODEX_HOME", codexHome));
      await run.dispose();
    }
  });

  it("with its default shared app-server, a detached daemon outlives the session; -c features.daemon_auto_start=false then asks", async () => {
    const repo = makeGitRepo();
    const server = await new ModelServer({
      script: [{ text: "First answer." }, { text: "Second answer." }],
    }).listen();
    // A user's own config: no [features] table, so the daemon starts (Codex's default).
    const agent = codexEnv({ modelUrl: server.url, trust: [repo.root], daemon: true });
    const codexHome = agent.codexHome as string;
    const folderBefore = existsSync(CODEX_DAEMON_FOLDER);
    const daemons = () =>
      processesWithEnv("CODEX_HOME", codexHome).filter((p) => p.cmdline.includes(" app-server"));
    let sockets: string[] = [];
    const sessions: Session[] = [];
    try {
      const first = startAgent(
        { ...agent, command: [...agent.command, "Say something"] },
        repo.root,
      );
      sessions.push(first.session);
      await screenShows({ session: first.session, server }, /First answer\./);
      const tui = first.session.pid as number;
      await first.session.stop();
      const left = daemons();
      // Started by the TUI, then on its own: its own session (setsid) and process group, so
      // Tower's stop (SIGTERM to the agent's process group) does not reach it. It runs a copy
      // of the binary under CODEX_HOME, and an updater beside it.
      const server_ = left.find((p) => p.cmdline.includes("--managed-daemon"));
      expect(server_, describeProcesses(left)).toBeDefined();
      expect(server_!.pgid).not.toBe(tui);
      expect(server_!.sid).toBe(server_!.pid);
      expect(server_!.cmdline).toContain(`${codexHome}/packages/app-server-daemon/`);
      expect(left.some((p) => p.cmdline.includes("app-server daemon pid-update-loop"))).toBe(true);
      sockets = left.flatMap((p) => unixSocketsOf(p.pid));
      // Its socket is under /tmp/codex-daemon-<uid>, whatever TMPDIR says (a socket's path must
      // be short): the folder is removed below when this test made it.
      expect(
        sockets.some((s) => s.startsWith(`${CODEX_DAEMON_FOLDER}/`)),
        sockets.join("\n"),
      ).toBe(true);

      // With that daemon running, turning the daemon off for one session is a question first.
      const second = startAgent(
        {
          ...agent,
          command: [...agent.command, "-c", "features.daemon_auto_start=false", "Say more"],
        },
        repo.root,
      );
      sessions.push(second.session);
      await screenShows(
        { session: second.session, server },
        /Background server has incompatible feature settings/,
      );
      await answerPrompt({ session: second.session, server }, "1", [
        /Background server has incompatible feature settings/,
        /1\. Run without daemon this time/,
      ]);
      await screenShows({ session: second.session, server }, /Second answer\./);
      await second.session.stop();

      // SIGTERM stops the daemon and its updater.
      for (const p of daemons()) process.kill(p.pid, "SIGTERM");
      await until(
        () => (daemons().length === 0 ? true : undefined),
        () => `the daemon to stop; left:\n${describeProcesses(daemons())}`,
        30_000,
      );
    } finally {
      killAll(processesWithEnv("CODEX_HOME", codexHome));
      for (const session of sessions) await session.dispose(2_000);
      for (const socket of sockets) {
        rmSync(socket, { force: true });
        rmSync(`${socket}.lock`, { force: true });
      }
      // The folder this test made goes once the stopped daemon has removed its files from it
      // (it does so as it exits); only when empty: another Codex of this user may use it.
      if (!folderBefore) {
        for (const deadline = Date.now() + 10_000; existsSync(CODEX_DAEMON_FOLDER); ) {
          try {
            rmdirSync(CODEX_DAEMON_FOLDER);
          } catch {
            if (Date.now() > deadline) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
      await server.close();
      agent.cleanup();
      repo.cleanup();
    }
  });
});
