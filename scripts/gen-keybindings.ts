/** Writes docs/keybindings.md and the README's key table from the key table. */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keybindingsMarkdown, withReadmeKeyTable } from "../src/ui/keys/docs.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const docs = path.join(root, "docs", "keybindings.md");
writeFileSync(docs, keybindingsMarkdown());
const readme = path.join(root, "README.md");
writeFileSync(readme, withReadmeKeyTable(readFileSync(readme, "utf8")));
process.stdout.write(`wrote ${docs} and the key table in ${readme}\n`);
