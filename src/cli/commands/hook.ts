import type { Command } from "commander";
import { KNOWN_HOOK_EVENTS } from "../../agents/hook-events.js";

/**
 * `tower hook <event>` for help and usage; the command itself runs from main.ts without loading
 * the rest of the CLI (see hook-main.ts).
 */
export function registerHook(program: Command): void {
  program
    .command("hook")
    .description(
      "answer a Claude Code, Codex or Gemini CLI hook event of an agent Tower started (JSON on stdin and stdout)",
    )
    .argument("<event>", `one of ${KNOWN_HOOK_EVENTS.join(", ")}`)
    .action(async (event: string) => {
      const { runHookCommand } = await import("../hook-main.js");
      process.exitCode = await runHookCommand([event]);
    });
}
