/**
 * Mixed terminal output for throughput benchmarks, deterministic for a seed: words in 16, 256
 * and truecolor colours on default and coloured backgrounds, bold/italic/underline/inverse,
 * relative cursor moves, column jumps, erase-in-line, spinner-style redraws with CR, long lines
 * that wrap, and some wide (CJK) characters. Every cursor move stays on the screen the text is
 * on, so two faithful emulators end on the same screen.
 */
import { createWriteStream } from "node:fs";

/** A small fast PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  "const return async await function import export interface type string number boolean tower agent stream lock merge commit worktree session pane render".split(
    " ",
  );
const WIDE = ["中文", "表示", "端末", "塔"];

/** One chunk of mixed output (roughly `approxBytes` long), ending at the start of a line. */
export function ansiChunk(next: () => number, approxBytes: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const int = (n: number) => Math.floor(next() * n);
  let out = "";
  while (out.length < approxBytes) {
    const r = next();
    if (r < 0.45) {
      // A line of coloured words.
      const words = 3 + int(10);
      for (let i = 0; i < words; i++) {
        const kind = next();
        if (kind < 0.3) out += `\x1b[${30 + int(8)}m`;
        else if (kind < 0.4) out += `\x1b[${90 + int(8)}m`;
        else if (kind < 0.6) out += `\x1b[38;5;${int(256)}m`;
        else if (kind < 0.7) out += `\x1b[38;2;${int(256)};${int(256)};${int(256)}m`;
        if (next() < 0.15) out += `\x1b[${pick([1, 2, 3, 4, 7, 9])}m`;
        if (next() < 0.1) out += `\x1b[48;5;${int(256)}m`;
        out += `${pick(WORDS)}\x1b[0m `;
      }
      out += "\r\n";
    } else if (r < 0.6) {
      // A long line that wraps over two or three rows.
      const len = 100 + int(140);
      let line = "";
      while (line.length < len) line += `${pick(WORDS)} `;
      out += `\x1b[38;5;${int(256)}m${line.slice(0, len)}\x1b[0m\r\n`;
    } else if (r < 0.72) {
      // A spinner redrawn in place, then replaced by its result.
      for (let i = 0; i < 4; i++) out += `\r\x1b[2K\x1b[36m${"⠋⠙⠹⠸"[i]}\x1b[0m working ${i}`;
      out += `\r\x1b[2K\x1b[32m✓\x1b[0m done ${int(1000)}\r\n`;
    } else if (r < 0.82) {
      // Edits above the cursor: up, right, overwrite, erase to end, back down.
      const up = 1 + int(3);
      out += `\x1b[${up}A\x1b[${1 + int(40)}C\x1b[1;33m${pick(WORDS)}\x1b[0m\x1b[K\x1b[${up}B\r`;
      out += `\x1b[${1 + int(60)}G${pick(WORDS)}\r\n`;
    } else if (r < 0.9) {
      // Wide characters between narrow ones.
      out += `${pick(WORDS)} ${pick(WIDE)} ${pick(WORDS)} ${pick(WIDE)}${pick(WIDE)}\r\n`;
    } else {
      // A table row in columns.
      out += `\x1b[1m${pick(WORDS)}\x1b[0m\x1b[20G${int(100000)}\x1b[35G\x1b[38;5;${int(256)}m${pick(WORDS)}\x1b[0m\x1b[60G${(next() * 100).toFixed(2)}%\r\n`;
    }
  }
  return out;
}

/**
 * One chunk of plain text (roughly `approxBytes` long): lines of 200-400 printable ASCII
 * characters (words and numbers), no escape sequence, each ending with a newline, so that every
 * line wraps over several rows of a pane.
 */
export function plainChunk(next: () => number, approxBytes: number): string {
  let out = "";
  while (out.length < approxBytes) {
    const len = 200 + Math.floor(next() * 201);
    let line = "";
    while (line.length < len) {
      const r = next();
      line +=
        r < 0.2
          ? `${Math.floor(next() * 100000)} `
          : `${WORDS[Math.floor(next() * WORDS.length)]} `;
    }
    out += `${line.slice(0, len)}\n`;
  }
  return out;
}

/** The two throughput workloads: mixed terminal output, or plain text in long lines. */
export type Workload = "mixed" | "plain";

/**
 * Writes about `bytes` of output of the workload (mixed by default) to `file`; resolves with the
 * exact size written.
 */
export async function writeAnsiFile(
  file: string,
  bytes: number,
  seed = 1,
  workload: Workload = "mixed",
): Promise<number> {
  const next = random(seed);
  const chunkOf = workload === "plain" ? plainChunk : ansiChunk;
  const stream = createWriteStream(file);
  let written = 0;
  while (written < bytes) {
    const chunk = Buffer.from(chunkOf(next, Math.min(64 * 1024, bytes - written)), "utf8");
    written += chunk.length;
    if (!stream.write(chunk))
      await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => {
    stream.once("error", reject);
    stream.end(() => resolve());
  });
  return written;
}
