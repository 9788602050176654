/**
 * Trust, in the way of direnv and mise: the commands a plan would run (its agents, `validate`,
 * `run:` checkpoints, gate criteria) run only after the user has trusted that plan on this
 * machine. A fresh clone whose state says a stream is in progress would otherwise run the plan's `agent:` the
 * moment `tower` opens. Trust is recorded outside the repository, by the plan's path and a hash
 * of its commands; a changed command asks again, showing what changed. Other edits to the plan
 * (scopes, names, dependencies) keep the trust.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { configDir, ensureConfigDir } from "./config-dir.js";
import { RefusedError } from "./errors.js";
import type { AgentCommand, Plan } from "./plan/index.js";
import { lockExclusive } from "./state/flock.js";
import { toUtcIso } from "./state/time.js";

export const TRUST_FILE = "trusted-plans.json";

/** Every command of the plan, by where it is written, in plan order. */
export function planCommands(plan: Plan): Map<string, string> {
  const show = (command: AgentCommand) =>
    typeof command === "string" ? command : JSON.stringify(command);
  const commands = new Map<string, string>();
  for (const stream of plan.streams) {
    for (const agent of stream.agents) {
      commands.set(`streams.${stream.id}.agents.${agent.id}`, show(agent.command));
    }
  }
  for (const [i, command] of plan.validate.entries()) commands.set(`validate[${i}]`, command);
  for (const checkpoint of plan.checkpoints) {
    if (checkpoint.run) commands.set(`checkpoints.${checkpoint.id}.run`, checkpoint.run);
    for (const criterion of checkpoint.criteria ?? []) {
      commands.set(`checkpoints.${checkpoint.id}.criteria.${criterion.name}`, criterion.run);
    }
  }
  if (plan.notify) commands.set("notify.run", plan.notify.run);
  return commands;
}

export function commandsHash(commands: ReadonlyMap<string, string>): string {
  return createHash("sha256")
    .update(JSON.stringify([...commands]))
    .digest("hex");
}

interface TrustRecord {
  hash: string;
  commands: Record<string, string>;
  trusted_at: string;
}

interface TrustFile {
  version: 1;
  plans: Record<string, TrustRecord>;
}

async function readTrustFile(dir: string): Promise<TrustFile> {
  let text: string;
  try {
    const handle = await fsp.open(
      path.join(dir, TRUST_FILE),
      constants.O_RDONLY | constants.O_NOFOLLOW,
    );
    try {
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, plans: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as TrustFile;
    if (typeof parsed?.plans !== "object" || parsed.plans === null) throw new Error("no plans");
    return { version: 1, plans: Object.assign(Object.create(null), parsed.plans) };
  } catch {
    // An unreadable trust file trusts nothing; `tower trust` writes it anew.
    return { version: 1, plans: {} };
  }
}

export type TrustState =
  | { trusted: true }
  | {
      trusted: false;
      /** `new`: never trusted here; `changed`: commands differ from the ones trusted. */
      reason: "new" | "changed";
      /** Each command, marked `+` (new or changed) or `-` (gone), for the user to review. */
      changes: string[];
      commands: Map<string, string>;
    };

export async function trustState(
  plan: Plan,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TrustState> {
  const commands = planCommands(plan);
  if (commands.size === 0) return { trusted: true };
  const record = (await readTrustFile(configDir(env))).plans[plan.file];
  const hash = commandsHash(commands);
  if (record?.hash === hash) return { trusted: true };
  const before = new Map(Object.entries(record?.commands ?? {}));
  const changes: string[] = [];
  for (const [where, command] of commands) {
    if (before.get(where) !== command) changes.push(`+ ${where}: ${command}`);
  }
  for (const [where, command] of before) {
    if (!commands.has(where)) changes.push(`- ${where}: ${command}`);
  }
  return { trusted: false, reason: record ? "changed" : "new", changes, commands };
}

/** Records the plan's commands as trusted on this machine. */
export async function trustPlan(
  plan: Plan,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): Promise<void> {
  const dir = configDir(env);
  await ensureConfigDir(dir);
  const target = path.join(dir, TRUST_FILE);
  // One writer at a time (another room's `y`, a `tower trust`): each reads the file and writes
  // it back with its plan added, and two at once lost the plan of the one that wrote first.
  const lockFile = `${target}.lock`;
  const lock = await fsp.open(
    lockFile,
    constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await lockExclusive(lock.fd, lockFile);
    const file = await readTrustFile(dir);
    const commands = planCommands(plan);
    file.plans[plan.file] = {
      hash: commandsHash(commands),
      commands: Object.fromEntries(commands),
      trusted_at: toUtcIso(now),
    };
    // A whole new file, then renamed over the old one: a crash never leaves half a trust file.
    const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await fsp.writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await fsp.rename(temp, target);
  } finally {
    await lock.close(); // and with it the lock
  }
}

/** The sentence that says why nothing ran, and how to trust the plan. */
export function untrustedMessage(
  plan: Plan,
  state: Extract<TrustState, { trusted: false }>,
): string {
  const what =
    state.reason === "new"
      ? `${plan.file} has not been trusted on this machine`
      : `the commands in ${plan.file} changed since you trusted it`;
  return `${what}, so Tower runs none of its commands (agents, validate, run:, gate criteria): review them with \`tower trust\`, which records your trust\n${state.changes.join("\n")}`;
}

/** A plan command was not run because the plan is not trusted. */
export class UntrustedPlanError extends RefusedError {
  override name = "UntrustedPlanError";
}

/** Refuses (UntrustedPlanError) unless the plan is trusted. */
export async function requireTrust(
  plan: Plan,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const state = await trustState(plan, env);
  if (!state.trusted) throw new UntrustedPlanError(untrustedMessage(plan, state));
}
