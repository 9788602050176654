/**
 * A Python process that writes file_locks.json the way the coordination protocol's helper does:
 * `fcntl.flock(LOCK_EX)` on the file, `json.load`, change, then `seek(0)`, `truncate()`,
 * `json.dump(indent=2)` through Python's own buffered file object, `flush()`, `fsync()`, unlock.
 *
 * It takes commands on stdin, one a line, and answers each on stdout:
 * - `grant KEY SECONDS`: a whole rewrite that adds a lock expiring in SECONDS; `granted KEY`.
 * - `release KEY`: a whole rewrite without it; `released KEY`.
 * - `stall-empty KEY`: starts a rewrite that adds KEY, and stops right after the truncate
 *   (what a kill between truncate and Python's first flush leaves); `stalled`. It never goes on:
 *   the test kills it.
 * - `stall-prefix KEY CUT`: the same, but first writes (and flushes) the new content up to the
 *   character where the JSON text of KEY's entry begins plus CUT characters; `stalled`.
 * - `stall-at KEY FRACTION`: the same, cut at that fraction (0 to 1) of the new content.
 * - `loop PREFIX COUNT SECONDS`: COUNT whole rewrites in a row, the i-th adding PREFIX-i, each
 *   answered `granted PREFIX-i` once written, fsynced and unlocked.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { cleanEnv } from "./repo.js";

export const PYTHON_WRITER = `
import datetime, fcntl, json, os, sys

path = sys.argv[1]

def entry(key, seconds):
    now = datetime.datetime.now()
    return {"agent": "py", "stream": "P", "acquired": now.isoformat(),
            "expires": (now + datetime.timedelta(seconds=seconds)).isoformat(), "task": key}

def rewrite(change, stall=None, fraction=None):
    with open(path, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        text = f.read()
        data = json.loads(text) if text.strip() else {"locks": {}, "version": 1}
        key = change(data)
        f.seek(0)
        f.truncate()
        if stall is not None or fraction is not None:
            whole = json.dumps(data, indent=2)
            if fraction is not None:
                f.write(whole[: int(len(whole) * fraction)])
            elif stall >= 0:
                start = whole.index(json.dumps(key) + ": {")
                f.write(whole[: start + stall])
            f.flush()
            os.fsync(f.fileno())
            print("stalled", flush=True)
            sys.stdin.readline()
            os._exit(9)
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
        fcntl.flock(f, fcntl.LOCK_UN)

def add(key, seconds):
    def change(data):
        data["locks"][key] = entry(key, seconds)
        return key
    return change

def remove(key):
    def change(data):
        data["locks"].pop(key, None)
        return key
    return change

for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    command = words[0]
    if command == "grant":
        rewrite(add(words[1], float(words[2])))
        print("granted", words[1], flush=True)
    elif command == "release":
        rewrite(remove(words[1]))
        print("released", words[1], flush=True)
    elif command == "stall-empty":
        rewrite(add(words[1], 3600), stall=-1)
    elif command == "stall-prefix":
        rewrite(add(words[1], 3600), stall=int(words[2]))
    elif command == "stall-at":
        rewrite(add(words[1], 3600), fraction=float(words[2]))
    elif command == "loop":
        for i in range(int(words[2])):
            key = "%s-%d" % (words[1], i)
            rewrite(add(key, float(words[3])))
            print("granted", key, flush=True)
    else:
        print("unknown command", command, flush=True)
`;

/** Drives one Python writer process on `file`. */
export class PythonWriter {
  readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private readonly lines: string[] = [];
  /** Every key answered `granted`, in order: locks whose rewrite completed. */
  readonly granted: string[] = [];
  /** When each `granted` answer arrived (performance.now()). */
  readonly grantedAt = new Map<string, number>();
  private waiters: (() => void)[] = [];
  stderr = "";
  readonly exited: Promise<NodeJS.Signals | number | null>;

  constructor(file: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn("python3", ["-u", "-c", PYTHON_WRITER, file], { env: cleanEnv(env) });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString("utf8");
      let newline = this.buffer.indexOf("\n");
      while (newline !== -1) {
        const line = this.buffer.slice(0, newline);
        this.lines.push(line);
        if (line.startsWith("granted ")) {
          const key = line.slice("granted ".length);
          this.granted.push(key);
          this.grantedAt.set(key, performance.now());
        }
        this.buffer = this.buffer.slice(newline + 1);
        newline = this.buffer.indexOf("\n");
      }
      this.wake();
    });
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.wake();
        resolve(signal ?? code);
      }),
    );
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }

  /** Waits for the next answer line (rejects if the process ends first). */
  async next(): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the Python writer ended: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Waits until the writer answers `line`, skipping other answers (rejects if it ends first). */
  async until(line: string): Promise<void> {
    while ((await this.next()) !== line) {}
  }

  /** Sends a command and waits for its answer. */
  async ask(command: string): Promise<string> {
    this.send(command);
    return this.next();
  }

  async kill(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }
}
