/**
 * Input to a program's pseudo-terminal, written on this thread, with a queue of its own.
 *
 * node-pty (1.1) writes every chunk of input with `fs.write`, on libuv's thread pool, which the
 * agents' logs, the state files and git's helpers share with it (four threads unless
 * UV_THREADPOOL_SIZE says otherwise): a keystroke queued behind their work waited for a free
 * thread before the program saw it, and its echo with it. The master side of node-pty's pty is
 * non-blocking, so a write here never blocks: what the kernel does not take now (EAGAIN, or a
 * part of a long paste) waits in this module's queue for the pty, and while anything waits
 * there, every later write goes behind it, so the program gets the bytes in the order they were
 * sent. The queue is tried again at once while the program reads, and every 10 ms once it has
 * taken nothing for 50 ms (node-pty's own queue retried without pause, about 5% of a core for as
 * long as a program left its input unread).
 *
 * The queue stops when the pty's descriptor closes (the program exited, or the pty is
 * destroyed): node-pty went on writing what the program had not read to the descriptor's
 * number after it was closed, from its thread pool, and by then the process may have given that
 * number to another file (the next agent's terminal, a state file being written). Here the
 * socket's `destroy()`, which closes the descriptor, is wrapped: before it, the queue is dropped
 * and no write follows, and every write is on this thread, so none is in flight.
 *
 * node-pty's internals are not public: without them (another node-pty, or Windows), every write
 * goes through node-pty as before.
 */
import { writeSync } from "node:fs";
import type { IPty } from "node-pty";

interface NodePtyInternals {
  fd?: unknown;
  _socket?: { destroy?: (error?: Error) => unknown };
}

/** How long the queue goes on trying at once after the program last took some of it. */
const BUSY_MS = 50;
/** Past that, how long it waits between tries. */
const RETRY_MS = 10;

interface Queue {
  fd: number;
  chunks: Buffer[];
  /** Bytes in `chunks`. */
  bytes: number;
  /** Cancels the next try, when one is due (an immediate or a timer: each has its own clear). */
  cancelRetry: (() => void) | undefined;
  /** When the program last took some of it (performance.now()). */
  tookAt: number;
  closed: boolean;
}

const queues = new WeakMap<IPty, Queue>();

/**
 * Takes over the input of `proc`: from now on writeToPty writes it here, and stops before its
 * descriptor closes. Returns false (node-pty writes as before) when node-pty's internals are not
 * as expected.
 */
export function ownInput(proc: IPty): boolean {
  const { fd, _socket: socket } = proc as unknown as NodePtyInternals;
  if (typeof fd !== "number" || typeof socket?.destroy !== "function") return false;
  const queue: Queue = {
    fd,
    chunks: [],
    bytes: 0,
    cancelRetry: undefined,
    tookAt: 0,
    closed: false,
  };
  queues.set(proc, queue);
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (error?: Error) => {
    queue.closed = true;
    queue.chunks = [];
    queue.bytes = 0;
    // Not clearImmediate on a timer: Node takes it off its count of immediates all the same,
    // after which a lone immediate never runs (and Node may abort).
    queue.cancelRetry?.();
    queue.cancelRetry = undefined;
    return destroy(error);
  };
  return true;
}

/** Bytes written to the pty that the program has not taken yet. */
export function pendingInput(proc: IPty): number {
  return queues.get(proc)?.bytes ?? 0;
}

export function writeToPty(proc: IPty, data: string | Buffer): void {
  const queue = queues.get(proc);
  if (queue === undefined) {
    proc.write(data);
    return;
  }
  if (queue.closed) return;
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  if (bytes.length === 0) return;
  queue.chunks.push(bytes);
  queue.bytes += bytes.length;
  if (queue.chunks.length === 1) flush(queue);
}

/** Writes what waits until the kernel takes no more; then tries again later. */
function flush(queue: Queue): void {
  queue.cancelRetry = undefined;
  while (!queue.closed && queue.chunks.length > 0) {
    const chunk = queue.chunks[0]!;
    let written: number;
    try {
      written = writeSync(queue.fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") break;
      // The pty is gone (EIO, EBADF): what waits can go nowhere.
      queue.chunks = [];
      queue.bytes = 0;
      return;
    }
    if (written > 0) queue.tookAt = performance.now();
    queue.bytes -= written;
    if (written < chunk.length) {
      queue.chunks[0] = chunk.subarray(written);
      break;
    }
    queue.chunks.shift();
  }
  if (queue.closed || queue.chunks.length === 0) return;
  // The program is reading: again at once; it has not for a while: later, not in a loop.
  if (performance.now() - queue.tookAt < BUSY_MS) {
    const immediate = setImmediate(() => flush(queue));
    queue.cancelRetry = () => clearImmediate(immediate);
  } else {
    const timer = setTimeout(() => flush(queue), RETRY_MS);
    queue.cancelRetry = () => clearTimeout(timer);
  }
}
