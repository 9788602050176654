/**
 * Many writers at once on one lock file: eight `tower` processes, and the protocol's own kind of
 * Python writer (fcntl.flock + in-place rewrite). No acquire may be lost, no update dropped.
 */
import { spawn } from "node:child_process";
import { promises as fsp, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  makeRepo,
  readJson,
  readJsonlFile,
  run,
  type TempRepo,
  tower,
} from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

const locksFile = () => path.join(repo.stateDir, "file_locks.json");
const AGENTS = ["A1", "A2", "B1", "B2", "C1", "C2", "D1", "D2"];

/** One worker: N times, take the shared lock (retrying while refused) with a path of its own, then release the shared one. */
const WORKER = `
set -u
agent=$1; rounds=$2; got=0
for i in $(seq 1 "$rounds"); do
  while :; do
    node "$CLI" lock shared.txt "own/$agent-$i.txt" --agent "$agent" >/dev/null 2>err.$agent; rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 3 ] || { cat err.$agent >&2; exit 10; }
    sleep 0.05
  done
  got=$((got + 1))
  node "$CLI" unlock shared.txt --agent "$agent" >/dev/null || exit 11
done
echo "$got"
`;

describe("contention on file_locks.json", () => {
  it("eight tower processes: every acquire accounted for, no lost update, valid JSON at the end", async () => {
    const rounds = 3;
    const results = await Promise.all(
      AGENTS.map((agent) =>
        run("sh", ["-c", WORKER, "worker", agent, String(rounds)], repo.root, { CLI }),
      ),
    );
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(String(rounds));
    }
    const file = (await readJson(locksFile())) as {
      locks: Record<string, { agent: string }>;
      version: number;
    };
    const expected = AGENTS.flatMap((a) =>
      Array.from({ length: rounds }, (_, i) => `own/${a}-${i + 1}.txt`),
    ).sort();
    expect(Object.keys(file.locks).sort()).toEqual(expected);
    for (const key of expected) expect(file.locks[key]?.agent).toBe(key.slice(4, 6));

    // The log shows the shared lock passing from hand to hand: taken, released by the same agent,
    // taken again (each refusal a worker met on the way is logged too, as "refused").
    const all = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    const events = all.filter((e) => e.file === "shared.txt" && e.action !== "refused");
    for (const refusal of all.filter((e) => e.action === "refused")) {
      expect(refusal).toMatchObject({ what: "lock", file: "shared.txt" });
      expect(refusal["holder"]).not.toBe(refusal["agent"]);
    }
    expect(events).toHaveLength(AGENTS.length * rounds * 2);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]).toMatchObject({ action: "locked" });
      expect(events[i + 1]).toMatchObject({ action: "released", agent: events[i]?.agent });
    }
    // About a hundred Node processes on a 2-core machine: give it room on a busy one.
  }, 240_000);

  it("a Python writer using fcntl.flock and in-place rewrites and tower lock see each other's locks", async () => {
    const python = `
import datetime, fcntl, json, os, sys
path, rounds = sys.argv[1], int(sys.argv[2])
for i in range(rounds):
    with open(path, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        data = json.load(f)
        now = datetime.datetime.now()
        data["locks"][f"py/{i}.py"] = {"agent": "py", "stream": "P", "acquired": now.isoformat(),
            "expires": (now + datetime.timedelta(hours=1)).isoformat(), "task": "python"}
        f.seek(0); f.truncate(); json.dump(data, f, indent=2); f.flush(); os.fsync(f.fileno())
        fcntl.flock(f, fcntl.LOCK_UN)
`;
    // The protocol's helper compares expires with its own naive clock: Tower's entries must parse.
    const pythonReader = `
import datetime, json, sys
with open(sys.argv[1]) as f:
    data = json.load(f)
live = [k for k, v in data["locks"].items() if datetime.datetime.fromisoformat(v["expires"]) > datetime.datetime.now()]
print(len([k for k in live if k.startswith("tw/")]))
`;
    const rounds = 40;
    const towerLoop = `for i in $(seq 1 12); do node "$CLI" lock "tw/$i.py" --agent A1 >/dev/null || exit 1; done`;
    const [py, tw] = await Promise.all([
      run("python3", ["-c", python, locksFile(), String(rounds)], repo.root),
      run("sh", ["-c", towerLoop], repo.root, { CLI }),
    ]);
    expect(tw.code).toBe(0);
    expect(py.stderr).toBe("");
    expect(py.code).toBe(0);
    const file = (await readJson(locksFile())) as { locks: Record<string, unknown> };
    const keys = Object.keys(file.locks);
    expect(keys.filter((k) => k.startsWith("py/"))).toHaveLength(rounds);
    expect(keys.filter((k) => k.startsWith("tw/"))).toHaveLength(12);
    // Python, reading after both finished, sees all of Tower's locks as live.
    const seen = await run("python3", ["-c", pythonReader, locksFile()], repo.root);
    expect(seen.stderr).toBe("");
    expect(seen.stdout.trim()).toBe("12");
    // And Tower sees Python's locks.
    const listed = JSON.parse((await tower(repo.root, ["locks", "--json"])).stdout) as {
      path: string;
      agent: string;
      expired: boolean;
    }[];
    expect(listed.filter((l) => l.agent === "py" && !l.expired)).toHaveLength(rounds);
  });

  it("waits while a Python process holds fcntl.flock(LOCK_EX) on the file, and keeps that process's update", async () => {
    // Python reads the file as soon as it holds the lock, waits, then writes back: if Tower wrote
    // in between, Python's stale write would erase Tower's lock.
    const python = `
import fcntl, json, os, sys, time
path = sys.argv[1]
with open(path, "r+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    data = json.load(f)
    print("held", flush=True)
    sys.stdin.readline()
    data["locks"]["py.txt"] = {"agent": "py", "stream": "P", "acquired": "2030-01-01T00:00:00.000000",
        "expires": "2030-01-01T01:00:00.000000", "task": "held"}
    f.seek(0); f.truncate(); json.dump(data, f); f.flush(); os.fsync(f.fileno())
    fcntl.flock(f, fcntl.LOCK_UN)
print("released", flush=True)
`;
    const holder = spawn("python3", ["-c", python, locksFile()], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    holder.stdout.on("data", (chunk) => (out += String(chunk)));
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    expect(out).toContain("held");
    const locking = tower(repo.root, ["lock", "tw.txt", "--agent", "A1"]);
    let towerDone = false;
    void locking.then(() => (towerDone = true));
    // Give Tower every chance to (wrongly) go ahead, then check it has not.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(towerDone).toBe(false);
    expect(await fsp.readFile(locksFile(), "utf8")).not.toContain("tw.txt");
    holder.stdin.write("\n");
    const result = await locking;
    expect(result.code).toBe(0);
    const file = (await readJson(locksFile())) as { locks: Record<string, unknown> };
    expect(Object.keys(file.locks).sort()).toEqual(["py.txt", "tw.txt"]);
  });

  it("a writer killed with SIGKILL in the middle of its writes: the next command finds good content", async () => {
    const writer = `
      const { updateJsonFile } = await import(${JSON.stringify(path.resolve("dist/engine/state/json-file.js"))});
      const { specs } = await import(${JSON.stringify(path.resolve("dist/engine/state/formats.js"))});
      const file = process.argv[1];
      const pad = "x".repeat(400);
      for (let i = 0; ; i++) {
        await updateJsonFile(file, specs.locks, (v) => {
          v.locks["k" + i] = { agent: "A1", stream: "A", acquired: "2030-01-01T00:00:00.000000", expires: "2030-01-01T01:00:00.000000", task: pad };
        });
        if (i === 20) process.stdout.write("going\\n");
      }`;
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", writer, locksFile()], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 37));
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      // Read-only commands may only report a file read from its last good copy, and write nothing.
      const listed = await tower(repo.root, ["locks", "--json"]);
      expect(listed.stderr.replace(/warning: file_locks\.json .*last good copy.*\n/g, "")).toBe("");
      expect(listed.code).toBe(0);
      const count = (JSON.parse(listed.stdout) as unknown[]).length;
      expect(count).toBeGreaterThan(20);
      const check = await tower(repo.root, ["check"]);
      const problems = check.stderr
        .split("\n")
        .filter((l) => /\S/.test(l) && !/problems? found/.test(l));
      expect(
        problems.filter((l) => !/file_locks\.json .*last good copy/.test(l)),
        check.stderr,
      ).toEqual([]);
      // The next writer writes the recovered content back, whole.
      expect((await tower(repo.root, ["lock", `probe-${round}.py`, "--agent", "A2"])).code).toBe(0);
      const written = JSON.parse(await fsp.readFile(locksFile(), "utf8")) as { locks: object };
      expect(Object.keys(written.locks).length).toBe(count + 1);
      expect((await tower(repo.root, ["check"])).code).toBe(0);
    }
  });
});

describe("reading while a writer rewrites in place", () => {
  it("a reader never sees partial content", async () => {
    writeFileSync(locksFile(), JSON.stringify({ locks: {}, version: 1 }));
    const writer = run(
      "sh",
      [
        "-c",
        `for i in $(seq 1 15); do node "$CLI" lock "f$i.py" --agent A1 >/dev/null || exit 1; done`,
      ],
      repo.root,
      { CLI },
    );
    let reads = 0;
    let done = false;
    void writer.then(() => (done = true));
    while (!done) {
      const listed = await tower(repo.root, ["locks", "--json"]);
      expect(listed.code, listed.stderr).toBe(0);
      reads++;
    }
    expect((await writer).code).toBe(0);
    expect(reads).toBeGreaterThan(0);
  });
});
