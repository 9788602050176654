/** Writes streams.schema.json at the repository root. Run: npx tsx scripts/gen-schema.ts */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderStreamsJsonSchema } from "../src/engine/plan/json-schema.js";

const target = fileURLToPath(new URL("../streams.schema.json", import.meta.url));
writeFileSync(target, renderStreamsJsonSchema());
console.log(`wrote ${target}`);
