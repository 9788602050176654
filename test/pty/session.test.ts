/**
 * Sessions on real pseudo-terminals: environment, complete output of fast exits, backpressure,
 * replies to terminal queries, resize, stop and restart, paste and keyboard input, bells and
 * notifications, and the plain-text log with its rotation.
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  existsSync,
  open,
  openSync,
  readFileSync,
  realpathSync,
  statSync,
} from "node:fs";
import path from "node:path";
import { spawn } from "node-pty";
import { afterEach, describe, expect, it, vi } from "vitest";
import { guardTail, type SessionNotification } from "../../src/pty/index.js";
import { ANSWER_SETTLE_MS, ANSWER_WAIT_MAX_MS, MAX_INPUT_BACKLOG } from "../../src/pty/session.js";
import {
  cleanup,
  emit,
  nodeProgram,
  RECORDER,
  screenHas,
  startPuppet,
  startSession,
  tempDir,
  testEnv,
  waitFor,
  waitForScreen,
} from "./helpers.js";

afterEach(cleanup);

const numbered = (count: number) => `printf 'line %d\\n' $(seq 1 ${count})`;

describe("spawning", () => {
  it("runs the command in the worktree with the TOWER_* environment and xterm-256color", async () => {
    const worktree = tempDir();
    const session = startSession({
      command: [
        "sh",
        "-c",
        'echo "id=$TOWER_AGENT_ID stream=$TOWER_STREAM"; echo "state=$TOWER_STATE_DIR"; ' +
          'echo "root=$TOWER_REPO_ROOT"; echo "task=$TOWER_TASK" arg={task}; ' +
          'echo "wt=$TOWER_WORKTREE"; echo "pwd=$(pwd -P)"; echo "term=$TERM size=$(stty size)"',
      ],
      worktree,
      repoRoot: "/repo/root",
      stateDir: "/repo/root/.claude/state",
      agent: "B2",
      stream: "B",
      task: "Fix it",
      cols: 90,
      rows: 20,
    });
    const exit = await session.waitForExit();
    expect(exit).toEqual({ code: 0, signal: null });
    const text = session.text().join("\n");
    expect(text).toContain("id=B2 stream=B");
    expect(text).toContain("state=/repo/root/.claude/state");
    expect(text).toContain("root=/repo/root");
    expect(text).toContain("task=Fix it arg=Fix it");
    expect(text).toContain(`wt=${worktree}`);
    expect(text).toContain(`pwd=${realpathSync(worktree)}`);
    expect(text).toContain("term=xterm-256color size=20 90");
    expect(session.status).toBe("exited");
  });

  it("refuses a worktree that does not exist", () => {
    expect(() =>
      startSession({ command: ["true"], worktree: path.join(tempDir(), "missing") }),
    ).toThrow(/does not exist/);
  });
});

describe("fast exits", () => {
  it.each([1, 2, 3, 4, 5, 6])(
    "keep every line of 2,000 printed just before exit (run %i)",
    async () => {
      const session = startSession({ command: ["sh", "-c", numbered(2000)], cols: 40, rows: 10 });
      const exit = await session.waitForExit();
      expect(exit.code).toBe(0);
      const lines = session.screen.allText().filter((line) => line !== "");
      expect(lines).toHaveLength(2000);
      expect(lines.every((line, i) => line === `line ${i + 1}`)).toBe(true);
    },
  );

  it("guardTail delivers what node-pty would drop when the socket is paused at exit", async () => {
    const pty = spawn("sh", ["-c", `${numbered(2000)}; echo END`], {
      cols: 80,
      rows: 24,
      encoding: null,
      env: testEnv(),
    });
    const chunks: Buffer[] = [];
    expect(guardTail(pty, (chunk) => chunks.push(chunk))).toBe(true);
    pty.onData((data) => chunks.push(data as unknown as Buffer));
    pty.pause(); // as backpressure would, until well after node-pty's 200 ms exit timer
    const resume = setTimeout(() => pty.resume(), 600);
    await new Promise<void>((resolve) => pty.onExit(() => resolve()));
    clearTimeout(resume);
    const text = Buffer.concat(chunks).toString("utf8");
    const lines = text.split("\r\n").filter((line) => line !== "");
    expect(lines).toHaveLength(2001);
    expect(lines.at(-1)).toBe("END");
    expect(lines.slice(0, 2000).every((line, i) => line === `line ${i + 1}`)).toBe(true);
  });
});

describe("backpressure", () => {
  it("pauses a flooding program while the emulator catches up, and loses nothing", async () => {
    const dir = tempDir();
    const lines = 40_000;
    // ~3.5 MB in large writes, then exit.
    const program = nodeProgram(
      dir,
      `const parts = [];
       for (let i = 1; i <= ${lines}; i++) parts.push("\\x1b[3" + (i % 8) + "mflood line " + i + " " + "x".repeat(60) + "\\x1b[0m\\n");
       process.stdout.write(parts.join(""));`,
    );
    // A mark below one read's size: the first read that the parser has not finished yet pauses
    // the pty, however fast this machine parses.
    const high = 2 * 1024;
    const session = startSession({
      command: program,
      worktree: dir,
      cols: 100,
      rows: 10,
      scrollback: 100,
      highWaterMark: high,
      lowWaterMark: 512,
    });
    let maxUnparsed = 0;
    let maxLag = 0;
    let last = performance.now();
    const sampler = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 5);
      last = now;
      maxUnparsed = Math.max(maxUnparsed, session.unparsedBytes);
    }, 5);
    const exit = await session.waitForExit();
    clearInterval(sampler);
    expect(exit.code).toBe(0);
    expect(session.pauses).toBeGreaterThan(0);
    // At most one read past the high-water mark is ever waiting for the parser.
    expect(maxUnparsed).toBeLessThanOrEqual(high + 64 * 1024);
    // The event loop kept turning (a UI would stay responsive).
    expect(maxLag).toBeLessThan(1_000);
    const tail = session.screen.allText().filter((line) => line !== "");
    expect(tail.at(-1)).toBe(`flood line ${lines} ${"x".repeat(60)}`);
    const numbers = tail.map((line) => Number(/^flood line (\d+)/.exec(line)?.[1]));
    expect(numbers.every((n, i) => i === 0 || n === (numbers[i - 1] ?? 0) + 1)).toBe(true);
  });
});

describe("terminal queries", () => {
  it("answers cursor position (DSR) and device attributes (DA) to the program", async () => {
    const dir = tempDir();
    const out = path.join(dir, "replies.json");
    const program = nodeProgram(
      dir,
      `import { writeFileSync } from "node:fs";
       process.stdin.setRawMode(true);
       let got = "";
       process.stdin.on("data", (d) => {
         got += d;
         if (/\\x1b\\[\\d+;\\d+R/.test(got) && /\\x1b\\[\\?[\\d;]*c/.test(got)) {
           writeFileSync(${JSON.stringify(out)}, JSON.stringify(got));
           process.exit(0);
         }
       });
       process.stdout.write("\\x1b[5;10H\\x1b[6n\\x1b[c");`,
    );
    const session = startSession({ command: program, worktree: dir });
    expect((await session.waitForExit()).code).toBe(0);
    const replies = JSON.parse(readFileSync(out, "utf8")) as string;
    expect(replies).toContain("\x1b[5;10R");
    expect(replies).toMatch(/\x1b\[\?1;2c/);
  });
});

describe("resize", () => {
  it("resizes the pty (the program sees the new size) and the emulator", async () => {
    const dir = tempDir();
    const program = nodeProgram(
      dir,
      `const show = () => console.log("size " + process.stdout.columns + "x" + process.stdout.rows);
       process.stdout.on("resize", show);
       show();
       setInterval(() => {}, 1000);`,
    );
    const session = startSession({ command: program, worktree: dir, cols: 80, rows: 24 });
    await waitForScreen(session, screenHas("size 80x24"), "initial size");
    session.resize(100, 30);
    await waitForScreen(session, screenHas("size 100x30"), "new size seen by the program");
    expect(session.cols).toBe(100);
    expect(session.rows).toBe(30);
    const frame = session.frame();
    expect(frame.rows).toHaveLength(30);
    expect(frame.cols).toBe(100);
    session.resize(40, 10);
    await waitForScreen(session, screenHas("size 40x10"), "smaller size");
    expect(session.frame().rows).toHaveLength(10);
    expect(() => session.resize(0, 10)).toThrow(/invalid size/);
  });
});

describe("stop and restart", () => {
  it("stops with SIGTERM", async () => {
    const session = startSession({ command: ["sleep", "60"] });
    await waitFor(() => (session.pid !== undefined ? true : undefined));
    const exit = await session.stop();
    // Stopped by its owner: said with the exit, so that it is not taken for a failure.
    expect(exit).toEqual({ code: null, signal: "SIGTERM", stopped: true });
    expect(session.exit?.stopped).toBe(true);
    expect(session.status).toBe("exited");
    expect(session.running).toBe(false);
  });

  it("kills with SIGKILL after the grace period when SIGTERM is ignored", async () => {
    const session = startSession({
      command: ["sh", "-c", "trap '' TERM; echo trapped; while :; do sleep 1; done"],
    });
    await waitForScreen(session, screenHas("trapped"), "trap set");
    const started = Date.now();
    const exit = await session.stop(400);
    expect(exit).toEqual({ code: null, signal: "SIGKILL", stopped: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it("restarts the same command in the same worktree, optionally resuming", async () => {
    const worktree = tempDir();
    const command = [
      "sh",
      "-c",
      'echo "run pid=$$ dir=$(pwd) args:$* x=$X_EXTRA"; exec sleep 60',
      "sh",
    ];
    const session = startSession({ command, preset: "claude", worktree });
    const first = await waitForScreen(session, screenHas("run pid="), "first run");
    const firstPid = session.pid;
    await session.restart();
    const second = await waitForScreen(
      session,
      (rows) => rows.some((row) => row.includes("run pid=") && !first.includes(row)),
      "second run",
    );
    expect(session.pid).not.toBe(firstPid);
    expect(second.join("\n")).toContain(`dir=${worktree}`);
    expect(session.status === "running" || session.status === "idle").toBe(true);
    await session.restart({
      launch: { command: [...command, "--resume", "s-1"], env: { X_EXTRA: "1" } },
    });
    await waitForScreen(session, screenHas("args:--resume s-1"), "resumed run");
  });

  it("takes the launch's unset variables out of the agent's environment, adds its own", async () => {
    const session = startSession({
      command: [
        "sh",
        "-c",
        'echo "ci=$(printenv CI || echo unset) gha=$(printenv GITHUB_ACTIONS || echo unset) x=$X_EXTRA"; exec sleep 60',
      ],
      env: { ...testEnv(), CI: "true", GITHUB_ACTIONS: "true" },
    });
    await waitForScreen(session, screenHas("ci=true gha=true x="), "first run");
    await session.restart({ launch: { env: { X_EXTRA: "1" }, unset: ["CI", "GITHUB_ACTIONS"] } });
    await waitForScreen(session, screenHas("ci=unset gha=unset x=1"), "run without them");
  });
});

describe("input backlog", () => {
  it("refuses more input while a program that does not read has more than the limit waiting", async () => {
    // It reads nothing until SIGUSR1, then everything (raw, so the terminal echoes none of it).
    const dir = tempDir();
    const program = nodeProgram(
      dir,
      `process.on("SIGUSR1", () => { process.stdin.setRawMode(true); process.stdin.on("data", () => {}); });
process.stdout.write("ready\\r\\n");
setInterval(() => {}, 1000);`,
    );
    const session = startSession({ command: program, worktree: dir, agent: "A1" });
    await waitForScreen(session, screenHas("ready"), "ready");
    // One paste of any size goes: the backlog was empty.
    session.paste("x".repeat(MAX_INPUT_BACKLOG + 1024 * 1024));
    expect(session.inputBacklog()).toBeGreaterThan(MAX_INPUT_BACKLOG);
    // More would only pile up in the server's memory: refused, saying why.
    expect(() => session.paste("more")).toThrow(
      /^A1 is not reading its input: 17 MiB wait for it; nothing more is sent until it reads$/,
    );
    expect(() => session.input("y")).toThrow(/^A1 is not reading its input/);
    // Once it reads, what waited goes, and input is taken again (its end is the next test's).
    process.kill(session.pid!, "SIGUSR1");
    await waitFor(
      () => (session.inputBacklog() === 0 ? true : undefined),
      20_000,
      "the backlog read",
    );
    expect(() => session.input("y")).not.toThrow();
  });

  it("counts input held behind an answer in bytes, as it will be written", async () => {
    // Still drawing, so an approval waits for the screen to settle and what is typed after it
    // waits behind it; it reads nothing until SIGUSR1.
    const dir = tempDir();
    const program = nodeProgram(
      dir,
      `process.on("SIGUSR1", () => { process.stdin.setRawMode(true); process.stdin.on("data", () => {}); });
let n = 0;
setInterval(() => process.stdout.write("\\rworking " + n++), 20);`,
    );
    const session = startSession({
      command: program,
      worktree: dir,
      agent: "A1",
      preset: "codex",
    });
    await waitForScreen(session, screenHas("working"), "drawing");
    session.approve();
    // 9 Mi characters of two bytes each: 18 MiB to write, more than the limit.
    session.paste("é".repeat(9 * 1024 * 1024));
    expect(session.inputBacklog()).toBeGreaterThan(MAX_INPUT_BACKLOG);
    expect(() => session.paste("more")).toThrow(/^A1 is not reading its input: 18 MiB wait/);
    process.kill(session.pid!, "SIGUSR1");
    await waitFor(
      () => (session.inputBacklog() === 0 ? true : undefined),
      20_000,
      "the backlog read",
    );
  });
});

describe("input", () => {
  async function recorder(setup: string) {
    const dir = tempDir();
    const file = path.join(dir, "input.bin");
    const session = startSession({
      command: [process.execPath, RECORDER, file, JSON.stringify(setup)],
      worktree: dir,
    });
    await waitForScreen(session, screenHas("recorder ready"), "recorder");
    const received = (want: string) =>
      waitFor(
        () => {
          const got = existsSync(file) ? readFileSync(file, "utf8") : "";
          return got.includes(want) ? got : undefined;
        },
        10_000,
        `input ${JSON.stringify(want)}`,
      );
    return { session, received };
  }

  it("drops what a program had not read when it exits: none of it reaches the next terminal", async () => {
    // node-pty says so when it writes to a descriptor already closed: a number the next file
    // opened (the next terminal here) may have by then.
    const said = vi.spyOn(console, "error");
    // Run a few times: the next pty takes the closed one's descriptor number most times.
    for (let round = 0; round < 3; round++) {
      const dir = tempDir();
      const deaf = startSession({
        command: nodeProgram(
          dir,
          'process.stdout.write("deaf\\r\\n"); setInterval(() => {}, 1000);',
        ),
        worktree: dir,
      });
      await waitForScreen(deaf, screenHas("deaf"), "the program that does not read");
      deaf.paste("z".repeat(4 * 1024 * 1024));
      expect(deaf.inputBacklog()).toBeGreaterThan(0);
      process.kill(deaf.pid!, "SIGKILL");
      await deaf.waitForExit();
      const { session, received } = await recorder("");
      session.write("only this|");
      await received("only this|");
      // Anything written late would be there by now.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const got = await received("only this|");
      expect(got.replace(/z+/g, (run) => `<${run.length} z>`)).toBe("only this|");
      await session.stop();
    }
    expect(said.mock.calls.map((call) => String(call[0]))).toEqual([]);
    said.mockRestore();
  });

  it("types into the program while every thread of libuv's pool is busy (logs, git, file reads)", async () => {
    const { session, received } = await recorder("");
    // Each open of a FIFO that nobody writes holds a pool thread until a writer comes: more of
    // them than the pool has threads (4 unless UV_THREADPOOL_SIZE says otherwise).
    const dir = tempDir();
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    const fifos = Array.from({ length: threads + 4 }, (_, i) => path.join(dir, `held-${i}`));
    for (const fifo of fifos) execFileSync("mkfifo", [fifo]);
    const held = fifos.map(
      (fifo) =>
        new Promise<void>((resolve) => {
          open(fifo, "r", (error, fd) => {
            if (!error) closeSync(fd);
            resolve();
          });
        }),
    );
    try {
      session.write("typed while the pool is busy|");
      expect(await received("typed while the pool is busy|")).toBe("typed while the pool is busy|");
    } finally {
      // A writer lets each open finish (retried until its open has started).
      const writers = fifos.map((fifo) =>
        setInterval(() => {
          try {
            closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {}
        }, 20),
      );
      await Promise.all(held);
      for (const writer of writers) clearInterval(writer);
    }
  });

  it("keeps the order of input larger than the kernel takes at once, with keys typed between", async () => {
    const { session, received } = await recorder("");
    const big = (tag: string) => `${tag}${"0123456789abcdef".repeat(8192)}`; // 128 KB
    let want = "";
    for (const piece of [big("A"), "k1", big("B"), "k2", "k3", big("C"), "|end"]) {
      session.write(piece);
      want += piece;
    }
    const got = await received("|end");
    expect(got.length).toBe(want.length);
    expect(got === want).toBe(true);
  });

  it("holds an answer until the screen has been still, and what is typed after waits behind it", async () => {
    const dir = tempDir();
    const file = path.join(dir, "answers.json");
    // Draws its question over 300 ms, a line every 30 ms, then records what it receives and how
    // long after its last output each byte came.
    const program = nodeProgram(
      dir,
      `import { renameSync, writeFileSync } from "node:fs";
      process.stdin.setRawMode(true);
      const got = [];
      let last = performance.now();
      process.stdin.on("data", (chunk) => {
        got.push({ bytes: chunk.toString("latin1"), quietMs: performance.now() - last, at: Date.now() });
        // Whole or not at all: the test reads it while this writes.
        writeFileSync(${JSON.stringify(`${file}.new`)}, JSON.stringify(got));
        renameSync(${JSON.stringify(`${file}.new`)}, ${JSON.stringify(file)});
      });
      let n = 0;
      const draw = setInterval(() => {
        process.stdout.write("drawing the question " + n++ + "\\r\\n");
        last = performance.now();
        if (n === 10) { clearInterval(draw); process.stdout.write("Apply? (y/esc)\\r\\n"); last = performance.now(); }
      }, 30);`,
    );
    const session = startSession({ command: program, worktree: dir, preset: "codex" });
    await waitForScreen(session, screenHas("drawing the question 1"), "the question drawn");
    const asked = performance.now();
    session.deny(); // Esc for Codex
    session.write("typed after");
    const got = await waitFor(
      () => {
        const list = existsSync(file)
          ? (JSON.parse(readFileSync(file, "utf8")) as { bytes: string; quietMs: number }[])
          : [];
        return list.map((g) => g.bytes).join("") === "\x1btyped after" ? list : undefined;
      },
      10_000,
      "the answer, then the typing",
    );
    // Not before the drawing ended and the screen stayed still ANSWER_SETTLE_MS.
    expect(got[0]?.bytes.startsWith("\x1b")).toBe(true);
    expect(got[0]?.quietMs).toBeGreaterThanOrEqual(ANSWER_SETTLE_MS - 20);
    expect(performance.now() - asked).toBeLessThan(ANSWER_WAIT_MAX_MS + 2_000);

    // Once it is still, an answer goes at once: timed to when the program received it (its own
    // clock, the same as this one), not to when this test next read the program's file.
    await new Promise((resolve) => setTimeout(resolve, ANSWER_SETTLE_MS));
    const before = Date.now();
    session.approve();
    const approval = await waitFor(
      () =>
        (JSON.parse(readFileSync(file, "utf8")) as { bytes: string; at: number }[]).find(
          (g) => g.bytes === "y",
        ),
      5_000,
      "the approval",
    );
    expect(approval.at - before).toBeLessThan(ANSWER_SETTLE_MS);
  });

  it("sends a held answer after ANSWER_WAIT_MAX_MS to a program that never stops drawing", async () => {
    const dir = tempDir();
    const file = path.join(dir, "input.bin");
    const program = nodeProgram(
      dir,
      `import { appendFileSync, writeFileSync } from "node:fs";
      writeFileSync(${JSON.stringify(file)}, "");
      process.stdin.setRawMode(true);
      process.stdin.on("data", (chunk) => appendFileSync(${JSON.stringify(file)}, chunk));
      const spin = "|/-\\\\";
      let n = 0;
      setInterval(() => process.stdout.write("\\rworking " + spin[n++ % 4]), 40);`,
    );
    const session = startSession({ command: program, worktree: dir, preset: "codex" });
    await waitForScreen(session, screenHas("working"), "the spinner");
    const asked = performance.now();
    session.approve();
    await waitFor(
      () => (readFileSync(file, "utf8") === "y" ? true : undefined),
      5_000,
      "the approval",
    );
    const took = performance.now() - asked;
    expect(took).toBeGreaterThanOrEqual(ANSWER_WAIT_MAX_MS - 20);
    expect(took).toBeLessThan(ANSWER_WAIT_MAX_MS + 1_000);
  });

  it("wraps pastes in bracketed-paste markers only when the program enabled them", async () => {
    const plain = await recorder("");
    plain.session.paste("first\nsecond");
    plain.session.write("|done");
    expect(await plain.received("|done")).toBe("first\rsecond|done");

    const bracketed = await recorder("\x1b[?2004h");
    expect(bracketed.session.terminal.modes.bracketedPasteMode).toBe(true);
    bracketed.session.paste("first\nsecond");
    bracketed.session.write("|done");
    expect(await bracketed.received("|done")).toBe("\x1b[200~first\rsecond\x1b[201~|done");
  });

  it("keeps the escape key (all encodings) from the program and follows its cursor-key mode", async () => {
    const normal = await recorder("");
    for (const key of ["\x1d", "\x1b[93;5u", "\x1b[27;5;93~"]) {
      const split = normal.session.input(`a\x1bOA${key}after`);
      expect(split).toEqual({ forward: "a\x1b[A", escape: true, rest: "after" });
    }
    normal.session.input("|done");
    expect(await normal.received("|done")).toBe("a\x1b[Aa\x1b[Aa\x1b[A|done");

    const application = await recorder("\x1b[?1h");
    expect(application.session.terminal.modes.applicationCursorKeysMode).toBe(true);
    application.session.input("\x1b[A\x1b[D");
    application.session.sendKeys("up", "enter");
    application.session.input("|done");
    expect(await application.received("|done")).toBe("\x1bOA\x1bOD\x1bOA\r|done");
  });
});

describe("screen patterns", () => {
  it("takes the frame of new output before it reads the screen's patterns", async () => {
    // The patterns are read at most every 100 ms; the prompt comes well after the last read,
    // when a read is due at once. Its frame (an echo, a prompt) must not wait for the read.
    const session = startSession({
      command: ["sh", "-c", "echo started; sleep 0.4; printf 'Proceed? [y/n] '; exec sleep 60"],
      preset: "shell",
      worktree: tempDir(),
    });
    await waitForScreen(session, screenHas("started"), "the first line");
    const events: string[] = [];
    const shown = () => session.text().some((row) => row.includes("Proceed?"));
    session.on("update", () => events.push(shown() ? "prompt" : "update"));
    session.on("status", (change) => events.push(`status ${change.status}`));
    await waitFor(() => events.includes("status waiting") || undefined, 10_000, "the status");
    const prompt = events.indexOf("prompt");
    expect(prompt).toBeGreaterThanOrEqual(0);
    expect(prompt).toBeLessThan(events.indexOf("status waiting"));
  });
});

describe("Tower's own prompts (a next task, a review's comments)", () => {
  // Pasted while the program waited on a question, they went into its answer (with bracketed
  // paste off, each line break an Enter) and took the waiting status away from the human.
  it("wait while the program waits on a question, and go once it is answered", async () => {
    const session = startSession({
      command: [
        "sh",
        "-c",
        'printf \'Overwrite config.json? [y/n] \'; read a; echo "answer:[$a]"; read b; echo "next:[$b]"; exec sleep 60',
      ],
      preset: "shell",
      worktree: tempDir(),
    });
    await waitFor(() => (session.status === "waiting" ? true : undefined), 10_000, "waiting");
    session.prompt("Your next task: add metrics\r");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(session.status).toBe("waiting");
    expect(session.text().join("\n")).not.toContain("Your next task");
    // The answer's first key is not all of it: the prompt does not go between its keys.
    session.input("y");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(session.text().join("\n")).not.toContain("Your next task");
    session.input("\r");
    await waitForScreen(session, screenHas("next:[Your next task: add metrics]"), "the prompt");
    expect(session.text().join("\n")).toContain("answer:[y]");
  });
});

describe("bells and notifications", () => {
  it("report waiting on BEL, OSC 9 and OSC 777 until the human answers", async () => {
    const session = await startPuppet();
    const notes: SessionNotification[] = [];
    session.on("notification", (n) => notes.push(n));
    await emit(session, "working\r\n");
    expect(session.status).toBe("running");
    await emit(session, "\x07");
    expect(session.status).toBe("waiting");
    session.write("\r"); // any input answers the bell (the puppet ignores empty lines)
    expect(session.status).not.toBe("waiting");
    await emit(session, "\x1b]9;Claude needs your permission\x07");
    expect(session.status).toBe("waiting");
    session.write("\r");
    await emit(session, "\x1b]9;4;1;50\x07"); // a progress report, not a notification
    expect(session.status).toBe("running");
    await emit(session, "\x1b]777;notify;Codex;Approval requested\x07");
    expect(session.status).toBe("waiting");
    expect(notes).toEqual([
      { kind: "bell", text: "" },
      { kind: "osc9", text: "Claude needs your permission" },
      { kind: "osc777", text: "Codex;Approval requested" },
    ]);
  });
});

describe("log", () => {
  it("writes plain text as the screen showed it, escape sequences removed", async () => {
    const dir = tempDir();
    const stateDir = path.join(dir, "state");
    const session = startSession({
      command: [
        "sh",
        "-c",
        "printf '\\033[1;31mred\\033[0m and \\033[38;5;208morange\\033[0m\\n'; " +
          "printf 'spin 1\\rspin 2\\rspin 3 done\\n'; " +
          "printf 'abc\\033[2Dxy\\n'; " +
          `printf '%s\\n' ${"w".repeat(50)}; ` +
          `${numbered(30)}; printf '\\033]0;title\\007last\\n'`,
      ],
      worktree: dir,
      stateDir,
      agent: "C1",
      cols: 20,
      rows: 5,
      log: {},
    });
    await session.waitForExit();
    const file = path.join(stateDir, "logs", "agent-C1.log");
    const log = readFileSync(file, "utf8");
    expect(log).not.toContain("\x1b");
    expect(log).not.toContain("\x07");
    const lines = log.split("\n");
    expect(lines.slice(0, 4)).toEqual(["red and orange", "spin 3 done", "axy", "w".repeat(50)]);
    expect(lines.slice(4, 34)).toEqual(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`));
    expect(lines.slice(34)).toEqual(["last", ""]);
  });

  it("rotates to agent-<ID>.log.1 at the size cap", async () => {
    const dir = tempDir();
    const session = startSession({
      command: [
        "sh",
        "-c",
        "i=1; while [ $i -le 300 ]; do printf '\\033[32mentry %05d\\033[0m\\n' $i; i=$((i+1)); done",
      ],
      worktree: dir,
      stateDir: dir,
      agent: "D1",
      cols: 40,
      rows: 5,
      log: { maxBytes: 1000 },
    });
    await session.waitForExit();
    const file = path.join(dir, "logs", "agent-D1.log");
    const current = readFileSync(file, "utf8");
    const rotated = readFileSync(`${file}.1`, "utf8");
    expect(statSync(file).size).toBeLessThanOrEqual(1000);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(1000);
    expect(statSync(`${file}.1`).size).toBeGreaterThan(900);
    for (const text of [current, rotated]) {
      expect(text).not.toContain("\x1b");
      expect(text.endsWith("\n")).toBe(true);
    }
    // The newest lines, in order, across the two files; older ones were rotated away.
    const lines = `${rotated}${current}`.split("\n").filter((line) => line !== "");
    expect(lines.at(-1)).toBe("entry 00300");
    const numbers = lines.map((line) => Number(line.slice("entry ".length)));
    expect(numbers.every((n, i) => i === 0 || n === (numbers[i - 1] ?? 0) + 1)).toBe(true);
    expect(numbers[0]).toBeGreaterThan(1);
  });
});
