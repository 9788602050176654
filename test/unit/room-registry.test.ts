/**
 * The registry of rooms (src/server/registry.ts) that lets `tower ls` list servers of other
 * runtime folders: an entry is only a pointer, read where it names a private folder of this
 * user, in one, and a live server answers there.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { INFO_FILE, listRooms, type ServerInfo } from "../../src/server/info.js";
import { registeredRooms, registerRoom, unregisterRoom } from "../../src/server/registry.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A room folder `room` in runtime folder `runtime`, holding the info of a live server. */
function roomWithServer(runtime: string, room: string, pid = process.pid): ServerInfo {
  const dir = path.join(runtime, room);
  mkdirSync(dir, { mode: 0o700 });
  const info: ServerInfo = {
    pid,
    repo: `/repos/${room}`,
    project: room,
    socket: path.join(dir, "room.sock"),
    started: new Date().toISOString(),
    agents: { running: 0, total: 0 },
    clients: 0,
    version: "test",
  };
  writeFileSync(path.join(dir, INFO_FILE), JSON.stringify(info));
  return info;
}

describe("the registry of rooms", () => {
  it("lists a server of another runtime folder only where both folders are private and the server lives", async () => {
    const config = temp("tower-reg-config-");
    const own = temp("tower-reg-own-");
    const parent = temp("tower-reg-other-");
    const other = path.join(parent, `tower-${process.getuid?.()}`);
    mkdirSync(other, { mode: 0o700 });
    const env = { TOWER_CONFIG_DIR: config, XDG_RUNTIME_DIR: own };
    const info = roomWithServer(other, "abc123");
    const dir = path.join(other, "abc123");

    expect(await listRooms(env)).toEqual([]);
    await registerRoom(dir, env);
    expect(await registeredRooms(env)).toEqual([dir]);
    expect(await listRooms(env)).toEqual([info]);

    // A runtime folder others can open, or a room folder others can: not read.
    chmodSync(other, 0o755);
    expect(await listRooms(env)).toEqual([]);
    chmodSync(other, 0o700);
    chmodSync(dir, 0o750);
    expect(await listRooms(env)).toEqual([]);
    chmodSync(dir, 0o700);
    expect(await listRooms(env)).toEqual([info]);

    // A server that is gone is not listed, its entry left or not.
    roomWithServer(other, "dead", 2 ** 22 + 12_345);
    await registerRoom(path.join(other, "dead"), env);
    expect(await listRooms(env)).toEqual([info]);

    // Removed at the server's stop; an entry naming another folder of that name is kept.
    await unregisterRoom(path.join(own, "abc123"), env);
    expect(await registeredRooms(env)).toContain(dir);
    await unregisterRoom(dir, env);
    expect(await registeredRooms(env)).toEqual([path.join(other, "dead")]);
    expect(await listRooms(env)).toEqual([]);
  });

  it("ignores an entry that is not one (no folder, a relative path, not JSON)", async () => {
    const config = temp("tower-reg-config-");
    mkdirSync(path.join(config, "rooms"), { recursive: true });
    writeFileSync(path.join(config, "rooms", "a.json"), "{not json");
    writeFileSync(path.join(config, "rooms", "b.json"), JSON.stringify({ dir: "relative/x" }));
    writeFileSync(path.join(config, "rooms", "c.json"), JSON.stringify({ folder: "/x" }));
    const env = { TOWER_CONFIG_DIR: config, XDG_RUNTIME_DIR: temp("tower-reg-own-") };
    expect(await registeredRooms(env)).toEqual([]);
    expect(await listRooms(env)).toEqual([]);
  });
});
