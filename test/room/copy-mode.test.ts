/**
 * Copy mode on a real agent's pane, driven by the keys: `/` searches the history as it is typed
 * and finds a line 4,000 lines back (highlighted, the title saying where), `V` and `j` select
 * lines, `y` puts them on the outer terminal's clipboard as OSC 52 and in the paste buffer, `p`
 * pastes them into the agent; PgUp enters copy mode, `v` selects a block, `q` goes back live.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { handleInput } from "../../src/ui/input/dispatch.js";
import { paneTitle } from "../../src/ui/view/pane.js";
import { lineText } from "../../src/ui/view/types.js";
import { tower, waitFor } from "../helpers/repo.js";
import { cleanup, onCleanup, plain, roomWithKeys, yamlArgv } from "./helpers.js";

afterEach(cleanup);

/** 5,000 lines, the 1,000th of them the needle; then the agent waits. */
const HISTORY = [
  "sh",
  "-c",
  'i=1; while [ $i -le 5000 ]; do if [ $i = 1000 ]; then echo "needle in the haystack $i"; else echo "line $i"; fi; i=$((i+1)); done; exec sleep 600',
];

async function open(argv: readonly string[] = HISTORY, until = "line 5000") {
  const f = await roomWithKeys(
    `version: 1
project: demo
agent: ${yamlArgv(argv)}
streams:
  A:
    name: History
    agents: [{ id: A1, task: "Print" }]
`,
    { cols: 120, rows: 40 },
  );
  const { ctl, clipboard } = f;
  expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
  // The room starts A1 once it sees the stream started; on a loaded machine (test files run
  // side by side) that and 5,000 lines of a shell loop took more than 20 s.
  await waitFor(
    () => (plain(f.store.getState().frames.A1?.rows ?? []).includes(until) ? true : undefined),
    50_000,
    () =>
      `A1 showing ${until}; A1 is ${f.store.getState().agents.A1?.status ?? "unknown"}, its screen:\n${plain(f.store.getState().frames.A1?.rows ?? [])}`,
  );
  f.store.getState().select("A1");
  return { ...f, ctl, clipboard };
}

const frameOf = (store: Awaited<ReturnType<typeof open>>["store"]) => store.getState().frames.A1;

describe("copy mode", () => {
  it("finds a line 4,000 back as the search is typed, copies lines as OSC 52 and pastes them", async () => {
    const { store, ctl, clipboard } = await open();
    handleInput(ctl, "/");
    expect(store.getState().mode).toBe("copy");
    for (const c of "needle") handleInput(ctl, c);
    const found = await waitFor(
      () => (frameOf(store)?.copy?.line === 1000 ? frameOf(store) : undefined),
      10_000,
      "the cursor on the needle's line",
    );
    // The match is on screen, marked black on yellow (the current one bright).
    const row = found.rows.find((r) => r.includes("haystack"));
    expect(row).toContain("\x1b[0;30;103m");
    expect(found.offset).toBeGreaterThan(3_900);
    const agent = store.getState().agents.A1;
    if (!agent) throw new Error("no A1");
    const title = lineText(
      paneTitle(agent, {
        width: 120,
        selected: true,
        locks: 0,
        insert: false,
        offset: found.offset,
        copy: found.copy,
      }),
    );
    expect(title).toMatch(/COPY line 1,000 of 5,0\d\d \/needle/);
    handleInput(ctl, "\r");
    expect(store.getState().copySearch).toBeUndefined();

    // Two whole lines: the needle's and the next.
    handleInput(ctl, "V");
    handleInput(ctl, "j");
    await waitFor(
      () => (frameOf(store)?.copy?.line === 1001 ? true : undefined),
      10_000,
      "the cursor a line down",
    );
    expect(frameOf(store)?.copy?.selecting).toBe("line");
    handleInput(ctl, "y");
    await waitFor(() => (clipboard.length > 0 ? true : undefined), 10_000, "the clipboard");
    const text = "needle in the haystack 1000\nline 1001";
    expect(clipboard).toEqual([`\x1b]52;c;${Buffer.from(text).toString("base64")}\x07`]);
    expect(store.getState().pasteBuffer).toBe(text);
    expect(store.getState().mode).toBe("normal");
    await waitFor(
      () => (frameOf(store)?.copy === undefined && frameOf(store)?.offset === 0 ? true : undefined),
      10_000,
      "the live screen again",
    );

    // p pastes it into the agent (the terminal echoes what the sleeping agent is given).
    handleInput(ctl, "p");
    await waitFor(
      () =>
        plain(frameOf(store)?.rows ?? [])
          .split("\n")
          .some((r) => r.startsWith("needle in the haystack 1000"))
          ? true
          : undefined,
      10_000,
      "the pasted text in A1's pane",
    );
  });

  it("enters with PgUp, selects a block with v, searches up with ? and leaves with q", async () => {
    const { store, ctl, clipboard } = await open();
    handleInput(ctl, "\x1b[5~");
    const paged = await waitFor(
      () =>
        frameOf(store)?.copy && (frameOf(store)?.offset ?? 0) > 0 ? frameOf(store) : undefined,
      10_000,
      "a page back in copy mode",
    );
    expect(store.getState().mode).toBe("copy");
    // Up to "line 4990" with ?, then a block of columns 0-3 over three lines.
    handleInput(ctl, "?");
    for (const c of "line 4990") handleInput(ctl, c === " " ? " " : c);
    await waitFor(
      () => (frameOf(store)?.copy?.line === 4990 ? true : undefined),
      10_000,
      "line 4990 found upward",
    );
    expect(paged.copy?.search).toBeUndefined();
    handleInput(ctl, "\r");
    handleInput(ctl, "v");
    handleInput(ctl, "jj");
    handleInput(ctl, "lll");
    await waitFor(
      () => (frameOf(store)?.copy?.line === 4992 ? true : undefined),
      10_000,
      "the cursor two lines down",
    );
    handleInput(ctl, "y");
    await waitFor(() => (clipboard.length > 0 ? true : undefined), 10_000, "the clipboard");
    expect(store.getState().pasteBuffer).toBe("line\nline\nline");

    // q leaves without copying.
    handleInput(ctl, "v");
    expect(store.getState().mode).toBe("copy");
    handleInput(ctl, "q");
    expect(store.getState().mode).toBe("normal");
    await waitFor(
      () => (frameOf(store)?.copy === undefined ? true : undefined),
      10_000,
      "copy mode left",
    );
  });

  it("stays on the same text once the history is full: a scrolled view, copy mode's view and its selection", async () => {
    // 5,200 lines (past the 5,000 of history); then 50 more at each signal.
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-copy-full-"));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const at = (name: string) => path.join(dir, name);
    const more = (n: number) =>
      `while [ ! -e ${at(`go${n}`)} ]; do sleep 0.05; done; j=$((i+50)); while [ $i -lt $j ]; do echo "line $i"; i=$((i+1)); done; touch ${at(`done${n}`)}`;
    const { store, ctl, clipboard } = await open(
      [
        "sh",
        "-c",
        `i=1; while [ $i -le 5200 ]; do echo "line $i"; i=$((i+1)); done; ${more(1)}; ${more(2)}; exec sleep 600`,
      ],
      "line 5200",
    );
    const moreOutput = async (n: number) => {
      writeFileSync(at(`go${n}`), "");
      await waitFor(() => (existsSync(at(`done${n}`)) ? true : undefined), 10_000, `batch ${n}`);
      await new Promise((resolve) => setTimeout(resolve, 500)); // a frame or two
    };

    // Scrolled back (no copy mode): the view keeps its lines as 50 more push the oldest out.
    await ctl.client.run({ type: "scroll", agent: "A1", lines: 100 });
    const scrolled = await waitFor(
      () => (frameOf(store)?.offset === 100 ? plain(frameOf(store)?.rows ?? []) : undefined),
      10_000,
      "the view 100 lines back",
    );
    await moreOutput(1);
    expect(plain(frameOf(store)?.rows ?? [])).toBe(scrolled);
    await ctl.client.run({ type: "scroll", agent: "A1", lines: -100_000 });

    // Copy mode: three lines selected 50 back; 50 more lines arrive before the yank.
    handleInput(ctl, "/");
    for (const c of "line 5199") handleInput(ctl, c);
    const found = await waitFor(
      () => (frameOf(store)?.copy?.search === "line 5199" ? frameOf(store)?.copy?.line : undefined),
      10_000,
      "the search",
    );
    handleInput(ctl, "\r");
    handleInput(ctl, "V");
    handleInput(ctl, "jj");
    await waitFor(
      () =>
        frameOf(store)?.copy?.selecting === "line" && frameOf(store)?.copy?.line === found + 2
          ? true
          : undefined,
      10_000,
      "three lines selected",
    );
    expect(plain(frameOf(store)?.rows ?? []).split("\n")).toContain("line 5199");
    const view = plain(frameOf(store)?.rows ?? []);
    await moreOutput(2);
    expect(plain(frameOf(store)?.rows ?? [])).toBe(view);
    handleInput(ctl, "y");
    await waitFor(() => (clipboard.length > 0 ? true : undefined), 10_000, "the clipboard");
    expect(store.getState().pasteBuffer).toBe("line 5199\nline 5200\nline 5201");
  });

  it("counts columns, not characters, on a line with wide characters", async () => {
    const { store, ctl } = await open(
      [
        "sh",
        "-c",
        "printf '✅ 测试通过: total 42 passed\\nabcdefghijklmnopqrstuvwxyz\\n'; exec sleep 600",
      ],
      "42 passed",
    );
    const yank = async (keys: string) => {
      for (const k of keys) handleInput(ctl, k);
      const before = store.getState().pasteBuffer;
      handleInput(ctl, "y");
      await waitFor(
        () =>
          store.getState().mode === "normal" && store.getState().pasteBuffer !== before
            ? true
            : undefined,
        10_000,
        `the yank after ${keys}`,
      );
      return store.getState().pasteBuffer;
    };

    // The search lands on the 42 the pane shows (columns 19-20) and highlights it there.
    handleInput(ctl, "/");
    for (const c of "42") handleInput(ctl, c);
    const found = await waitFor(
      () => (frameOf(store)?.copy?.search === "42" ? frameOf(store) : undefined),
      10_000,
      "42 found",
    );
    const row = found.rows.find((r) => r.includes("passed")) ?? "";
    // The cursor is on the match's first column, marked inverse; the rest of it bright yellow.
    expect(plain([row.slice(0, row.indexOf("\x1b[0;30;103m"))])).toBe("✅ 测试通过: total 4");
    handleInput(ctl, "\r");
    expect(await yank("vjl")).toBe("42\ntu");

    // $ is the line's last column; a block is cut by columns, down to a line without wide ones.
    handleInput(ctl, "/");
    for (const c of "total") handleInput(ctl, c);
    await waitFor(
      () => (frameOf(store)?.copy?.search === "total" ? true : undefined),
      10_000,
      "total",
    );
    handleInput(ctl, "\r");
    expect(await yank("0$vhhhhh")).toBe("passed");
    handleInput(ctl, "/");
    for (const c of "total") handleInput(ctl, c);
    await waitFor(
      () => (frameOf(store)?.copy?.search === "total" ? true : undefined),
      10_000,
      "total again",
    );
    handleInput(ctl, "\r");
    // l steps over a wide character's two columns.
    expect(await yank("0llvj")).toBe("测\nd");
  });
});
