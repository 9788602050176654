import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lostServer, wayBack } from "../../src/server/connect.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folders(name = "shop") {
  const base = mkdtempSync(path.join(os.tmpdir(), "tower-test-way-back-"));
  made.push(base);
  const root = path.join(base, name);
  mkdirSync(path.join(root, "src", "deep"), { recursive: true });
  mkdirSync(path.join(base, "elsewhere"));
  return { base, root };
}

describe("the way back to a local room", () => {
  it("is the short command inside the repository, at any depth, through a symlink too", () => {
    const { base, root } = folders();
    symlinkSync(root, path.join(base, "link"));
    for (const cwd of [root, path.join(root, "src", "deep"), path.join(base, "link", "src")]) {
      expect(wayBack(root, cwd)).toEqual({ reopen: "tower attach", restart: "tower" });
    }
  });

  it("names the repository from anywhere else, a neighbour whose name begins the same too", () => {
    const { base, root } = folders();
    mkdirSync(`${root}-other`);
    for (const cwd of [path.join(base, "elsewhere"), base, `${root}-other`]) {
      expect(wayBack(root, cwd)).toEqual({
        reopen: `tower attach ${root}`,
        restart: `tower attach --start ${root}`,
      });
    }
  });

  it("quotes a repository whose path a shell would split", () => {
    const { base, root } = folders("it's a shop");
    expect(wayBack(root, base).reopen).toBe(`tower attach '${base}/it'\\''s a shop'`);
  });

  it("is what a lost server's message says to run", () => {
    const { base, root } = folders();
    const said = lostServer(42, "/run/room", wayBack(root, base).restart);
    expect(said).toContain(`\`tower attach --start ${root}\` starts a new server`);
    expect(lostServer(42, "/run/room")).toContain("`tower` starts a new server");
  });
});
