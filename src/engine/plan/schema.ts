import { z } from "zod";
import { DEFAULT_REPRODUCIBLE } from "../reproducible.js";
import { BUILTIN_ROLE_IDS } from "./builtin-roles.js";
import { EXPECT_HELP, EXPECT_PATTERN, WITHIN_HELP, WITHIN_PATTERN } from "./criteria.js";
import { DURATION_HELP, DURATION_PATTERN } from "./duration.js";
import { KEY_NAME_HELP, KEY_NAME_PATTERN, UI_COMMAND_IDS } from "./ui-keys.js";

/** Stream, agent and checkpoint ids. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ID_RULE = `${ID_PATTERN.source}: a letter or digit, then up to 63 letters, digits, "_" or "-"`;
export const ID_HELP = `ids must match ${ID_RULE}`;

export const PRESETS = ["claude", "codex", "aider", "gemini", "shell"] as const;
export const LOCK_MODES = ["auto", "advisory", "off"] as const;
export const SCOPE_MODES = ["enforce", "warn"] as const;

const lockMode = z.enum(LOCK_MODES).meta({
  description:
    "How agents' file writes meet locks: auto (a write to a file another agent holds is denied, and the writer takes the lock), advisory (the agent is told of the holder, nothing is denied or taken), off.",
});
const scopeMode = z.enum(SCOPE_MODES).meta({
  description:
    "A write (or commit) outside the stream's scope: enforce (denied) or warn (allowed, with a warning).",
});
export const DEFAULT_AGENT = "claude {task}";

const id = (description: string) =>
  z
    .string()
    .regex(ID_PATTERN)
    .meta({ description: `${description} Must match ${ID_RULE}.` });

const text = (description: string) => z.string().min(1).meta({ description });

const agentCommand = z
  .union([
    z.string().min(1).meta({ description: "Run by `sh -c`; placeholders become shell-quoted." }),
    z
      .array(z.string().min(1))
      .min(1)
      .meta({ description: "argv: program then arguments, run without a shell." }),
  ])
  .meta({
    title: "Agent command",
    description:
      "Command that starts an agent. Placeholders: {task}, {agent}, {stream}, {worktree}. " +
      "In a string do not quote them: they are replaced by already shell-quoted values.",
  });

export const PRIORITIES = ["P0", "P1", "P2", "P3"] as const;
export const DEFAULT_PRIORITY = "P2";

/** One line or a list of lines. */
const lines = (description: string) =>
  z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).meta({ description });

export const RoleSchema = z
  .strictObject({
    name: text("How the role is shown, e.g. Senior developer; default: from its id.").optional(),
    responsibilities: lines("What an agent in this role is responsible for.").optional(),
    deliverables: lines("What it must deliver.").optional(),
    criteria: lines("How its work is validated: when it is done.").optional(),
    agent: agentCommand.optional(),
    preset: z.enum(PRESETS).optional().meta({ description: "Which kind of agent this is." }),
  })
  .meta({
    title: "Role",
    description: `What an agent is for, told to it in its briefing. Built-in roles (${BUILTIN_ROLE_IDS.join(", ")}) can be used as they are or overridden field by field. \`agent\` and \`preset\` are the default command of the role's agents.`,
  });

export const AgentSchema = z
  .strictObject({
    id: id("Agent id, unique across the whole plan."),
    task: text(
      "What this agent should do; substituted for {task}. Optional when the stream has tasks.",
    ).optional(),
    role: id("The agent's role: a built-in one or one under roles.").optional(),
    agent: agentCommand.optional(),
    preset: z.enum(PRESETS).optional().meta({ description: "Which kind of agent this is." }),
  })
  .meta({ title: "Agent", description: "One agent working in the stream's worktree." });

export const TaskSchema = z
  .strictObject({
    id: id("Task id, unique across the whole plan."),
    title: text("What is to be done."),
    priority: z
      .enum(PRIORITIES)
      .default(DEFAULT_PRIORITY)
      .meta({ description: "P0 (most urgent) to P3; default P2." }),
    agent: id(
      "The agent of this stream that does it; default: any agent of the stream.",
    ).optional(),
    depends_on: z
      .array(id("Task id."))
      .default([])
      .meta({ description: "Tasks (of any stream) that must be done before this one starts." }),
  })
  .meta({ title: "Task", description: "One item of the stream's task board." });

export const StreamSchema = z
  .strictObject({
    name: text("Human-readable name of the stream."),
    scope: z
      .array(z.string().min(1))
      .default([])
      .meta({ description: "Globs of the files this stream may change." }),
    scope_mode: scopeMode.optional(),
    locks: lockMode.optional(),
    depends_on: z
      .array(id("Stream id."))
      .default([])
      .meta({ description: "Streams that must be completed before this one starts." }),
    requires: z
      .array(id("Checkpoint id."))
      .default([])
      .meta({ description: "Checkpoints that must pass before this stream merges." }),
    agents: z.array(AgentSchema).min(1).meta({ description: "At least one agent." }),
    tasks: z.array(TaskSchema).optional().meta({
      description:
        "The stream's task board. Without it, each agent's task is a task of its own (id: the agent's id).",
    }),
  })
  .meta({ title: "Stream", description: "A unit of work with its own git worktree and branch." });

export const CriterionSchema = z
  .strictObject({
    name: id("Criterion name, unique in its checkpoint."),
    run: text("Shell command, run in the main worktree (or in each worktree of `across`)."),
    metric: text(
      "Regular expression whose first group captures a number in the command's output; each line is tried and the last match counts.",
    ).optional(),
    expect: z
      .string()
      .regex(EXPECT_PATTERN)
      .optional()
      .meta({ description: `What the metric must meet: ${EXPECT_HELP}.` }),
    across: z.array(id("Stream or agent id.")).min(2).optional().meta({
      description:
        "Run the command in each of these streams' worktrees (an agent stands for its stream's) and compare: every run must exit 0 and, with `within`, every metric must be within the tolerance of the first one's.",
    }),
    within: z
      .union([z.string().regex(WITHIN_PATTERN), z.number().nonnegative()])
      .optional()
      .meta({ description: `How far apart the metrics of \`across\` may be: ${WITHIN_HELP}.` }),
  })
  .meta({
    title: "Criterion",
    description:
      "One check of a gate: the command exits 0 and, with metric, the number it prints meets expect (and, across worktrees, within).",
  });

const KINDS_HELP =
  "valid: at most one of approval, run and criteria; a checkpoint with none of them passes when its dependencies pass";

export const CheckpointSchema = z
  .strictObject({
    depends_on: z
      .array(id("Checkpoint id."))
      .default([])
      .meta({ description: "Checkpoints that must pass first." }),
    after: z.array(id("Stream id.")).default([]).meta({
      description: "Streams that must be completed (or merged) first.",
    }),
    approval: z.literal("human").optional().meta({ description: "Passes when a human approves." }),
    run: text("Shell command; the checkpoint passes when it exits 0.").optional(),
    criteria: z.array(CriterionSchema).min(1).optional().meta({
      description: "A quality gate: passes when every criterion does.",
    }),
    auto: z.boolean().optional().meta({
      description:
        "Run the command or criteria by itself as soon as everything it depends on has passed (once; a failure is run again by hand).",
    }),
  })
  .superRefine((checkpoint, ctx) => {
    const kinds = (["approval", "run", "criteria"] as const).filter(
      (key) => checkpoint[key] !== undefined,
    );
    if (kinds.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [kinds[1]!],
        message: `has both ${kinds[0]} and ${kinds[1]} (${KINDS_HELP})`,
      });
    }
    if (checkpoint.auto === true && checkpoint.run === undefined && !checkpoint.criteria) {
      ctx.addIssue({
        code: "custom",
        path: ["auto"],
        message:
          checkpoint.approval !== undefined
            ? "has auto: true, but a human approval never runs by itself (valid: auto on a checkpoint with run or criteria)"
            : "has auto: true but nothing to run (valid: auto on a checkpoint with run or criteria; one with neither passes by itself already)",
      });
    }
  })
  .meta({
    title: "Checkpoint",
    description:
      "A gate: approval by a human, a command to run, criteria with thresholds (a quality gate), or none of them (passes when its dependencies pass).",
    not: {
      anyOf: [
        { required: ["approval", "run"] },
        { required: ["approval", "criteria"] },
        { required: ["run", "criteria"] },
      ],
    },
  });

const keyName = z.string().regex(KEY_NAME_PATTERN).meta({ description: KEY_NAME_HELP });

/** What can notify the user: an agent waiting, an agent that failed, a merge or a gate finished. */
export const NOTIFY_EVENTS = ["waiting", "failed", "merge", "gate"] as const;
const notifyEvent = z.enum(NOTIFY_EVENTS);

export const NotifySchema = z
  .strictObject({
    run: text(
      "Shell command run (by `sh -c`, in the main worktree) for each notification, with TOWER_EVENT, TOWER_AGENT, TOWER_STREAM and TOWER_MESSAGE set: notify-send, a chat webhook script, a phone.",
    ),
    on: z
      .array(notifyEvent)
      .default([...NOTIFY_EVENTS])
      .meta({ description: `The events it runs for (default all: ${NOTIFY_EVENTS.join(", ")}).` }),
  })
  .meta({
    title: "Notifications",
    description: "A command of yours run when an agent needs you or work finished.",
  });

export const UiSchema = z
  .strictObject({
    notify: z
      .union([z.boolean(), z.array(notifyEvent)])
      .default(true)
      .meta({
        description: `A bell and an OSC 9 / OSC 777 notification to your terminal when an agent needs you while you look elsewhere: true (every event), false, or the events (${NOTIFY_EVENTS.join(", ")}).`,
      }),
    mouse: z.boolean().default(false).meta({
      description:
        "The mouse in the control room: the wheel scrolls the pane under it, a click selects a pane or a tab. Off by default, so that the terminal's own selection keeps working (`tower --mouse` turns it on for one run).",
    }),
    keys: z
      .partialRecord(z.enum(UI_COMMAND_IDS), z.union([keyName, z.array(keyName).min(1)]))
      .default({})
      .meta({
        description: "Keys of control room commands, by command id (see docs/keybindings.md).",
      }),
  })
  .meta({ title: "Control room", description: "Settings of the control room (`tower`)." });

export const PlanSchema = z
  .strictObject({
    version: z.literal(1).meta({ description: "Format version; must be 1." }),
    project: text("Project name; default: the repository folder's name.").optional(),
    base: text("Branch the streams start from and merge into; default: found via git.").optional(),
    worktrees: text(
      "Parent folder of the stream worktrees, relative to the repository root.",
    ).default(".."),
    branch_prefix: z
      .string()
      .default("feature/stream-")
      .meta({ description: "Stream branches are named <branch_prefix><stream id>." }),
    state_dir: text("Tower's state folder, relative to the main worktree root.").default(
      ".claude/state",
    ),
    lock_ttl: z
      .string()
      .regex(DURATION_PATTERN)
      .default("60m")
      .meta({ description: `How long a lock lives without renewal: ${DURATION_HELP}.` }),
    agent: agentCommand.default(DEFAULT_AGENT),
    locks: lockMode.default("auto"),
    scope_mode: scopeMode.default("enforce"),
    validate: z
      .array(text("Shell command."))
      .default([])
      .meta({ description: "Commands run in order after each merge." }),
    reproducible: z
      .array(z.string().min(1))
      .superRefine((patterns, ctx) => {
        patterns.forEach((pattern, index) => {
          if (pattern.startsWith("!")) {
            ctx.addIssue({
              code: "custom",
              path: [index],
              message: `has "${pattern}" in reproducible, which starts with "!": negation is not supported (valid: a glob such as "node_modules/" or "*.pyc")`,
            });
          }
        });
      })
      .optional()
      .meta({
        description:
          "Globs (.gitignore style) of the ignored files that a build or an install makes again: " +
          "a stream's worktree holding any other ignored file is kept after its merge. Replaces " +
          `the default list: ${DEFAULT_REPRODUCIBLE.join(", ")}.`,
      }),
    roles: z
      .record(id("Role id."), RoleSchema)
      .default({})
      .meta({
        description: `Map of role id to role: new roles, or overrides of the built-in ones (${BUILTIN_ROLE_IDS.join(", ")}).`,
      }),
    checkpoints: z
      .record(id("Checkpoint id."), CheckpointSchema)
      .default({})
      .meta({ description: "Map of checkpoint id to checkpoint." }),
    next_task: z.enum(["ask", "paste", "off"]).default("ask").meta({
      description:
        "When a task is marked done in the control room and its agent runs: ask before giving the agent its next task as its next prompt (ask), give it at once (paste), or neither (off).",
    }),
    notify: NotifySchema.optional(),
    ui: UiSchema.optional(),
    streams: z.record(id("Stream id."), StreamSchema).meta({
      description: "Map of stream id to stream; the order in the file is the plan order.",
    }),
  })
  .meta({
    title: "Tower plan (streams.yaml)",
    description: "Streams of work for Tower, each run by AI coding agents in its own git worktree.",
  });

export type RawPlan = z.output<typeof PlanSchema>;

/** The kinds of maps in streams.yaml, and the keys each one accepts. */
export const VALID_KEYS = {
  plan: Object.keys(PlanSchema.shape),
  stream: Object.keys(StreamSchema.shape),
  agent: Object.keys(AgentSchema.shape),
  checkpoint: Object.keys(CheckpointSchema.shape),
  ui: Object.keys(UiSchema.shape),
  notify: Object.keys(NotifySchema.shape),
  role: Object.keys(RoleSchema.shape),
  task: Object.keys(TaskSchema.shape),
  criterion: Object.keys(CriterionSchema.shape),
} as const;
