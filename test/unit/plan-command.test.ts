import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseDuration, substituteCommand, withoutTask } from "../../src/engine/plan/index.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["2h15m30s", 8_130_000],
    ["0h5m", 300_000],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "30", "10x", "m", "1m1h", "1.5h", "0m", "-5m", "1 h"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(
      `invalid duration "${text}": use whole numbers with units h, m, s in that order, e.g. 90s, 30m, 1h, 1h30m; it must be more than zero`,
    );
  });
});

describe("substituteCommand", () => {
  const values = {
    task: `Fix the "parser": it's broken; don't rm -rf $HOME \`whoami\` \\ now\n(second line)`,
    agent: "A1",
    stream: "A",
    worktree: "/tmp/my repo-A",
  };

  it("substitutes inside each argv element, without a shell", () => {
    expect(
      substituteCommand(["codex", "exec", "--cd={worktree}", "{task}", "{stream}/{agent}"], values),
    ).toEqual({
      file: "codex",
      args: ["exec", "--cd=/tmp/my repo-A", values.task, "A/A1"],
    });
  });

  it("runs a string with sh -c, each value single-quoted", () => {
    expect(substituteCommand("claude {task}", { ...values, task: "it's done" })).toEqual({
      file: "sh",
      args: ["-c", `claude 'it'\\''s done'`],
    });
  });

  it("quotes so that the shell gets back exactly the original values", () => {
    const { file, args } = substituteCommand(
      "printf '%s|' {task} {agent} {stream} {worktree}",
      values,
    );
    expect(file).toBe("sh");
    const output = execFileSync(file, args, { encoding: "utf8" });
    expect(output).toBe(`${values.task}|A1|A|/tmp/my repo-A|`);
  });

  it("quotes the values it puts in a shell's -c script in a list, so that they stay text", () => {
    for (const cmd of [
      ["sh", "-c", "printf '%s|' {task} {agent}"],
      ["bash", "-ec", "printf '%s|' {task} {agent}"],
      ["/usr/bin/env", "sh", "-c", "printf '%s|' {task} {agent}"],
    ]) {
      const { file, args } = substituteCommand(cmd, values);
      expect(execFileSync(file, args, { encoding: "utf8" }), cmd.join(" ")).toBe(
        `${values.task}|A1|`,
      );
    }
    // Arguments after the script are the script's $1...: passed as they are.
    expect(substituteCommand(["sh", "-c", 'echo "$1"', "sh", "{task}"], values).args).toEqual([
      "-c",
      'echo "$1"',
      "sh",
      values.task,
    ]);
  });

  it("refuses a placeholder inside quotes in shell code, where the value would run as code", () => {
    expect(() => substituteCommand(`echo "{task}"`, values)).toThrow("is inside quotes");
    expect(() => substituteCommand(["sh", "-c", "echo '{task}'"], values)).toThrow(
      "is inside quotes",
    );
  });

  it("leaves $VAR and its braced form to the shell", () => {
    expect(substituteCommand(`echo \${HOME} {agent}`, values).args[1]).toBe(`echo \${HOME} 'A1'`);
  });

  it("rejects unknown placeholders and empty commands", () => {
    expect(() => substituteCommand("claude {prompt}", values)).toThrow(
      'unknown placeholder {prompt} in agent command "claude {prompt}" (valid: {task}, {agent}, {stream}, {worktree})',
    );
    expect(() => substituteCommand([], values)).toThrow("agent command is empty");
  });
});

describe("withoutTask (a resumed conversation is not sent its task again)", () => {
  it("drops the task when it is an argument of its own", () => {
    expect(withoutTask("claude {task}")).toBe("claude");
    expect(withoutTask("claude {task} --model opus")).toBe("claude  --model opus");
    expect(withoutTask(["gemini", "-i", "{task}"])).toEqual(["gemini"]);
    expect(withoutTask("gemini --prompt-interactive {task} --yolo")).toBe("gemini  --yolo");
    expect(withoutTask(["claude", "--verbose", "{task}"])).toEqual(["claude", "--verbose"]);
  });
  it("keeps a task that is part of a longer argument", () => {
    expect(withoutTask("aider --message={task}")).toBe("aider --message={task}");
    expect(withoutTask(["x", "--prompt={task}"])).toEqual(["x", "--prompt={task}"]);
  });
});
