/**
 * Whether a process still runs, as Tower asks it of a server or an agent: a zombie (exited, not
 * yet reaped by its parent: in a container whose init reaps late, or never) has stopped. A real
 * zombie: the child of a `sleep` that does not wait for it.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive as agentRuns } from "../../src/pty/leftovers.js";
import { isAlive } from "../../src/server/info.js";

const parents: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const parent of parents.splice(0)) parent.kill("SIGKILL");
});

/** A process that has exited and that its parent (alive, a `sleep`) never reaps. */
async function zombie(): Promise<number> {
  const parent = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 30"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  parents.push(parent);
  const pid = await new Promise<number>((resolve) =>
    parent.stdout?.once("data", (data: Buffer) => resolve(Number(String(data).trim()))),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  return pid;
}

describe("a process that runs", () => {
  it("is one that exists and has not exited: not a zombie, nor a pid no process has", async () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(agentRuns(process.pid)).toBe(true);
    const pid = await zombie();
    // Still there for kill(pid, 0), which is why it is not enough.
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(isAlive(pid)).toBe(false);
    expect(agentRuns(pid)).toBe(false);
    parents[0]?.kill("SIGKILL");
    await new Promise((resolve) => parents[0]?.once("exit", resolve));
    expect(isAlive(parents[0]?.pid as number)).toBe(false);
  });
});
