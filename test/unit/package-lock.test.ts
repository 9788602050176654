/**
 * `npm install` on a fresh clone must leave package-lock.json as committed (the README's first
 * command would otherwise leave the clone dirty): the lock's own entry for this package says
 * what package.json says. A stale `bin` path there made npm rewrite the lock.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../helpers/repo.js";

const read = (file: string) =>
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as Record<string, unknown>;

describe("package-lock.json", () => {
  it("records this package exactly as package.json declares it", () => {
    const pkg = read("package.json");
    const lock = read("package-lock.json") as { packages: Record<string, Record<string, unknown>> };
    const own = lock.packages[""];
    for (const key of [
      "name",
      "version",
      "license",
      "bin",
      "engines",
      "dependencies",
      "devDependencies",
    ]) {
      expect(own?.[key], key).toEqual(pkg[key]);
    }
  });
});
