/**
 * Typing into a real CLI reliably: its prompt, its menus and its questions take keys only once
 * it reads the keyboard, which can be after they are drawn (Gemini CLI drops what comes
 * earlier). Each helper sends again until the screen or the model endpoint shows the effect.
 */
import { type RealAgentRun, screenShows, until } from "./harness.js";

/**
 * Types `text` at the CLI's prompt and submits it, once the CLI really takes input: a CLI can
 * draw its input box before it reads the keyboard (Gemini CLI does, and drops what came
 * earlier), so the text is typed again until `inputLine` shows it, and Enter is sent again until
 * the model endpoint receives a request (a CLI may take an Enter that follows text too closely
 * as part of a paste).
 */
export async function submitPrompt(
  run: Pick<RealAgentRun, "session" | "server">,
  text: string,
  inputLine: RegExp,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, Math.min(5_000, deadline - Date.now()));
  const shown = async () => {
    await run.session.whenParsed();
    return run.session.text().some((row) => inputLine.test(row)) ? true : undefined;
  };
  for (;;) {
    run.session.write(text);
    try {
      await until(shown, () => "", left());
      break;
    } catch {
      // Typed too early and dropped (an echo by the terminal is not the CLI's input line).
      if (Date.now() >= deadline) await screenShows(run, inputLine, 1);
    }
  }
  const before = run.server.requests.length;
  for (;;) {
    run.session.write("\r");
    try {
      await until(
        () => (run.server.requests.length > before ? true : undefined),
        () => "",
        left(),
      );
      return;
    } catch {
      if (Date.now() >= deadline) {
        throw new Error(
          `the prompt ${JSON.stringify(text)} was not submitted; screen:\n${run.session.text().join("\n")}`,
        );
      }
    }
  }
}

/**
 * Moves the selection of a numbered menu (`› 2. …` or `❯ 2. …`) to item `n` with the arrow keys,
 * pressing again while the CLI has not taken a key yet (a menu can be drawn before it reads the
 * keyboard) and back when a late key overshot.
 */
export async function selectMenuItem(
  run: Pick<RealAgentRun, "session" | "server">,
  n: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const selected = async () => {
    await run.session.whenParsed();
    for (const row of run.session.text()) {
      const match = /^[\s│]*[›❯●]\s*(\d+)\./.exec(row);
      if (match) return Number(match[1]);
    }
    return undefined;
  };
  for (;;) {
    const current = await selected();
    if (current === n) return;
    if (Date.now() > deadline) {
      throw new Error(
        `menu item ${n} not selected (selected: ${current}); screen:\n${run.session.text().join("\n")}`,
      );
    }
    if (current !== undefined) run.session.write(current < n ? "\x1b[B" : "\x1b[A");
    await until(
      async () => ((await selected()) !== current ? true : undefined),
      () => "",
      3_000,
    ).catch(() => undefined);
  }
}

/**
 * Answers the prompt shown by `prompt` (its lines) with `keys`, again while it stays on screen
 * (a key that comes before the CLI reads the keyboard is lost); resolves once it is gone.
 */
export async function answerPrompt(
  run: Pick<RealAgentRun, "session" | "server">,
  keys: string,
  prompt: readonly RegExp[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const shown = async () => {
    await run.session.whenParsed();
    const rows = run.session.text();
    return prompt.every((p) => rows.some((row) => p.test(row)));
  };
  while (await shown()) {
    if (Date.now() > deadline) {
      throw new Error(
        `the prompt stayed after ${JSON.stringify(keys)}:\n${run.session.text().join("\n")}`,
      );
    }
    run.session.write(keys);
    await until(
      async () => ((await shown()) ? undefined : true),
      () => "",
      5_000,
    ).catch(() => undefined);
  }
}

/**
 * Answers the prompt shown by `prompt` as Tower's `y` and `n` keys do (`Session.approve()` /
 * `Session.deny()`, the preset's keys), and once: a user presses `n` once, so the first answer
 * must take. Resolves once the prompt is gone.
 */
export async function answerAsTower(
  run: Pick<RealAgentRun, "session" | "server">,
  answer: "approve" | "deny",
  prompt: readonly RegExp[],
  timeoutMs = 15_000,
): Promise<void> {
  const shown = async () => {
    await run.session.whenParsed();
    const rows = run.session.text();
    return prompt.every((p) => rows.some((row) => p.test(row)));
  };
  if (answer === "approve") run.session.approve();
  else run.session.deny();
  await until(
    async () => ((await shown()) ? undefined : true),
    () => `the prompt to go after one ${answer}; screen:\n${run.session.text().join("\n")}`,
    timeoutMs,
  );
}
