/**
 * The Gemini home Tower makes for an agent (src/agents/gemini-home.ts): the user's settings with
 * Tower's MCP server added, links to everything else of theirs, nothing of theirs written.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  GEMINI_BRIEFING_FILE,
  makeGeminiHome,
  stripJsonComments,
} from "../../src/agents/gemini-home.js";
import { RefusedError } from "../../src/engine/errors.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const temp = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-gemini-home-"));
  dirs.push(dir);
  return dir;
};

const TOWER = { tower: { command: "node", args: ["tower.js", "mcp"], trust: true } };

function userHome(settings?: string): string {
  const home = temp();
  const dot = path.join(home, ".gemini");
  mkdirSync(path.join(dot, "tmp", "proj", "chats"), { recursive: true });
  writeFileSync(path.join(dot, "oauth_creds.json"), '{"token":"t"}\n');
  writeFileSync(path.join(dot, "trustedFolders.json"), "{}\n");
  if (settings !== undefined) writeFileSync(path.join(dot, "settings.json"), settings);
  writeFileSync(path.join(home, ".env"), "GEMINI_API_KEY=k\n");
  return home;
}

describe("Gemini's home for an agent", () => {
  it("holds the user's settings with Tower's server added, and links to the rest of theirs", async () => {
    const settings = `{
  // the user's own comment, and a // in a string
  "ui": { "theme": "a // b" },
  /* their server */
  "mcpServers": { "mine": { "command": "mine" } }
}
`;
    const home = userHome(settings);
    const folder = path.join(temp(), "gemini-home");
    const made = await makeGeminiHome(folder, { HOME: home }, TOWER);
    expect(made).toBe(folder);
    const ours = JSON.parse(readFileSync(path.join(folder, ".gemini", "settings.json"), "utf8"));
    expect(ours).toEqual({
      ui: { theme: "a // b" },
      mcpServers: { mine: { command: "mine" }, ...TOWER },
    });
    expect(lstatSync(path.join(folder, ".gemini", "settings.json")).mode & 0o777).toBe(0o600);
    for (const name of ["tmp", "oauth_creds.json", "trustedFolders.json"])
      expect(readlinkSync(path.join(folder, ".gemini", name))).toBe(
        path.join(home, ".gemini", name),
      );
    expect(readlinkSync(path.join(folder, ".env"))).toBe(path.join(home, ".env"));
    // The user's own files as they were.
    expect(readFileSync(path.join(home, ".gemini", "settings.json"), "utf8")).toBe(settings);
  });

  it("has Tower's briefing as a context file of its own, after the user's context files; none without a briefing", async () => {
    const folder = path.join(temp(), "gemini-home");
    const briefingFile = path.join(folder, ".gemini", GEMINI_BRIEFING_FILE);
    const fileNames = async (settings: string | undefined, briefing?: string) => {
      await makeGeminiHome(folder, { HOME: userHome(settings) }, TOWER, {}, briefing);
      const ours = JSON.parse(readFileSync(path.join(folder, ".gemini", "settings.json"), "utf8"));
      return ours.context?.fileName;
    };
    // Gemini's default name kept before it.
    expect(await fileNames(undefined, "You are agent A1")).toEqual([
      "GEMINI.md",
      GEMINI_BRIEFING_FILE,
    ]);
    expect(readFileSync(briefingFile, "utf8")).toBe("You are agent A1\n");
    expect(lstatSync(briefingFile).mode & 0o777).toBe(0o600);
    // The user's names (one, or a list), and the rest of their context settings.
    expect(
      await fileNames(
        JSON.stringify({ context: { fileName: "AGENTS.md", discoveryMaxDirs: 5 } }),
        "b",
      ),
    ).toEqual(["AGENTS.md", GEMINI_BRIEFING_FILE]);
    expect(
      await fileNames(JSON.stringify({ context: { fileName: ["A.md", "B.md"] } }), "b"),
    ).toEqual(["A.md", "B.md", GEMINI_BRIEFING_FILE]);
    // Without a briefing: the user's settings as they are, and no briefing file left.
    expect(await fileNames(JSON.stringify({ context: { fileName: "AGENTS.md" } }))).toBe(
      "AGENTS.md",
    );
    expect(existsSync(briefingFile)).toBe(false);
  });

  it("links no file of the user's in the briefing's place", async () => {
    const home = userHome();
    writeFileSync(path.join(home, ".gemini", GEMINI_BRIEFING_FILE), "theirs\n");
    const folder = path.join(temp(), "gemini-home");
    await makeGeminiHome(folder, { HOME: home }, TOWER, {}, "ours");
    const file = path.join(folder, ".gemini", GEMINI_BRIEFING_FILE);
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("ours\n");
    expect(readFileSync(path.join(home, ".gemini", GEMINI_BRIEFING_FILE), "utf8")).toBe("theirs\n");
  });

  it("keeps Tower's server allowed and not excluded whatever the user's mcp lists say, and the rest of them", async () => {
    const home = userHome(
      JSON.stringify({
        mcp: { allowed: ["mine"], excluded: ["tower", "theirs"], serverCommand: "x" },
      }),
    );
    const folder = path.join(temp(), "gemini-home");
    await makeGeminiHome(folder, { HOME: home }, TOWER);
    const ours = JSON.parse(readFileSync(path.join(folder, ".gemini", "settings.json"), "utf8"));
    expect(ours.mcp).toEqual({
      allowed: ["mine", "tower"],
      excluded: ["theirs"],
      serverCommand: "x",
    });
    // No list, or an empty one (which allows every server): nothing added.
    for (const mcp of [undefined, { allowed: [] }, { allowed: ["tower"] }, null]) {
      const other = userHome(JSON.stringify(mcp === undefined ? {} : { mcp }));
      const at = path.join(temp(), "gemini-home");
      await makeGeminiHome(at, { HOME: other }, TOWER);
      const made = JSON.parse(readFileSync(path.join(at, ".gemini", "settings.json"), "utf8"));
      expect(made.mcp, JSON.stringify(mcp)).toEqual(mcp);
    }
  });

  it("runs Tower's hooks after the user's own for the same event", async () => {
    const mine = { matcher: "*", hooks: [{ type: "command", command: "mine" }] };
    const home = userHome(JSON.stringify({ hooks: { BeforeTool: [mine], SessionEnd: [mine] } }));
    const folder = path.join(temp(), "gemini-home");
    const ours = { matcher: "write_file|replace", hooks: [{ type: "command", command: "tower" }] };
    await makeGeminiHome(folder, { HOME: home }, TOWER, { BeforeTool: [ours], AfterTool: [ours] });
    const settings = JSON.parse(
      readFileSync(path.join(folder, ".gemini", "settings.json"), "utf8"),
    );
    expect(settings.hooks).toEqual({
      BeforeTool: [mine, ours],
      SessionEnd: [mine],
      AfterTool: [ours],
    });
  });

  it("keeps Tower's hooks on when the user's settings turn hooks off or disable Tower's", async () => {
    const mine = { matcher: "*", hooks: [{ type: "command", command: "mine" }] };
    const home = userHome(
      JSON.stringify({
        hooks: { BeforeTool: [mine] },
        hooksConfig: {
          enabled: false,
          disabled: ["mine", "tower", "tower after"],
          notifications: false,
        },
      }),
    );
    const folder = path.join(temp(), "gemini-home");
    const before = { matcher: "write_file", hooks: [{ type: "command", command: "tower" }] };
    const after = { matcher: "write_file", hooks: [{ type: "command", command: "tower after" }] };
    await makeGeminiHome(folder, { HOME: home }, TOWER, {
      BeforeTool: [before],
      AfterTool: [after],
    });
    const settings = JSON.parse(
      readFileSync(path.join(folder, ".gemini", "settings.json"), "utf8"),
    );
    // Hooks on (Gemini runs none with `enabled: false`), the user's own still disabled as they
    // asked, none of Tower's: its locks and scope bind.
    expect(settings.hooksConfig).toEqual({
      enabled: true,
      disabled: ["mine"],
      notifications: false,
    });
    expect(settings.hooks.BeforeTool).toEqual([mine, before]);
  });

  it("follows the user's GEMINI_CLI_HOME, and works with no settings or .gemini of theirs", async () => {
    const theirs = userHome();
    const folder = path.join(temp(), "gemini-home");
    await makeGeminiHome(folder, { HOME: temp(), GEMINI_CLI_HOME: theirs }, TOWER);
    expect(readlinkSync(path.join(folder, ".gemini", "tmp"))).toBe(
      path.join(theirs, ".gemini", "tmp"),
    );
    const bare = path.join(temp(), "gemini-home");
    await makeGeminiHome(bare, { HOME: temp() }, TOWER);
    expect(JSON.parse(readFileSync(path.join(bare, ".gemini", "settings.json"), "utf8"))).toEqual({
      mcpServers: TOWER,
    });
  });

  it("made again, follows what the user has now and keeps what Gemini made in it", async () => {
    const home = userHome("{}");
    const folder = path.join(temp(), "gemini-home");
    await makeGeminiHome(folder, { HOME: home }, TOWER);
    // Gemini made a folder of its own there; the user removed a file and added one.
    mkdirSync(path.join(folder, ".gemini", "history"));
    writeFileSync(path.join(folder, ".gemini", "history", "h"), "kept");
    rmSync(path.join(home, ".gemini", "oauth_creds.json"));
    writeFileSync(path.join(home, ".gemini", "GEMINI.md"), "# mine\n");
    rmSync(path.join(home, ".env"));
    await makeGeminiHome(folder, { HOME: home }, TOWER);
    expect(() => lstatSync(path.join(folder, ".gemini", "oauth_creds.json"))).toThrow();
    expect(readlinkSync(path.join(folder, ".gemini", "GEMINI.md"))).toBe(
      path.join(home, ".gemini", "GEMINI.md"),
    );
    expect(readFileSync(path.join(folder, ".gemini", "history", "h"), "utf8")).toBe("kept");
    expect(() => lstatSync(path.join(folder, ".env"))).toThrow();
  });

  it("refuses, naming the file, when the user's settings cannot be read as Gemini reads them: Gemini without Tower's hooks would write past every lock", async () => {
    const home = userHome("{ not json");
    const folder = path.join(temp(), "gemini-home");
    const file = path.join(home, ".gemini", "settings.json");
    const made = makeGeminiHome(folder, { HOME: home }, TOWER);
    await expect(made).rejects.toThrow(RefusedError);
    await expect(made).rejects.toThrow(`${file} is not JSON`);
    expect(readFileSync(file, "utf8")).toBe("{ not json");
    const list = makeGeminiHome(folder, { HOME: userHome("[1]") }, TOWER);
    await expect(list).rejects.toThrow("is not a JSON object");
  });

  it("strips comments outside strings only", () => {
    expect(stripJsonComments('{"a":"x//y", // c\n"b":/* d */1}')).toBe('{"a":"x//y", \n"b": 1}');
    expect(stripJsonComments('{"a":"q\\"//"}')).toBe('{"a":"q\\"//"}');
  });
});
