/**
 * A stream started from the room gets Tower's pre-commit guard at once, as with `tower start`,
 * not only when its agents launch (which an untrusted plan never does): `tower check` finds
 * nothing to report. The real room on a real repository.
 */
import { promises as fsp, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { guardState } from "../../src/agents/guard.js";
import { reloadPlan } from "../../src/engine/project.js";
import { startServices } from "../../src/ui/services/index.js";
import { cleanEnv, git, tower } from "../helpers/repo.js";
import { cleanup, fixture, onCleanup } from "./helpers.js";

afterEach(cleanup);

describe("stream.start in the room", () => {
  it("installs the guard in the new worktree before any agent runs", async () => {
    const f = await fixture();
    // Commands changed since trusted: no agent starts, so none installs the guard.
    const planFile = path.join(f.repo.root, "streams.yaml");
    const text = await fsp.readFile(planFile, "utf8");
    await fsp.writeFile(planFile, text.replace('"echo {task}"', '"echo changed {task}"'));
    await reloadPlan(f.project, cleanEnv());
    const services = await startServices(f.project, f.store, { session: { env: cleanEnv() } });
    onCleanup(() => services.close(500));
    const reply = await services.room.run({ type: "stream.start", stream: "A" });
    expect(reply).toMatchObject({ ok: true });
    const worktree = path.join(path.dirname(f.repo.root), "demo-stream-A");
    expect((await guardState(f.project.store, worktree)).kind).toBe("installed");
    const check = await tower(f.repo.root, ["check"]);
    expect(check.code, check.stderr).toBe(0);
  });

  it("says what it copied into the new worktree (.worktreeinclude)", async () => {
    const f = await fixture();
    const root = f.repo.root;
    writeFileSync(path.join(root, ".gitignore"), ".env\n");
    writeFileSync(path.join(root, ".worktreeinclude"), ".env\n");
    git(root, "add", ".gitignore", ".worktreeinclude");
    git(root, "commit", "-q", "-m", "include");
    writeFileSync(path.join(root, ".env"), "KEY=1\n");
    const services = await startServices(f.project, f.store, { session: { env: cleanEnv() } });
    onCleanup(() => services.close(500));
    const reply = await services.room.run({ type: "stream.start", stream: "A" });
    expect(reply).toMatchObject({
      ok: true,
      text: expect.stringContaining(
        "; copied 1 file named in .worktreeinclude from the main worktree (.env)",
      ),
    });
    const worktree = path.join(path.dirname(root), "demo-stream-A");
    expect(await fsp.readFile(path.join(worktree, ".env"), "utf8")).toBe("KEY=1\n");
  });
});
