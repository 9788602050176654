/**
 * Copy mode on a real agent's pane, driven by the keys: `/` searches the history as it is typed
 * and finds a line 4,000 lines back (highlighted, the title saying where), `V` and `j` select
 * lines, `y` puts them on the outer terminal's clipboard as OSC 52 and in the paste buffer, `p`
 * pastes them into the agent; PgUp enters copy mode, `v` selects a block, `q` goes back live.
 */
import { afterEach, describe, expect, it } from "vitest";
import { handleInput } from "../../src/ui/input/dispatch.js";
import { paneTitle } from "../../src/ui/view/pane.js";
import { lineText } from "../../src/ui/view/types.js";
import { tower, waitFor } from "../helpers/repo.js";
import { cleanup, plain, roomWithKeys, yamlArgv } from "./helpers.js";

afterEach(cleanup);

/** 5,000 lines, the 1,000th of them the needle; then the agent waits. */
const HISTORY = [
  "sh",
  "-c",
  'i=1; while [ $i -le 5000 ]; do if [ $i = 1000 ]; then echo "needle in the haystack $i"; else echo "line $i"; fi; i=$((i+1)); done; exec sleep 600',
];

async function open() {
  const f = await roomWithKeys(
    `version: 1
project: demo
agent: ${yamlArgv(HISTORY)}
streams:
  A:
    name: History
    agents: [{ id: A1, task: "Print" }]
`,
    { cols: 120, rows: 40 },
  );
  const { ctl, clipboard } = f;
  expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
  await waitFor(
    () =>
      plain(f.store.getState().frames.A1?.rows ?? []).includes("line 5000") ? true : undefined,
    20_000,
    "A1's 5,000 lines",
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
});
