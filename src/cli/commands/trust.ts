import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { planCommands, trustPlan, trustState } from "../../engine/trust.js";
import { loadContext } from "../context.js";
import { refused } from "../errors.js";

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * `tower trust`: shows every command the plan would run (agents, validate, run: checkpoints),
 * with what changed since it was last trusted, and records the user's trust on this machine.
 */
export function registerTrust(program: Command): void {
  program
    .command("trust")
    .description(
      "review the commands streams.yaml would run and trust them on this machine (nothing runs until you do)",
    )
    .option("--yes", "trust without asking")
    .option("--show", "only show the commands and whether they are trusted")
    .action(async (options: { yes?: boolean; show?: boolean }) => {
      const context = await loadContext();
      const { plan } = context;
      const state = await trustState(plan);
      const out = process.stdout;
      if (state.trusted) {
        out.write(`${plan.file}: trusted on this machine\n`);
        if (options.show)
          for (const [where, command] of planCommands(plan)) out.write(`  ${where}: ${command}\n`);
        return;
      }
      out.write(
        state.reason === "new"
          ? `${plan.file} is not trusted on this machine. Its commands:\n`
          : `The commands in ${plan.file} changed since you trusted it:\n`,
      );
      const lines =
        state.reason === "new"
          ? [...state.commands].map(([w, c]) => `  ${w}: ${c}`)
          : state.changes.map((c) => `  ${c}`);
      out.write(`${lines.join("\n")}\n`);
      if (options.show) return;
      const yes =
        options.yes ||
        (process.stdin.isTTY && (await ask("Trust these commands on this machine? [y/N] ")));
      if (!yes) {
        throw refused(
          process.stdin.isTTY
            ? "not trusted: nothing changed"
            : "not trusted: run `tower trust` in a terminal, or `tower trust --yes`",
        );
      }
      await trustPlan(plan);
      out.write(`trusted ${plan.file}\n`);
    });
}
