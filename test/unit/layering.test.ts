/** The layering rule: src/engine and src/pty never import Ink, React or src/ui. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../helpers/repo.js";

const biome = path.join(PROJECT_ROOT, "node_modules/.bin/biome");
let dir: string;

/** The project's own biome.json, applied to a copy of the layout in a temporary folder. */
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-lint-"));
  const config = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "biome.json"), "utf8")) as Record<
    string,
    unknown
  >;
  delete config.$schema;
  config.vcs = { enabled: false };
  writeFileSync(path.join(dir, "biome.json"), JSON.stringify(config));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(file: string, source: string): string {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), source);
  try {
    execFileSync(biome, ["lint", "--max-diagnostics=50", file], { cwd: dir, stdio: "pipe" });
    return "";
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer };
    return String(e.stderr ?? "") + String(e.stdout ?? "");
  }
}

describe("layering lint rule", () => {
  const bad =
    'import { render } from "ink";\nimport React from "react";\nimport { App } from "../ui/App.js";\n\nexport const x = [render, React, App];\n';
  it("fails on Ink, React or ui imports in src/engine and src/pty", () => {
    for (const file of ["src/engine/example.ts", "src/pty/example.ts"]) {
      const out = lint(file, bad);
      expect(out, file).toContain("noRestrictedImports");
      expect(out, file).toMatch(/must not depend on Ink/);
      expect(out, file).toMatch(/must not depend on React/);
      expect(out, file).toMatch(/must not import from src\/ui/);
    }
  });
  it("keeps src/agents to the engine: no Ink, React, pty, ui, room or cli", () => {
    const source =
      'import { render } from "ink";\nimport { Session } from "../pty/session.js";\nimport { x } from "../cli/main.js";\n\nexport const y = [render, Session, x];\n';
    const out = lint("src/agents/example.ts", source);
    expect(out).toMatch(/src\/agents must not depend on Ink/);
    expect(out).toMatch(/src\/agents calls only into src\/engine/);
  });
  it("allows the same imports in src/ui", () => {
    expect(lint("src/ui/example.ts", bad)).toBe("");
  });
});
