/**
 * `tower demo --clean`, and `tower demo` (which makes the demo afresh), never remove the demo's
 * folder while its agents run: a server of the demo's repository, and its agents working in the
 * worktrees there, would go on in folders that are gone. They say what runs and how to stop it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { roomDir } from "../../src/room/runtime-dir.js";
import { isAlive, readInfo } from "../../src/server/info.js";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, cleanEnv, readJson, tower, waitFor } from "../helpers/repo.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A temp folder for the demo and a runtime folder, removed after the test. */
function folders() {
  const parent = realpathSync(mkdtempSync(path.join(os.tmpdir(), "tower-test-")));
  const runtime = mkdtempSync(path.join(os.tmpdir(), "tower-run-"));
  cleanups.push(async () => {
    rmSync(parent, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  });
  return { parent, runtime, dir: path.join(parent, "demo") };
}

describe("tower demo while the demo runs", () => {
  it("in a control room hosting its agents itself: refuses, says q; once quit, removes it", async () => {
    const { parent, runtime, dir } = folders();
    const env = { XDG_RUNTIME_DIR: runtime };
    const room = new TmuxRig(parent, `node ${CLI} demo --dir ${dir}`, { cols: 120, rows: 30 }, env);
    cleanups.push(async () => room.kill());
    await room.waitForText("Welcome to Tower", 20_000);
    // Its agents started (recorded with their pids): before that, nothing of it runs yet.
    const agents = path.join(dir, "shop/.claude/state/agents.json");
    await waitFor(
      async () => {
        const file = (await readJson(agents).catch(() => undefined)) as
          | { agents?: Record<string, { pid?: number | null }> }
          | undefined;
        const pid = file?.agents?.A1?.pid;
        return typeof pid === "number" && isAlive(pid) ? true : undefined;
      },
      20_000,
      "A1 running",
    );
    const refused = await tower(parent, ["demo", "--clean", "--dir", dir], env);
    expect(refused.code, refused.stdout).toBe(3);
    expect(refused.stderr.trim()).toMatch(
      new RegExp(
        `^tower: the demo at ${dir} still runs \\(agents [A-C][12](, [A-C][12])*\\): quit its control room first \\(q\\); nothing was removed$`,
      ),
    );
    expect(existsSync(path.join(dir, "shop-stream-A"))).toBe(true);
    room.keys("Escape");
    room.keys("q");
    await room.waitForText("Quit Tower?");
    room.keys("y");
    await room.waitForText("[exited 0]", 30_000);
    const cleaned = await tower(parent, ["demo", "--clean", "--dir", dir], env);
    expect(cleaned.stdout).toBe(`removed the demo at ${dir}\n`);
    expect(existsSync(dir)).toBe(false);
  });

  it("refuses to remove or remake it, naming its server and agents; once stopped, removes it", async () => {
    const { parent, runtime, dir } = folders();
    const env = { XDG_RUNTIME_DIR: runtime };
    const root = path.join(dir, "shop");
    const made = await tower(parent, ["demo", "--no-open", "--dir", dir], env);
    expect(made.code, made.stderr).toBe(0);

    // Its server, as `tower demo` starts it, with the demo's three agents.
    const server = spawn(process.execPath, [CLI, "server"], {
      cwd: root,
      env: cleanEnv(env),
      stdio: "ignore",
    });
    const room = await roomDir(root, cleanEnv(env));
    cleanups.push(async () => {
      if (server.exitCode === null && server.pid && isAlive(server.pid)) {
        server.kill("SIGTERM");
        await waitFor(() => (isAlive(server.pid ?? 0) ? undefined : true), 15_000);
      }
    });
    await waitFor(
      async () => ((await readInfo(room))?.agents.running ?? 0) >= 3 || undefined,
      20_000,
      "the demo's agents",
    );

    for (const args of [
      ["demo", "--clean", "--dir", dir],
      ["demo", "--no-open", "--dir", dir],
    ]) {
      const refused = await tower(parent, args, env);
      expect(refused.code, refused.stdout).toBe(3);
      // Its agents as they are this moment (the demo's agents end as their streams complete).
      const said = refused.stderr.trim();
      expect(said).toMatch(
        new RegExp(
          `^tower: the demo at ${dir} still runs \\(its Tower server, pid ${server.pid}; agents [A-C][12](, [A-C][12])*\\): `,
        ),
      );
      expect(said).toMatch(
        /: stop it first \(q, then s, in its control room, or `tower server stop` in (\S+)\/shop\), or open it with `tower attach \1\/shop`; nothing was removed$/,
      );
      expect(existsSync(path.join(root, "streams.yaml"))).toBe(true);
      expect(existsSync(path.join(dir, "shop-stream-A"))).toBe(true);
    }

    const stop = await tower(root, ["server", "stop"], env);
    expect(stop.code, stop.stderr).toBe(0);
    await waitFor(() => (server.exitCode === null ? undefined : true), 15_000, "the server");
    const cleaned = await tower(parent, ["demo", "--clean", "--dir", dir], env);
    expect(cleaned.stdout).toBe(`removed the demo at ${dir}\n`);
    expect(existsSync(dir)).toBe(false);
  });
});
