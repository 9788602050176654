/** docs/keybindings.md and the help screen, generated from the key table. */
import { type Category, displayKey, KEY_TABLE, type KeyCommand } from "./table.js";

const CATEGORIES: readonly Category[] = [
  "Panes",
  "Agents",
  "Streams",
  "Checkpoints and locks",
  "General",
];

/** Commands grouped by category, in table order. */
export function byCategory(table: readonly KeyCommand[] = KEY_TABLE): [Category, KeyCommand[]][] {
  return CATEGORIES.map((category): [Category, KeyCommand[]] => [
    category,
    table.filter((c) => c.category === category),
  ]).filter(([, commands]) => commands.length > 0);
}

export function keybindingsMarkdown(table: readonly KeyCommand[] = KEY_TABLE): string {
  const out = [
    "# Keys of the control room",
    "",
    "Generated from the key table (`src/ui/keys/table.ts`) by `npx tsx scripts/gen-keybindings.ts`;",
    "a test fails when this file is stale. Change keys in `streams.yaml`, by command id:",
    "",
    "```yaml",
    "ui:",
    "  keys:",
    "    agent.handoff: o",
    "    mode.normal: ctrl+g",
    '    app.help: ["?", F]',
    "```",
    "",
    "Normal mode: keys are Tower commands. Insert mode: keys go to the selected agent, except the",
    "escape key, which returns to normal mode. A key that does not apply now says why in the footer.",
  ];
  for (const [category, commands] of byCategory(table)) {
    out.push(
      "",
      `## ${category}`,
      "",
      "| keys | command | id | mode |",
      "| --- | --- | --- | --- |",
    );
    for (const c of commands) {
      const keys = c.keys.map((k) => `\`${displayKey(k).replace("|", "\\|")}\``).join(", ");
      out.push(`| ${keys} | ${c.description} | \`${c.id}\` | ${c.mode} |`);
    }
  }
  return `${out.join("\n")}\n`;
}
