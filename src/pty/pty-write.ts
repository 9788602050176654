/**
 * Input to a program's pseudo-terminal, written at once on this thread.
 *
 * node-pty (1.1) writes every chunk of input with `fs.write`, on libuv's thread pool, which the
 * agents' logs, the state files and git's helpers share with it (four threads unless
 * UV_THREADPOOL_SIZE says otherwise): a keystroke queued behind their work waited for a free
 * thread before the program saw it, and its echo with it. The master side of node-pty's pty is
 * non-blocking, so a write here never blocks: what the kernel does not take now (EAGAIN, or a
 * part of a long paste) goes to node-pty's own queue, and while anything waits there, every
 * later write goes behind it, so the program gets the bytes in the order they were sent.
 *
 * node-pty's queue is not public: without it (another node-pty, or Windows), every write goes
 * through node-pty as before.
 */
import { writeSync } from "node:fs";
import type { IPty } from "node-pty";

interface NodePtyInternals {
  fd?: unknown;
  _writeStream?: { _writeQueue?: unknown };
}

/** Bytes written to the pty that the program has not taken yet (in node-pty's queue). */
export function pendingInput(proc: IPty): number {
  const queue = (proc as unknown as NodePtyInternals)._writeStream?._writeQueue;
  if (!Array.isArray(queue)) return 0;
  let bytes = 0;
  for (const task of queue as { buffer?: Buffer; offset?: number }[]) {
    bytes += (task.buffer?.byteLength ?? 0) - (task.offset ?? 0);
  }
  return bytes;
}

export function writeToPty(proc: IPty, data: string | Buffer): void {
  const internals = proc as unknown as NodePtyInternals;
  const fd = internals.fd;
  const queue = internals._writeStream?._writeQueue;
  if (typeof fd !== "number" || !Array.isArray(queue) || queue.length > 0) {
    proc.write(data);
    return;
  }
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  if (bytes.length === 0) return;
  let written = 0;
  try {
    written = writeSync(fd, bytes);
  } catch {
    // EAGAIN (the kernel's buffer is full) or another error: node-pty's queue retries it, and
    // reports what it cannot write as it always did.
  }
  if (written < bytes.length) proc.write(bytes.subarray(written));
}
