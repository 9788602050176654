/** Writes docs/keybindings.md from the key table. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keybindingsMarkdown } from "../src/ui/keys/docs.js";

const file = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "docs",
  "keybindings.md",
);
writeFileSync(file, keybindingsMarkdown());
process.stdout.write(`wrote ${file}\n`);
