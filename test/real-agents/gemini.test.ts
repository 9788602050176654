/**
 * Gemini CLI 0.61.0, the real CLI, in Tower's Session against the scripted model endpoint:
 * write_file asks "Apply this change?"; `1` allows once, Esc cancels. See FINDINGS.md.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { gemini } from "./profiles.js";
import { approveWrite, denyWrite, guardOutside } from "./write-flow.js";

describe("Gemini CLI (real CLI)", () => {
  let outside: ReturnType<typeof guardOutside>;
  beforeAll(() => {
    outside = guardOutside();
  });
  afterAll(() => outside.check());

  it("asks before write_file; 1 allows once: the file is written and its result reaches the model", () =>
    approveWrite(gemini));

  it("Esc cancels write_file: no file, and the call is dropped from the conversation", () =>
    denyWrite(gemini));
});
