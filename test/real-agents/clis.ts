/**
 * Where the pinned agent CLIs are: installed by `bash scripts/install-agent-clis.sh` into
 * `<cache>/<package name>-<version>` (cache: `TOWER_AGENT_CLIS`, default
 * `~/.cache/tower-agent-clis`), never into the project's dependencies. The pins are in
 * clis.json, which the install script reads too.
 *
 * A test that needs a CLI calls `cliBinary`, which throws with the command that installs it: a
 * missing CLI fails the real-agents tests, it never skips them (CI installs the CLIs).
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export type AgentCli = "claude" | "codex" | "gemini";

export interface CliPin {
  package: string;
  version: string;
  bin: string;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const CLI_PINS: Readonly<Record<AgentCli, CliPin>> = JSON.parse(
  readFileSync(path.join(HERE, "clis.json"), "utf8"),
);

/** The cache folder the CLIs are installed in. */
export function cliCache(): string {
  return process.env.TOWER_AGENT_CLIS || path.join(os.homedir(), ".cache", "tower-agent-clis");
}

/** The folder a CLI is installed in (whether or not it is there). */
export function cliDir(cli: AgentCli): string {
  const pin = CLI_PINS[cli];
  return path.join(cliCache(), `${pin.package.split("/").pop()}-${pin.version}`);
}

/** The CLI's executable; throws, saying how to install it, when it is not installed. */
export function cliBinary(cli: AgentCli): string {
  const pin = CLI_PINS[cli];
  const dir = cliDir(cli);
  const binary = path.join(dir, "node_modules", ".bin", pin.bin);
  if (!existsSync(path.join(dir, ".installed")) || !existsSync(binary)) {
    throw new Error(
      `${pin.package}@${pin.version} is not installed in ${dir}: run \`bash scripts/install-agent-clis.sh\` ` +
        `(set TOWER_AGENT_CLIS to use another cache folder)`,
    );
  }
  return binary;
}
