/**
 * Only the pane being typed into shows its cursor: in normal mode no pane draws one; `i` on A1
 * draws A1's (an inverse cell at its prompt), never A2's; leaving insert mode takes it away.
 */
import { afterEach, describe, expect, it } from "vitest";
import { handleInput } from "../../src/ui/input/dispatch.js";
import { tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, plain, roomWithKeys, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const INVERSE = /\x1b\[0(;\d+)*;7(;\d+)*m/;

describe("the cursor", () => {
  it("shows only in the pane being typed into", async () => {
    const f = await roomWithKeys(
      `version: 1
project: demo
agent: ${yamlArgv(fakeAgent("banner", "echo"))}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }, { id: A2, task: "two" }]
`,
      { cols: 160, rows: 48 },
    );
    const { ctl } = f;
    expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
    const rows = (id: string) => f.store.getState().frames[id]?.rows ?? [];
    await waitFor(
      () => (["A1", "A2"].every((id) => plain(rows(id)).includes(">")) ? true : undefined),
      20_000,
      "both prompts",
    );
    f.store.getState().select("A1");
    expect(rows("A1").some((r) => INVERSE.test(r))).toBe(false);
    expect(rows("A2").some((r) => INVERSE.test(r))).toBe(false);
    handleInput(ctl, "i");
    await waitFor(
      () => (rows("A1").some((r) => INVERSE.test(r)) ? true : undefined),
      10_000,
      "A1's cursor",
    );
    expect(rows("A2").some((r) => INVERSE.test(r))).toBe(false);
    handleInput(ctl, "\x1d");
    await waitFor(
      () => (rows("A1").some((r) => INVERSE.test(r)) ? undefined : true),
      10_000,
      "no cursor",
    );
  });
});
