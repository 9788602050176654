/**
 * Claude Code 2.1.197, the real CLI, in Tower's Session against the scripted model endpoint:
 * a Write asks for permission; `1` approves, Esc denies. See FINDINGS.md.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { claude } from "./profiles.js";
import { approveWrite, denyWrite, guardOutside } from "./write-flow.js";

describe("Claude Code (real CLI)", () => {
  let outside: ReturnType<typeof guardOutside>;
  beforeAll(() => {
    outside = guardOutside();
  });
  afterAll(() => outside.check());

  it("asks before a Write; 1 approves: the file is written and its result reaches the model", () =>
    approveWrite(claude));

  it("Esc denies a Write: no file, and the model is told the user rejected it", () =>
    denyWrite(claude));
});
