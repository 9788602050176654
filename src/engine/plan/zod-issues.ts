import type { z } from "zod";
import { EXPECT_HELP, WITHIN_HELP } from "./criteria.js";
import { DURATION_HELP } from "./duration.js";
import type { DataPath } from "./positions.js";
import { at, describeValue, label, ownerOf, type Reporter, valueAt } from "./report.js";
import {
  CheckpointSchema,
  ID_HELP,
  PRESETS,
  PRIORITIES,
  RoleSchema,
  StreamSchema,
  VALID_KEYS,
} from "./schema.js";
import { KEY_NAME_HELP, UI_COMMAND_IDS } from "./ui-keys.js";

const AGENT_COMMAND = "a command string or a non-empty list of strings";

/** What is valid at each place, keyed by path with map ids as `*` and list indexes as `#`. */
const EXPECTED: Record<string, string> = {
  "": "a map with version and streams",
  version: "1",
  project: "a non-empty string",
  base: "a non-empty branch name",
  worktrees: "a non-empty folder path",
  branch_prefix: "a string",
  state_dir: "a non-empty folder path",
  lock_ttl: "a duration such as 90s, 30m, 1h or 1h30m",
  agent: AGENT_COMMAND,
  "agent.#": "a non-empty string",
  validate: "a list of shell commands",
  "validate.#": "a non-empty shell command string",
  checkpoints: "a map of checkpoint id -> checkpoint",
  "checkpoints.*":
    "a map with depends_on, after, approval, run, criteria or auto ({} for a gate with none)",
  "checkpoints.*.depends_on": "a list of checkpoint ids",
  "checkpoints.*.depends_on.#": "a checkpoint id",
  "checkpoints.*.approval": '"human"',
  "checkpoints.*.run": "a non-empty shell command string",
  "checkpoints.*.after": "a list of stream ids",
  "checkpoints.*.after.#": "a stream id",
  "checkpoints.*.auto": "true or false",
  "checkpoints.*.criteria": "a non-empty list of criteria, each a map with name and run",
  "checkpoints.*.criteria.#": "a map with name and run",
  "checkpoints.*.criteria.#.name": "a criterion name",
  "checkpoints.*.criteria.#.run": "a non-empty shell command string",
  "checkpoints.*.criteria.#.metric": "a regular expression whose first group captures a number",
  "checkpoints.*.criteria.#.expect": EXPECT_HELP,
  "checkpoints.*.criteria.#.across": "a list of at least two stream or agent ids",
  "checkpoints.*.criteria.#.across.#": "a stream or agent id",
  "checkpoints.*.criteria.#.within": WITHIN_HELP,
  roles: "a map of role id -> role",
  "roles.*": "a map with name, responsibilities, deliverables, criteria, agent or preset",
  "roles.*.name": "a non-empty string",
  "roles.*.responsibilities": "a line of text or a non-empty list of lines",
  "roles.*.responsibilities.#": "a non-empty string",
  "roles.*.deliverables": "a line of text or a non-empty list of lines",
  "roles.*.deliverables.#": "a non-empty string",
  "roles.*.criteria": "a line of text or a non-empty list of lines",
  "roles.*.criteria.#": "a non-empty string",
  "roles.*.agent": AGENT_COMMAND,
  "roles.*.agent.#": "a non-empty string",
  "roles.*.preset": `one of ${PRESETS.join(", ")}`,
  streams: "a map of stream id -> stream",
  "streams.*": "a map with name and agents",
  "streams.*.name": "a non-empty string",
  "streams.*.scope": "a list of globs",
  "streams.*.scope.#": "a non-empty glob string",
  "streams.*.depends_on": "a list of stream ids",
  "streams.*.depends_on.#": "a stream id",
  "streams.*.requires": "a list of checkpoint ids",
  "streams.*.requires.#": "a checkpoint id",
  "streams.*.agents": "a non-empty list of agents, each a map with id and task",
  "streams.*.agents.#": "a map with id and task",
  "streams.*.agents.#.id": "an agent id",
  "streams.*.agents.#.task": "a non-empty string",
  "streams.*.agents.#.agent": AGENT_COMMAND,
  "streams.*.agents.#.agent.#": "a non-empty string",
  "streams.*.agents.#.preset": `one of ${PRESETS.join(", ")}`,
  "streams.*.agents.#.role": "a role id",
  "streams.*.tasks": "a list of tasks, each a map with id and title",
  "streams.*.tasks.#": "a map with id and title",
  "streams.*.tasks.#.id": "a task id",
  "streams.*.tasks.#.title": "a non-empty string",
  "streams.*.tasks.#.priority": `one of ${PRIORITIES.join(", ")}`,
  "streams.*.tasks.#.agent": "an agent id of this stream",
  "streams.*.tasks.#.depends_on": "a list of task ids",
  "streams.*.tasks.#.depends_on.#": "a task id",
};

function shape(path: DataPath): string {
  return path
    .map((segment, i) => (typeof segment === "number" ? "#" : i === 1 ? "*" : segment))
    .join(".");
}

function expected(path: DataPath): string {
  const key = shape(path);
  return Object.hasOwn(EXPECTED, key) ? (EXPECTED[key] as string) : "a valid value";
}

/** Turns one zod issue into issues with positions and messages that say what is valid. */
export function reportZodIssue(
  issue: z.core.$ZodIssue,
  data: unknown,
  file: string,
  report: Reporter,
): void {
  const path = issue.path.filter((s) => typeof s !== "symbol") as (string | number)[];
  const value = valueAt(data, path);
  const owner = ownerOf(data, path);
  const subject = owner.rest.length > 0 ? at(owner.where, label(owner.rest)) : owner.where || file;
  const positions = report.positions;

  switch (issue.code) {
    case "unrecognized_keys": {
      const commands = path[0] === "ui" && path[1] === "keys";
      const valid = (commands ? UI_COMMAND_IDS : VALID_KEYS[owner.kind]).join(", ");
      if (commands) {
        for (const key of issue.keys) {
          report.error(
            positions.key([...path, key]),
            `ui.keys: unknown command "${key}" (valid: ${valid})`,
          );
        }
        return;
      }
      for (const key of issue.keys) {
        report.error(
          positions.key([...path, key]),
          at(owner.where, `unknown key "${key}" (valid: ${valid})`),
        );
      }
      return;
    }
    case "invalid_key": {
      const kind =
        path[0] === "checkpoints" ? "checkpoint" : path[0] === "roles" ? "role" : "stream";
      const key = String(path[path.length - 1]);
      report.error(positions.key(path), `"${key}" is not a valid ${kind} id (${ID_HELP})`);
      // zod skips the value of a bad key: check it here so its errors are reported too.
      const schema = { stream: StreamSchema, checkpoint: CheckpointSchema, role: RoleSchema }[kind];
      const inner = schema.safeParse(value);
      for (const i of inner.error?.issues ?? []) {
        reportZodIssue({ ...i, path: [...path, ...i.path] }, data, file, report);
      }
      return;
    }
    case "invalid_union": {
      // A list with a bad element fails both branches; report the element, not the union.
      const deeper = issue.errors.find(
        (errors) => errors.length > 0 && errors.every((e) => e.path.length > 0),
      );
      if (deeper) {
        for (const inner of deeper) {
          reportZodIssue({ ...inner, path: [...path, ...inner.path] }, data, file, report);
        }
        return;
      }
      break;
    }
    case "invalid_type":
    case "invalid_value":
      if (value === undefined && path.length > 0) {
        const parent = ownerOf(data, path.slice(0, -1));
        const key = String(path[path.length - 1]);
        const where = parent.rest.length > 0 ? at(parent.where, label(parent.rest)) : parent.where;
        report.error(
          positions.value(path),
          at(where, `missing required key "${key}" (must be ${expected(path)})`),
        );
        return;
      }
      break;
    case "invalid_format":
      if (path[0] === "ui") {
        report.error(
          positions.value(path),
          `${subject} ${describeValue(value)} is not ${KEY_NAME_HELP}`,
        );
      } else if (path[path.length - 1] === "within") {
        report.error(
          positions.value(path),
          `${subject} must be ${WITHIN_HELP}, got ${describeValue(value)}`,
        );
      } else if (path[path.length - 1] === "expect") {
        report.error(
          positions.value(path),
          `${subject} ${describeValue(value)} is not ${EXPECT_HELP}`,
        );
      } else if (path[path.length - 1] === "lock_ttl") {
        report.error(
          positions.value(path),
          `${subject} ${describeValue(value)} is not a valid duration (${DURATION_HELP})`,
        );
      } else {
        report.error(
          positions.value(path),
          `${subject} ${describeValue(value)} is not a valid id (${ID_HELP})`,
        );
      }
      return;
    case "custom":
      report.error(positions.value(path), `${owner.where || file} ${issue.message}`);
      return;
    case "too_small":
      break;
    default:
      report.error(positions.value(path), `${subject}: ${issue.message}`);
      return;
  }
  report.error(
    positions.value(path),
    `${subject} must be ${expected(path)}, got ${describeValue(value)}`,
  );
}
