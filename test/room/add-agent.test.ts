/**
 * `A` in the control room: a form, then a new agent written into streams.yaml with the user's
 * comments and layout kept, which starts at once when its stream is in progress; an id already
 * taken is refused whole, the file untouched; another stream id makes a new stream.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Controller, handleInput } from "../../src/ui/input/dispatch.js";
import { tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, roomWithKeys, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const plan = () => `version: 1
# The shop's plan: keep this comment.
project: demo
agent: ${yamlArgv(fakeAgent("banner", "say hello {agent}", "sleep 60000"))}
streams:
  A:
    name: Foundation   # the base
    agents:
      - { id: A1, task: "Base" }
`;

async function open() {
  const f = await roomWithKeys(plan(), { cols: 160, rows: 48 });
  const { ctl } = f;
  expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
  await waitFor(
    () => (f.store.getState().agents.A1?.status === "running" ? true : undefined),
    20_000,
    "A1",
  );
  f.store.getState().select("A1");
  return { ...f, ctl, file: path.join(f.repo.root, "streams.yaml") };
}

/** Types into the form: text into the current field, then Tab to the next. */
function fill(ctl: Controller, values: (string | undefined)[]) {
  for (const value of values) {
    if (value !== undefined) {
      // Clear what is prefilled, then type.
      for (let i = 0; i < 40; i++) handleInput(ctl, "\x7f");
      for (const c of value) handleInput(ctl, c === " " ? " " : c);
    }
    handleInput(ctl, "\t");
  }
}

describe("adding an agent from the control room", () => {
  it("writes it into streams.yaml, comments kept, and starts it; refuses a taken id whole", async () => {
    const { ctl, store, file } = await open();
    handleInput(ctl, "A");
    const form = store.getState().modal;
    expect(form).toMatchObject({ kind: "form", title: "Add an agent to streams.yaml" });
    // Prefilled: the selected agent's stream and the next free id.
    expect(
      form?.kind === "form" && form.fields.slice(0, 2).map((f) => f.kind === "line" && f.value),
    ).toEqual(["A", "A2"]);
    fill(ctl, [undefined, undefined, "Docs", undefined, undefined, undefined, undefined]);
    // A new agent is a new command on this machine: Tower asks before it runs it, as for any.
    const trust = await waitFor(
      () => (store.getState().modal?.kind === "confirm" ? store.getState().modal : undefined),
      20_000,
      "the trust question",
    );
    expect(trust?.kind === "confirm" && trust.lines.join("\n")).toContain("+ streams.A.agents.A2");
    handleInput(ctl, "y");
    await waitFor(
      () => (store.getState().agents.A2?.status === "running" ? true : undefined),
      20_000,
      "A2 running",
    );
    const text = readFileSync(file, "utf8");
    // Every byte of the file as it was, and one line more.
    expect(text).toBe(
      plan().replace(
        '{ id: A1, task: "Base" }\n',
        '{ id: A1, task: "Base" }\n      - { id: "A2", task: "Docs" }\n',
      ),
    );
    expect(store.getState().messages.map((m) => m.text)).toContain(
      "added A2 to stream A in streams.yaml: it starts now",
    );

    // A1 is taken: refused, the file as it was.
    handleInput(ctl, "A");
    fill(ctl, [undefined, "A1", "Again", undefined, undefined, undefined, undefined]);
    await waitFor(
      () => (store.getState().flash?.text.startsWith("A1 not added") ? true : undefined),
      10_000,
      "the refusal",
    );
    expect(readFileSync(file, "utf8")).toBe(text);

    // Another stream id: a new stream, depending on A.
    handleInput(ctl, "A");
    fill(ctl, ["W", "W1", "Write", undefined, "Writing", "A", "docs/**"]);
    await waitFor(
      () => (store.getState().flash?.text.startsWith("added stream W") ? true : undefined),
      10_000,
      "the new stream",
    );
    const after = readFileSync(file, "utf8");
    expect(after).toBe(
      `${text}  W:\n    name: "Writing"\n    depends_on: ["A"]\n    scope: ["docs/**"]\n    agents:\n      - { id: "W1", task: "Write" }\n`,
    );
    await waitFor(
      () => (store.getState().status?.streams.some((s) => s.id === "W") ? true : undefined),
      10_000,
      "W in the status",
    );
  });
});
