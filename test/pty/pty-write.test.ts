/** The input queue of src/pty/pty-write.ts on a real pseudo-terminal (node-pty). */
import { spawn } from "node-pty";
import { describe, expect, it } from "vitest";
import { ownInput, pendingInput, writeToPty } from "../../src/pty/pty-write.js";

describe("the pty input queue", () => {
  it("destroyed while unread input waits on its retry timer: this process's immediates still run", async () => {
    // Raw, not reading: the kernel takes 4 KB or so, the rest waits here; past 50 ms without
    // the program taking any, the queue retries on a timer.
    const proc = spawn("/bin/sh", ["-c", "stty raw -echo; exec sleep 30"], { cols: 80, rows: 24 });
    expect(ownInput(proc)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeToPty(proc, "x".repeat(1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pendingInput(proc)).toBeGreaterThan(0);
    // Clearing that timer as if it were an immediate took one off Node's count of immediates:
    // a lone immediate never ran again, and here Node aborted (std::bad_alloc).
    // node-pty's own, not in its types: closes the descriptor (the socket's destroy).
    (proc as unknown as { destroy(): void }).destroy();
    expect(pendingInput(proc)).toBe(0);
    const ran = await Promise.race([
      new Promise((resolve) => setImmediate(() => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 1_000)),
    ]);
    expect(ran).toBe(true);
  });
});
