/**
 * Adding an agent to streams.yaml from the control room: the new lines go where the list ends
 * (a flow list too), every other byte stays; a plan file that is a symbolic link is refused and
 * what it points to is never written.
 */
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addAgentToPlan } from "../../src/engine/plan/edit.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-plan-edit-"));
  dirs.push(dir);
  return dir;
}

const PLAN = `version: 1
project: demo   # the name
agent: [sh, -c, "true"]
streams:
  A:
    name: A
    agents: [{ id: A1, task: one }]
`;

describe("adding an agent to streams.yaml", () => {
  it("adds to a flow list before its bracket, keeping every other byte", async () => {
    const file = path.join(folder(), "streams.yaml");
    writeFileSync(file, PLAN);
    await addAgentToPlan(file, { stream: "A", id: "A2", task: "two" });
    expect(readFileSync(file, "utf8")).toBe(
      PLAN.replace("[{ id: A1, task: one }]", '[{ id: A1, task: one }, { id: "A2", task: "two" }]'),
    );
  });

  it("refuses a plan file that is a symbolic link, and never writes what it points to", async () => {
    const outside = path.join(folder(), "elsewhere.yaml");
    writeFileSync(outside, PLAN);
    const file = path.join(folder(), "streams.yaml");
    symlinkSync(outside, file);
    await expect(addAgentToPlan(file, { stream: "A", id: "A2" })).rejects.toThrow(/symbolic link/);
    expect(readFileSync(outside, "utf8")).toBe(PLAN);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });
});
