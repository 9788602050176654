/**
 * Gemini CLI's home for an agent: how Tower's MCP server reaches Gemini without a file of the
 * user's being written.
 *
 * Gemini takes no settings file on its command line. The two it reads from a path in the
 * environment (`GEMINI_CLI_SYSTEM_SETTINGS_PATH`, `GEMINI_CLI_SYSTEM_DEFAULTS_PATH`) it reads only
 * when the file and every folder above it belong to root and no one else may write them (0.61:
 * "Security Warning: Skipping system defaults file ...: Parent directory '/tmp' is insecure"),
 * which a file of Tower's in a repository never is. What it does follow is `GEMINI_CLI_HOME`:
 * the folder whose `.gemini` (and `.env`) it uses instead of the user's home's.
 *
 * So each agent gets a home of Tower's, in its launch folder: its `.gemini/settings.json` is the
 * user's own settings with Tower's MCP server added to theirs and Tower's hooks after theirs, and every other entry of the
 * user's `.gemini` (credentials, trusted folders, the sessions in `tmp/`, extensions, commands,
 * GEMINI.md, policies, ...) is a symbolic link to the user's own, so Gemini finds them where they
 * are and keeps its sessions with the user's. Nothing of the user's is written. A setting that
 * Gemini itself changes while it runs (`/settings`) goes to Tower's copy and is not kept: each
 * launch copies the user's settings again. The workspace settings of the folder Gemini starts
 * in (`.gemini/settings.json`) come after these, and can switch the hooks off: see
 * gemini-workspace.ts.
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RefusedError } from "../engine/errors.js";
import { isRecord } from "../engine/plan/report.js";
import { makeStateFolder, writeStateFile } from "../engine/state/index.js";
import { withNames } from "./codex-config.js";

const SETTINGS = "settings.json";

/**
 * Tower's briefing of the agent, in its Gemini home: one of Gemini's context files (its
 * `context.fileName`, after the user's own), which Gemini reads into its instructions at every
 * start and after `/clear`. (Gemini has no flag for instructions of its own.)
 */
export const GEMINI_BRIEFING_FILE = "TOWER-BRIEFING.md";

/** The context files' names Gemini looks for with these settings (`GEMINI.md` by default). */
export function geminiContextNames(settings: Record<string, unknown> | undefined): string[] {
  const context = settings?.context;
  const names = isRecord(context) ? context.fileName : undefined;
  if (typeof names === "string") return [names];
  if (Array.isArray(names)) return names.filter((n): n is string => typeof n === "string");
  return ["GEMINI.md"];
}

/** The folder Gemini would use as its home with this environment (`GEMINI_CLI_HOME`, `HOME`). */
export function userGeminiHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.GEMINI_CLI_HOME || env.HOME || os.homedir();
}

/** JSON with `//` and `/* *\/` comments, as Gemini reads its settings, without the comments. */
export function stripJsonComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
      out += " ";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * The user's Gemini settings, or undefined when there is no such file. A file that cannot be
 * read as Gemini reads it is refused (a RefusedError naming it): Tower's hooks and MCP server go
 * into a copy of it, and a Gemini started without them would write past every lock.
 */
async function userSettings(file: string): Promise<Record<string, unknown> | undefined> {
  const refuse = (what: string) =>
    new RefusedError(
      `${file} ${what}: Gemini CLI reads it as your settings, and Tower starts its Gemini agents with a copy of it that has Tower's hooks and MCP server added. Correct it, then start the agent again`,
    );
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw refuse(`cannot be read (${code ?? (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(stripJsonComments(text));
  } catch (error) {
    throw refuse(`is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw refuse("is not a JSON object");
  return value as Record<string, unknown>;
}

/** `link` made (or kept) a symbolic link to `target`; anything else Tower made there goes. */
async function linkTo(link: string, target: string): Promise<void> {
  const now = await fsp.readlink(link).catch(() => undefined);
  if (now === target) return;
  // Only Tower's own links and copies are ever in Tower's folder; a folder Gemini made there
  // (its home had no such entry then) stays, and the user's entry is not linked over it.
  const stat = await fsp.lstat(link).catch(() => undefined);
  if (stat?.isDirectory()) return;
  if (stat) await fsp.rm(link, { force: true });
  await fsp.symlink(target, link);
}

/**
 * Makes the agent's Gemini home in `folder` (`<folder>/.gemini`): the user's settings with
 * `servers` added to their `mcpServers` (allowed and not excluded whatever their `mcp` lists
 * say) and `hooks` after theirs (kept on: see below), links to the rest of the user's `.gemini` and to their
 * `.env`. Returns the folder to give Gemini as `GEMINI_CLI_HOME`, or undefined when the user's
 * settings cannot be read as Gemini reads them (Gemini then runs with them as they are and says
 * what is wrong with them; Tower's tools are missing). `folder` and its `.gemini` are made below
 * `folder`'s parent (which must be there: the agent's launch folder) one at a time, none of them
 * a link (makeStateFolder): Tower's own links are made only inside them.
 */
export async function makeGeminiHome(
  folder: string,
  env: NodeJS.ProcessEnv | undefined,
  servers: Record<string, unknown>,
  hooks: Record<string, unknown[]> = {},
  briefing?: string,
): Promise<string> {
  const home = userGeminiHome(env);
  const theirs = path.join(home, ".gemini");
  const settings = await userSettings(path.join(theirs, SETTINGS));
  const ours = path.join(folder, ".gemini");
  await makeStateFolder(path.dirname(folder), ours, 0o700);
  const entries = await fsp.readdir(theirs).catch(() => [] as string[]);
  const wanted = new Set(
    entries.filter((name) => name !== SETTINGS && name !== GEMINI_BRIEFING_FILE),
  );
  for (const name of wanted) await linkTo(path.join(ours, name), path.join(theirs, name));
  // Links to entries the user no longer has go (links only: Gemini's own files stay).
  for (const name of await fsp.readdir(ours)) {
    if (name === SETTINGS || name === GEMINI_BRIEFING_FILE || wanted.has(name)) continue;
    const stat = await fsp.lstat(path.join(ours, name)).catch(() => undefined);
    if (stat?.isSymbolicLink()) await fsp.rm(path.join(ours, name), { force: true });
  }
  const dotEnv = path.join(home, ".env");
  const ourEnv = path.join(folder, ".env");
  if (await fsp.lstat(dotEnv).catch(() => undefined)) await linkTo(ourEnv, dotEnv);
  else await fsp.rm(ourEnv, { force: true });
  const record = (value: unknown): Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  // Tower's hooks run after the user's own for the same event, never instead of them.
  const theirHooks = record(settings?.hooks);
  const allHooks: Record<string, unknown> = { ...theirHooks };
  for (const [event, entries] of Object.entries(hooks)) {
    const own = theirHooks[event];
    allHooks[event] = [...(Array.isArray(own) ? own : []), ...entries];
  }
  // With hooks of Tower's, Gemini runs them whatever the user's settings say: not with
  // `hooksConfig.enabled: false` (no hook at all runs), nor with Tower's command among
  // `hooksConfig.disabled` (a hook's name there is its command). The user's own stay disabled.
  const ownCommands = new Set(
    Object.values(hooks).flatMap((entries) =>
      entries.flatMap((entry) => {
        const list = record(entry).hooks;
        return (Array.isArray(list) ? list : []).flatMap((hook) => {
          const { name, command } = record(hook);
          return [name, command].filter((word): word is string => typeof word === "string");
        });
      }),
    ),
  );
  const theirConfig = record(settings?.hooksConfig);
  const hooksConfig =
    ownCommands.size > 0
      ? {
          ...theirConfig,
          enabled: true,
          ...(Array.isArray(theirConfig.disabled) && {
            disabled: theirConfig.disabled.filter(
              (name) => typeof name !== "string" || !ownCommands.has(name),
            ),
          }),
        }
      : settings?.hooksConfig;
  const mcp = mcpKeeping(settings?.mcp, Object.keys(servers));
  const briefingFile = path.join(ours, GEMINI_BRIEFING_FILE);
  if (briefing === undefined) await fsp.rm(briefingFile, { force: true });
  else await writeStateFile(briefingFile, `${briefing}\n`, 0o600);
  const context =
    briefing === undefined
      ? undefined
      : {
          ...record(settings?.context),
          fileName: [
            ...geminiContextNames(settings).filter((name) => name !== GEMINI_BRIEFING_FILE),
            GEMINI_BRIEFING_FILE,
          ],
        };
  const merged = {
    ...settings,
    ...(context !== undefined && { context }),
    ...(mcp !== undefined && { mcp }),
    mcpServers: { ...record(settings?.mcpServers), ...servers },
    ...(Object.keys(allHooks).length > 0 && { hooks: allHooks }),
    ...(hooksConfig !== undefined && { hooksConfig }),
  };
  // Written whole, then renamed: Gemini never reads half of it (nor is a link there followed).
  // 0600: the user's settings may hold keys.
  await writeStateFile(path.join(ours, SETTINGS), `${JSON.stringify(merged, null, 2)}\n`, 0o600);
  return folder;
}

/**
 * The user's `mcp` settings with the servers `names` started whatever their lists say: Gemini
 * starts no server `mcp.excluded` names, and only those a non-empty `mcp.allowed` names.
 */
function mcpKeeping(theirs: unknown, names: readonly string[]): unknown {
  if (typeof theirs !== "object" || theirs === null || Array.isArray(theirs)) return theirs;
  const mcp: Record<string, unknown> = { ...theirs };
  const { allowed, excluded } = mcp;
  if (Array.isArray(allowed) && allowed.length > 0)
    mcp.allowed = withNames<unknown>(allowed, names);
  if (Array.isArray(excluded)) mcp.excluded = excluded.filter((name) => !names.includes(name));
  return mcp;
}
