/**
 * The shapes of the shared state files (DESIGN §3). Other tools read and write these files too,
 * so readers are lenient about fields they do not know (kept as they are, never dropped) and
 * strict only about what Tower relies on.
 *
 * The schemas only check: a file's value is used as it was parsed (objects without a prototype,
 * json-text.ts), because zod leaves `__proto__` keys out of what it returns and a path or a
 * stream id written by another tool may be exactly that. So they must not transform anything.
 */
import { z } from "zod";
import { type JsonFileSpec, ShapeError } from "./json-file.js";
import { emptyMap as map } from "./json-text.js";

const text = z.string();

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A map of any keys to values of one shape, every key checked (`z.record` skips `__proto__`).
 */
function stateMap<V extends z.ZodType>(entry: V) {
  return z
    .custom<Record<string, z.infer<V>>>(isMap, { message: "expected a map (a JSON object)" })
    .superRefine((value, ctx) => {
      if (!isMap(value)) return;
      for (const key of Object.keys(value)) {
        const result = entry.safeParse(value[key]);
        for (const issue of result.error?.issues ?? []) {
          ctx.addIssue({ code: "custom", message: issue.message, path: [key, ...issue.path] });
        }
      }
    });
}

export const lockEntrySchema = z.looseObject({
  agent: text,
  stream: text.optional(),
  acquired: text.optional(),
  expires: text,
  task: text.optional(),
  /** Tower's own: `hook` for a lock an agent took by writing (released when it exits). */
  source: text.optional(),
  /**
   * Tower's own: the UTC offset of the writer's local time at `expires`, e.g. "+01:00", so that a
   * reader in another time zone reads the naive times right (the Python helper ignores it).
   */
  utc_offset: text.optional(),
});
export const locksFileSchema = z.looseObject({
  locks: stateMap(lockEntrySchema),
  version: z.number().optional(),
});

export const handoffSchema = z.looseObject({
  from_agent: text,
  to_agents: z.array(text),
  timestamp: text,
  completed_tasks: z.array(text).optional(),
  context: z
    .looseObject({
      new_interfaces: z.array(z.unknown()).optional(),
      breaking_changes: z.array(z.unknown()).optional(),
      test_status: z.unknown().optional(),
    })
    .optional(),
});
export const handoffsFileSchema = z.looseObject({ handoffs: z.array(handoffSchema) });

export const streamStatusSchema = z.enum([
  "pending",
  "in_progress",
  "completed",
  "merged",
  "merge_failed",
]);
export const orchestratorStreamSchema = z.looseObject({
  status: streamStatusSchema,
  started_at: text.nullable().optional(),
  worktree: text.nullable().optional(),
  branch: text.nullable().optional(),
  agents: z.array(z.unknown()).optional(),
  completed_at: text.nullable().optional(),
});
export const orchestratorFileSchema = z.looseObject({
  streams: stateMap(orchestratorStreamSchema),
  started_at: text.nullable().optional(),
});

export const checkpointStatusSchema = z.enum([
  "pending",
  "approved",
  "rejected",
  "passed",
  "failed",
]);
export const checkpointEntrySchema = z.looseObject({
  status: checkpointStatusSchema,
  updated: text.optional(),
  by: text.optional(),
  note: text.nullable().optional(),
});
export const checkpointsFileSchema = z.looseObject({
  checkpoints: stateMap(checkpointEntrySchema),
  version: z.number().optional(),
});

export const agentStatusSchema = z.enum(["starting", "running", "idle", "waiting", "exited"]);
export const agentEntrySchema = z.looseObject({
  stream: text,
  status: agentStatusSchema,
  updated: text,
  pid: z.number().nullable().optional(),
  exit_code: z.number().nullable().optional(),
  signal: text.nullable().optional(),
});
export const agentsFileSchema = z.looseObject({
  agents: stateMap(agentEntrySchema),
  version: z.number().optional(),
});

/** `tasks.json`: where each task of the plan's boards is (the plan says which tasks exist). */
export const taskStatusSchema = z.enum(["todo", "in_progress", "blocked", "done"]);
export const taskEntrySchema = z.looseObject({
  status: taskStatusSchema,
  /** The agent working on it (or that did it). */
  agent: text.nullable().optional(),
  updated: text.optional(),
  note: text.nullable().optional(),
  started_at: text.nullable().optional(),
  done_at: text.nullable().optional(),
});
export const tasksFileSchema = z.looseObject({
  tasks: z.record(z.string(), taskEntrySchema),
  version: z.number().optional(),
});

/** One line of `agent_activity.jsonl`. */
export const activitySchema = z.looseObject({
  timestamp: text,
  agent: text,
  stream: text.optional(),
  action: text,
});
/** One line of `conflict_warnings.jsonl`. */
export const conflictWarningSchema = z.looseObject({
  timestamp: text,
  agent: text,
  warning: text,
  severity: z.enum(["low", "medium", "high"]),
});

export type LockEntry = z.infer<typeof lockEntrySchema>;
export type LocksFile = z.infer<typeof locksFileSchema>;
export type Handoff = z.infer<typeof handoffSchema>;
export type HandoffsFile = z.infer<typeof handoffsFileSchema>;
export type StreamStatus = z.infer<typeof streamStatusSchema>;
export type OrchestratorStream = z.infer<typeof orchestratorStreamSchema>;
export type OrchestratorFile = z.infer<typeof orchestratorFileSchema>;
export type CheckpointStatus = z.infer<typeof checkpointStatusSchema>;
export type CheckpointEntry = z.infer<typeof checkpointEntrySchema>;
export type CheckpointsFile = z.infer<typeof checkpointsFileSchema>;
export type AgentStatus = z.infer<typeof agentStatusSchema>;
export type AgentEntry = z.infer<typeof agentEntrySchema>;
export type AgentsFile = z.infer<typeof agentsFileSchema>;
export type TaskStatus = z.infer<typeof taskStatusSchema>;
export type TaskEntry = z.infer<typeof taskEntrySchema>;
export type TasksFile = z.infer<typeof tasksFileSchema>;
export type ActivityEntry = z.infer<typeof activitySchema>;
export type ConflictWarning = z.infer<typeof conflictWarningSchema>;

/** "locks.A/b.py.expires: expected string, received number" */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const where = issue.path.length ? `"${issue.path.map(String).join(".")}"` : "the top level";
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

/** A JsonFileSpec that checks with a zod schema and returns the value as parsed. */
export function jsonSpec<S extends z.ZodType>(
  schema: S,
  empty: () => z.infer<S>,
): JsonFileSpec<z.infer<S>> {
  return {
    empty,
    validate(value) {
      const result = schema.safeParse(value);
      if (!result.success)
        throw new ShapeError(`does not have the expected shape: ${describeIssues(result.error)}`);
      return value as z.infer<S>;
    },
  };
}

export const STATE_FILES = {
  locks: "file_locks.json",
  activity: "agent_activity.jsonl",
  conflictWarnings: "conflict_warnings.jsonl",
  handoffs: "handoffs.json",
  orchestrator: "orchestrator_state.json",
  checkpoints: "checkpoints.json",
  agents: "agents.json",
  tasks: "tasks.json",
  logs: "logs",
} as const;

/**
 * The other folders of the state directory Tower writes files in: the pre-commit guard's hook
 * scripts (agents/guard.ts), the handoff summaries `handoffs/<agent>.md` (handoffs.ts), and each
 * agent's launch files `launch/<agent>/` (agents/launch.ts).
 */
export const STATE_FOLDERS = {
  gitHooks: "git-hooks",
  handoffNotes: "handoffs",
  launch: "launch",
} as const;

export const specs = {
  locks: jsonSpec(locksFileSchema, () => ({ locks: map(), version: 1 })),
  handoffs: jsonSpec(handoffsFileSchema, () => ({ handoffs: [] })),
  orchestrator: jsonSpec(orchestratorFileSchema, () => ({ streams: map(), started_at: null })),
  checkpoints: jsonSpec(checkpointsFileSchema, () => ({ checkpoints: map(), version: 1 })),
  agents: jsonSpec(agentsFileSchema, () => ({ agents: map(), version: 1 })),
  tasks: jsonSpec(tasksFileSchema, () => ({ tasks: map(), version: 1 })),
};

export type JsonStateKey = keyof typeof specs;

/** The key of a JSON state file by its name (`file_locks.json` -> `locks`), if it is one. */
export function jsonStateKey(name: string): JsonStateKey | undefined {
  return (Object.keys(specs) as JsonStateKey[]).find((key) => STATE_FILES[key] === name);
}
