/**
 * The handoff form: one field after another, each prefilled (receivers: the agents of the streams
 * that depend on this one; tasks, interfaces, breaking changes and test status: from git) and
 * editable; Enter keeps a field, Esc cancels. The handoff is then recorded and pasted into the
 * input of every receiver that is running.
 */
import { handoffFactsFromGit } from "../../engine/handoff-git.js";
import { handoffMarkdown, recordHandoff } from "../../engine/handoffs.js";
import type { Controller } from "./dispatch.js";
import { flash } from "./dispatch.js";

interface Field {
  key: "to" | "tasks" | "interfaces" | "breaking" | "tests" | "note";
  label: string;
  value: string;
}

const SEPARATOR = " ; ";
const split = (text: string, by: string | RegExp) =>
  text
    .split(by)
    .map((t) => t.trim())
    .filter(Boolean);

export async function runHandoff(ctl: Controller, from: string): Promise<string | undefined> {
  const { plan } = ctl.project;
  const stream = plan.streams.find((s) => s.agents.some((a) => a.id === from));
  if (!stream) return `${from} is not in the plan`;
  const facts = await handoffFactsFromGit(ctl.project, stream.id);
  const dependents = plan.streams
    .filter((s) => s.dependsOn.includes(stream.id))
    .flatMap((s) => s.agents.map((a) => a.id));
  const fields: Field[] = [
    { key: "to", label: "To which agents? (comma-separated)", value: dependents.join(",") },
    {
      key: "tasks",
      label: "Completed tasks (separated by ;)",
      value: (facts?.completedTasks ?? []).join(SEPARATOR),
    },
    {
      key: "interfaces",
      label: "New interfaces (separated by ;)",
      value: (facts?.newInterfaces ?? []).join(SEPARATOR),
    },
    {
      key: "breaking",
      label: "Breaking changes (separated by ;)",
      value: (facts?.breakingChanges ?? []).join(SEPARATOR),
    },
    { key: "tests", label: "Test status", value: facts?.testStatus ?? "unknown" },
    { key: "note", label: "A note for them (optional)", value: "" },
  ];
  const ask = (index: number): void => {
    const field = fields[index];
    if (!field) {
      send(ctl, from, stream.id, fields);
      return;
    }
    const done = fields.slice(0, index).map((f) => `${f.key}: ${f.value || "(none)"}`);
    ctl.store.getState().openModal({
      kind: "input",
      title: `Handoff from ${from} (stream ${stream.id}), ${index + 1} of ${fields.length}`,
      lines: done,
      label: field.label,
      value: field.value,
      onSubmit: (value) => {
        field.value = value;
        ask(index + 1);
      },
    });
  };
  ask(0);
  return undefined;
}

function send(ctl: Controller, from: string, streamId: string, fields: Field[]): void {
  const value = (key: Field["key"]) => fields.find((f) => f.key === key)?.value ?? "";
  const to = split(value("to"), ",");
  if (to.length === 0) {
    flash(ctl, "a handoff needs at least one receiving agent");
    return;
  }
  recordHandoff(ctl.project.plan, ctl.project.store, {
    from,
    to,
    completedTasks: split(value("tasks"), ";"),
    newInterfaces: split(value("interfaces"), ";"),
    breakingChanges: split(value("breaking"), ";"),
    testStatus: value("tests") || "unknown",
    note: value("note") || undefined,
  }).then(
    (handoff) => {
      const running = new Set(ctl.sessions.running());
      const text = handoffMarkdown(handoff, streamId);
      const pasted = to.filter((id) => running.has(id));
      for (const id of pasted) ctl.sessions.paste(id, text);
      flash(
        ctl,
        `handed off to ${to.join(", ")}${pasted.length ? `; pasted into ${pasted.join(", ")}` : ""}`,
      );
    },
    (error: unknown) => flash(ctl, error instanceof Error ? error.message : String(error)),
  );
}
