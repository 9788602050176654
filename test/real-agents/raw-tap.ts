/**
 * A tap on everything a program writes to its terminal, before the emulator parses it: the
 * window titles, OSC sequences (Codex's OSC 7501, notifications) and BELs a real CLI emits,
 * with when they came.
 */
import type { Session } from "../../src/pty/index.js";

/** One OSC sequence from the raw output. */
export interface Osc {
  /** Milliseconds since the session started. */
  at: number;
  /** The OSC number (0, 2, 7501, ...). */
  code: number;
  /** What follows `<code>;`. */
  data: string;
  /** The whole sequence, escapes shown as `\e`, BEL as `\a`. */
  raw: string;
}

/** Records every byte the program writes, before the emulator parses it. */
export class RawTap {
  private readonly parts: Buffer[] = [];
  private readonly started = Date.now();
  private readonly times: { at: number; offset: number }[] = [];
  private size = 0;

  constructor(session: Session) {
    const terminal = session.terminal;
    const write = terminal.write.bind(terminal);
    // The session writes every chunk of pty output to its emulator: record it on the way.
    terminal.write = ((data: string | Uint8Array, callback?: () => void) => {
      const chunk = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
      this.times.push({ at: Date.now() - this.started, offset: this.size });
      this.parts.push(chunk);
      this.size += chunk.length;
      write(data, callback);
    }) as typeof terminal.write;
  }

  /** Milliseconds since the session started (the clock of `Osc.at`). */
  elapsed(): number {
    return Date.now() - this.started;
  }

  /** All output so far as a string (UTF-8). */
  text(): string {
    return Buffer.concat(this.parts).toString("utf8");
  }

  /** Bytes received so far (use as a mark: `oscs(mark)` lists only what came after). */
  get length(): number {
    return this.size;
  }

  /** The OSC sequences in the output (from byte `from` on), with when they arrived. */
  oscs(from = 0): Osc[] {
    const all = Buffer.concat(this.parts);
    const text = all.subarray(from).toString("latin1");
    const out: Osc[] = [];
    const pattern = /\x1b\](\d+);?([^\x07\x1b]*)(\x07|\x1b\\)/g;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const offset = from + m.index;
      const at = [...this.times].reverse().find((t) => t.offset <= offset)?.at ?? 0;
      const data = Buffer.from(m[2] ?? "", "latin1").toString("utf8");
      out.push({
        at,
        code: Number(m[1]),
        data,
        raw: `\\e]${m[1]};${data}${m[3] === "\x07" ? "\\a" : "\\e\\\\"}`,
      });
    }
    return out;
  }

  /** How many BEL characters came outside OSC sequences (from byte `from` on). */
  bells(from = 0): number {
    const text = Buffer.concat(this.parts).subarray(from).toString("latin1");
    return (text.replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "").match(/\x07/g) ?? []).length;
  }
}
