/**
 * Agents are isolated from each other's terminals: node-pty 1.1 leaves every pty master it
 * opens inheritable (its issue #657), so each agent started after another held that agent's
 * master and could type into its terminal. Real sessions on real pseudo-terminals; each agent's
 * descriptors read from /proc.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Session } from "../../src/pty/index.js";
import {
  cleanup,
  nodeProgram,
  RECORDER,
  screenHas,
  startSession,
  tempDir,
  waitFor,
  waitForScreen,
} from "./helpers.js";

afterEach(cleanup);

/** The terminal devices among a process's descriptors: fd number -> link target. */
function terminalFds(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed while listed
    }
    if (target === "/dev/ptmx" || target.startsWith("/dev/pts/")) found.set(Number(name), target);
  }
  return found;
}

async function pidOf(session: Session): Promise<number> {
  return waitFor(() => session.pid, 10_000, `${session.agent}'s pid`);
}

describe.skipIf(process.platform !== "linux")("agent isolation", () => {
  it("an agent holds no terminal but its own, however many were started before it", async () => {
    const sessions: Session[] = [];
    for (let i = 1; i <= 4; i++) {
      const session = startSession({
        agent: `A${i}`,
        command: ["sh", "-c", "echo ready; exec sleep 60"],
      });
      await waitForScreen(session, screenHas("ready"), `A${i} ready`);
      sessions.push(session);
    }
    for (const session of sessions) {
      const pid = await pidOf(session);
      const own = readlinkSync(`/proc/${pid}/fd/0`);
      expect(own).toMatch(/^\/dev\/pts\/\d+$/);
      const others = [...terminalFds(pid)].filter(([, target]) => target !== own);
      expect(others, `${session.agent} (pid ${pid}) holds other terminals`).toEqual([]);
    }
    // Nor does any other program started beside them (git, validation commands).
    const links = execFileSync(
      "sh",
      ["-c", 'for f in /proc/$$/fd/*; do readlink "$f"; done; true'],
      {
        encoding: "utf8",
      },
    );
    expect(links.split("\n")).not.toContain("/dev/ptmx");
  });

  it("an agent cannot type into another agent's terminal", async () => {
    const dir = tempDir();
    const received = path.join(dir, "victim-input.bin");
    const victim = startSession({
      agent: "V1",
      command: [process.execPath, RECORDER, received],
      worktree: dir,
    });
    await waitForScreen(victim, screenHas("recorder ready"), "the victim ready");
    // The attacker writes an answer into every pty master it finds among its descriptors.
    const attacker = startSession({
      agent: "X1",
      command: nodeProgram(
        dir,
        `import { execFileSync } from "node:child_process";
import { readdirSync, readlinkSync, writeSync } from "node:fs";
         let tried = 0;
         for (const fd of readdirSync("/proc/self/fd")) {
           let target = "";
           try { target = readlinkSync("/proc/self/fd/" + fd); } catch {}
           if (target !== "/dev/ptmx") continue;
           tried++;
           try { writeSync(Number(fd), "yes-from-another-agent\\r"); } catch {}
         }
         console.log("masters found: " + tried);
         setTimeout(() => {}, 60000);`,
      ),
      worktree: dir,
    });
    const screen = await waitForScreen(attacker, screenHas("masters found:"), "the attacker");
    expect(screen.join("\n")).toContain("masters found: 0");
    // Input is delivered in order: once the victim has our marker, it has what came before it.
    victim.write("marker\r");
    await waitFor(
      () => (readFileSync(received, "utf8").includes("marker") ? true : undefined),
      10_000,
      "the marker at the victim",
    );
    expect(readFileSync(received, "utf8")).not.toContain("yes-from-another-agent");
  });
});
