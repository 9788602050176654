import type { Command } from "commander";
import { streamsJsonSchema } from "../../engine/plan/index.js";
import { printJson } from "../format.js";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of streams.yaml (for editor completion)")
    .action(() => printJson(streamsJsonSchema()));
}
