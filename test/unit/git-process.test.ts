/**
 * The server's git helper (src/engine/git/git-process.ts), run from the bundle's entry as the
 * server runs it (needs the built dist/, as `npm test` builds first): the same answers as git
 * run from this process, errors included; this process's environment as it is at each request;
 * a helper that stops fails what it held and the next request starts a new one; one that cannot
 * start hands git to the fallback; its git runs niced, two at a time; it stops when idle;
 * starting git from it does not hold this process's thread, nor make its writes fault.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GitHelper,
  HELPER_NICE,
  RUNNING_AT_ONCE,
  startGitProcess,
} from "../../src/engine/git/git-process.js";
import { GitError, type GitResult, runGitHere } from "../../src/engine/git/run.js";
import { CLI, git, makeRepo, type TempRepo, waitFor } from "../helpers/repo.js";

const ENTRY = pathToFileURL(path.join(path.dirname(CLI), "chunks/git-process-main.js"));

let repo: TempRepo;
let helper: GitHelper;

beforeAll(async () => {
  repo = await makeRepo({ init: false, trust: false });
  helper = startGitProcess(ENTRY);
});

afterAll(async () => {
  await helper.close();
  repo.cleanup();
});

/** The longest gap between ticks of a 1 ms timer of this thread while `work` runs. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(ticker);
  }
  return longest;
}

describe("the git helper", () => {
  it("answers as git run from this process does: output, exit code and stderr", async () => {
    const head = git(repo.root, "rev-parse", "HEAD");
    const both = async (args: string[]): Promise<[GitResult, GitResult]> => [
      await helper.run(repo.root, args, {}),
      await runGitHere(repo.root, args, {}),
    ];
    const [ok, okHere] = await both(["rev-parse", "HEAD"]);
    expect(ok).toEqual(okHere);
    expect(ok).toEqual({ stdout: head, stderr: "", exitCode: 0 });
    const [refused, refusedHere] = await both(["rev-parse", "--verify", "no-such-branch"]);
    expect(refused).toEqual(refusedHere);
    expect(refused.exitCode).toBe(128);
    expect(refused.stderr).toMatch(/fatal/);
  });

  it("ends as from this process when git cannot run: no folder, no git on the PATH", async () => {
    const outcome = (p: Promise<GitResult>) =>
      p.then(
        (result) => ({ result }),
        (e: Error) => ({
          error: e.message,
          gitError: e instanceof GitError,
          exitCode: e instanceof GitError ? e.exitCode : undefined,
        }),
      );
    const gone = path.join(repo.root, "no-such-folder");
    const noFolder = await outcome(helper.run(gone, ["status"], {}));
    expect(noFolder).toEqual(await outcome(runGitHere(gone, ["status"], {})));
    expect(noFolder).toMatchObject({ error: expect.stringMatching(/does not exist/) });
    const path0 = process.env.PATH;
    process.env.PATH = repo.root;
    try {
      const noGit = await outcome(helper.run(repo.root, ["status"], {}));
      expect(noGit).toEqual(await outcome(runGitHere(repo.root, ["status"], {})));
      // simple-git reports a spawn failure as git's exit code and stderr.
      expect(noGit).toMatchObject({
        result: { exitCode: -2, stderr: expect.stringMatching(/ENOENT/) },
      });
    } finally {
      process.env.PATH = path0;
    }
  });

  it("sees this process's environment as it is now, with the GIT_ variables a call allows", async () => {
    process.env.GIT_AUTHOR_NAME = "Helper Test";
    process.env.GIT_AUTHOR_EMAIL = "helper@example.com";
    try {
      const allowed = await helper.run(repo.root, ["var", "GIT_AUTHOR_IDENT"], {
        allowEnvironment: ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"],
      });
      expect(allowed.stdout).toMatch(/^Helper Test <helper@example\.com>/);
      const scrubbed = await helper.run(repo.root, ["var", "GIT_AUTHOR_IDENT"], {});
      expect(scrubbed.stdout).not.toMatch(/Helper Test/);
    } finally {
      delete process.env.GIT_AUTHOR_NAME;
      delete process.env.GIT_AUTHOR_EMAIL;
    }
  });

  it("gives git the variables a call gives for it alone (a snapshot's own index), as this process does", async () => {
    const options = {
      allowEnvironment: ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"],
      env: { GIT_AUTHOR_NAME: "Only This Call", GIT_AUTHOR_EMAIL: "call@example.com" },
    };
    for (const run of [helper.run, runGitHere]) {
      const given = await run(repo.root, ["var", "GIT_AUTHOR_IDENT"], options);
      expect(given.stdout).toMatch(/^Only This Call <call@example\.com>/);
      const next = await run(repo.root, ["var", "GIT_AUTHOR_IDENT"], {});
      expect(next.stdout).not.toMatch(/Only This Call/);
    }
    expect(process.env.GIT_AUTHOR_NAME).toBeUndefined();
  });

  it("fails the requests it held when stopped, and the next request starts a new helper", async () => {
    const own = startGitProcess(ENTRY);
    const held = own.run(repo.root, ["log", "--oneline"], {}).catch((e: unknown) => e);
    await own.close();
    const error = await held;
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toBe(
      "cannot run git log --oneline: the git process was stopped",
    );
    const again = await own.run(repo.root, ["rev-parse", "--is-inside-work-tree"], {});
    expect(again.stdout.trim()).toBe("true");
    await own.close();
  });

  it("fails its requests with the reason when its entry cannot load", async () => {
    const broken = startGitProcess(pathToFileURL(path.join(repo.root, "no-such-entry.js")));
    const error = await broken.run(repo.root, ["status"], {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toMatch(
      /^cannot run git status: the git process exited \(code 1\): Error: Cannot find module .*no-such-entry\.js/,
    );
    expect(broken.fallenBack()).toBeUndefined(); // no fallback given
    await broken.close();
  });

  it("hands git to the fallback when its helper cannot start: what it held and what comes", async () => {
    const told: string[] = [];
    const broken = startGitProcess(pathToFileURL(path.join(repo.root, "no-such-entry.js")), {
      fallback: runGitHere,
      onFallback: (why) => told.push(why),
    });
    const [held, alsoHeld] = await Promise.all([
      broken.run(repo.root, ["rev-parse", "HEAD"], {}),
      broken.run(repo.root, ["rev-parse", "--verify", "no-such-branch"], {}),
    ]);
    expect(held).toEqual(await runGitHere(repo.root, ["rev-parse", "HEAD"], {}));
    expect(alsoHeld.exitCode).toBe(128);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(
      /^the git process exited \(code 1\): Error: Cannot find module .*no-such-entry\.js/,
    );
    expect(broken.fallenBack()).toBe(told[0]);
    const later = await broken.run(repo.root, ["rev-parse", "--is-inside-work-tree"], {});
    expect(later.stdout.trim()).toBe("true");
    expect(broken.pid()).toBeUndefined();
    expect(told).toHaveLength(1);
    await broken.close();
  });

  it("does not hand to the fallback what a helper that was up held when it died: that fails", async () => {
    const own = startGitProcess(ENTRY, { fallback: runGitHere });
    await own.run(repo.root, ["status"], {}); // up
    const held = own.run(repo.root, ["log", "--oneline"], {}).catch((e: unknown) => e);
    await own.close();
    expect(await held).toBeInstanceOf(GitError);
    expect(own.fallenBack()).toBeUndefined();
    const again = await own.run(repo.root, ["rev-parse", "--is-inside-work-tree"], {});
    expect(again.stdout.trim()).toBe("true");
    expect(own.pid()).toBeGreaterThan(0);
    await own.close();
  });

  it("lets the git it runs finish when the server stops it or goes: git is never cut off by a closed pipe", async () => {
    // A git that writes after the helper was told to go (as `git worktree add` or a merge
    // write as they work): with the helper gone, its pipe is closed and the write kills it.
    const dir = path.join(repo.root, ".git");
    const started = path.join(dir, "slow-started");
    const done = path.join(dir, "slow-done");
    git(
      repo.root,
      "config",
      "alias.slow",
      `!touch "${started}"; sleep 0.6; echo working; echo more >&2; touch "${done}" #`,
    );
    const queuedDone = path.join(dir, "queued-done");
    git(repo.root, "config", "alias.queued", `!touch "${queuedDone}" #`);
    try {
      const own = startGitProcess(ENTRY);
      const held = own.run(repo.root, ["slow"], {}).catch((e: unknown) => e);
      const alsoHeld = own.run(repo.root, ["slow"], {}).catch((e: unknown) => e);
      // Queued behind the two running: the server is gone before it starts, so it never does.
      const queued = own.run(repo.root, ["queued"], {}).catch((e: unknown) => e);
      const pid = own.pid() as number;
      await waitFor(() => (existsSync(started) ? true : undefined), 10_000, "the slow git");
      await own.close();
      expect(await held).toBeInstanceOf(GitError);
      expect(await alsoHeld).toBeInstanceOf(GitError);
      expect(await queued).toBeInstanceOf(GitError);
      await waitFor(() => (existsSync(done) ? true : undefined), 10_000, "the slow git to finish");
      // The helper waited for them, then left.
      await waitFor(
        () => {
          try {
            process.kill(pid, 0);
            return undefined;
          } catch {
            return true;
          }
        },
        10_000,
        "the helper to exit",
      );
      expect(existsSync(queuedDone)).toBe(false);
    } finally {
      git(repo.root, "config", "--unset", "alias.slow");
      git(repo.root, "config", "--unset", "alias.queued");
    }
  });

  it("starts git without holding this thread: 40 commands at once stall it far less than here", async () => {
    const burst = (run: (args: string[]) => Promise<GitResult>) => () =>
      Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          run(["rev-parse", `HEAD~0^{commit}`, `--short=${7 + (i % 5)}`]),
        ),
      );
    await helper.run(repo.root, ["status"], {}); // the helper is up
    const here = await longestStall(burst((args) => runGitHere(repo.root, args, {})));
    const there = await longestStall(burst((args) => helper.run(repo.root, args, {})));
    expect(
      there,
      `longest stall: ${there.toFixed(1)} ms from the helper, ${here.toFixed(1)} ms here`,
    ).toBeLessThan(here / 2);
  });

  it("starts git without making this process's writes fault: its memory is not forked", async () => {
    // A fork marks every page of the forking process read-only; each page it writes afterwards
    // faults once. 32 MB written after each of 12 commands: from here, every write faults.
    const memory = Buffer.alloc(32 * 1024 * 1024);
    const write = () => {
      for (let at = 0; at < memory.length; at += 4096) memory[at] = (memory[at] ?? 0) + 1;
    };
    const cpuOf = async (run: () => Promise<unknown>): Promise<number> => {
      write();
      const before = process.cpuUsage();
      for (let i = 0; i < 12; i++) {
        await run();
        write();
      }
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000;
    };
    await helper.run(repo.root, ["status"], {}); // the helper is up
    const args = ["rev-parse", "HEAD"];
    const here = await cpuOf(() => runGitHere(repo.root, args, {}));
    const there = await cpuOf(() => helper.run(repo.root, args, {}));
    expect(
      there,
      `this process's CPU: ${there.toFixed(1)} ms with git from the helper, ${here.toFixed(1)} ms from here`,
    ).toBeLessThan(here / 2);
  });

  it.runIf(process.platform === "linux")(
    "runs git at the helper's lower priority, this process's left as it was",
    async () => {
      const before = os.getPriority();
      // The shell git runs for the alias reads its own nice value (field 19 of its stat).
      git(repo.root, "config", "alias.nice", `!cut -d" " -f19 /proc/$$/stat #`);
      const there = await helper.run(repo.root, ["nice"], {});
      expect(there.stdout.trim()).toBe(String(Math.min(19, before + HELPER_NICE)));
      const here = await runGitHere(repo.root, ["nice"], {});
      expect(here.stdout.trim()).toBe(String(before));
      expect(os.getPriority()).toBe(before);
    },
  );

  it(`runs at most ${RUNNING_AT_ONCE} git commands at once, the others in order`, async () => {
    const log = path.join(path.dirname(repo.root), "runs.log");
    git(
      repo.root,
      "config",
      "alias.slow",
      // Each waits (up to 5 s) until two have started, so that two overlap however slowly
      // the machine starts them (with one at a time, none would, and the count says 1); then
      // it sleeps as long as its second argument says. b holds its place for 3 s, so c, d and
      // e pass one by one through the other: their start lines are in the order they were let
      // go (two let go at the same moment could write theirs in either order).
      `!f() { echo "start $1" >> ${log}; for i in $(seq 50); do [ "$(grep -c start ${log})" -ge ${RUNNING_AT_ONCE} ] && break; sleep 0.1; done; sleep $2; echo "end $1" >> ${log}; }; f`,
    );
    const runs = ["a", "b", "c", "d", "e"];
    const results = await Promise.all(
      runs.map((r) => helper.run(repo.root, ["slow", r, r === "b" ? "3" : "0.1"], {})),
    );
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0]);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    let now = 0;
    let most = 0;
    for (const line of lines) {
      now += line.startsWith("start") ? 1 : -1;
      most = Math.max(most, now);
    }
    expect(most, lines.join("\n")).toBe(RUNNING_AT_ONCE);
    const starts = lines.filter((l) => l.startsWith("start")).map((l) => l.slice(6));
    expect(starts.slice(RUNNING_AT_ONCE)).toEqual(runs.slice(RUNNING_AT_ONCE));
  });

  it("stops when idle (10 s in the server; 0.3 s here), and the next request starts a new helper", async () => {
    const own = startGitProcess(ENTRY, { idleMs: 300 });
    expect(own.pid()).toBeUndefined();
    await own.run(repo.root, ["rev-parse", "HEAD"], {});
    const first = own.pid();
    expect(first).toBeGreaterThan(0);
    // Busy: a request keeps it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await own.run(repo.root, ["rev-parse", "HEAD"], {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(own.pid()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(own.pid()).toBeUndefined();
    const again = await own.run(repo.root, ["rev-parse", "--is-inside-work-tree"], {});
    expect(again.stdout.trim()).toBe("true");
    expect(own.pid()).not.toBe(first);
    expect(own.pid()).toBeGreaterThan(0);
    await own.close();
    expect(own.pid()).toBeUndefined();
  });
});
