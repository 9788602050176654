/**
 * The handoff form: receivers (prefilled with the agents of the streams that depend on this one),
 * then a note, with what git says about the work shown; the handoff is recorded and pasted into
 * the input of every receiver that is running.
 */
import { handoffFactsFromGit } from "../../engine/handoff-git.js";
import { handoffMarkdown, recordHandoff } from "../../engine/handoffs.js";
import type { Controller } from "./dispatch.js";
import { flash } from "./dispatch.js";

export async function runHandoff(ctl: Controller, from: string): Promise<string | undefined> {
  const { plan } = ctl.project;
  const stream = plan.streams.find((s) => s.agents.some((a) => a.id === from));
  if (!stream) return `${from} is not in the plan`;
  const facts = await handoffFactsFromGit(ctl.project, stream.id);
  const dependents = plan.streams
    .filter((s) => s.dependsOn.includes(stream.id))
    .flatMap((s) => s.agents.map((a) => a.id));
  const summary = [
    `completed: ${facts?.completedTasks.join("; ") || "(no commits yet)"}`,
    `new interfaces: ${facts?.newInterfaces.join("; ") || "none"}`,
    `breaking changes: ${facts?.breakingChanges.join("; ") || "none"}`,
    `tests: ${facts?.testStatus ?? "unknown"}`,
  ];
  ctl.store.getState().openModal({
    kind: "input",
    title: `Handoff from ${from} (stream ${stream.id})`,
    lines: summary,
    label: "To which agents? (comma-separated)",
    value: dependents.join(","),
    onSubmit: (toText) => {
      const to = toText
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      ctl.store.getState().openModal({
        kind: "input",
        title: `Handoff from ${from} to ${to.join(", ")}`,
        lines: summary,
        label: "A note for them (optional)",
        value: "",
        onSubmit: (note) => {
          recordHandoff(plan, ctl.project.store, {
            from,
            to,
            completedTasks: facts?.completedTasks,
            newInterfaces: facts?.newInterfaces,
            breakingChanges: facts?.breakingChanges,
            testStatus: facts?.testStatus,
            note: note || undefined,
          }).then(
            (handoff) => {
              const running = new Set(ctl.sessions.running());
              const text = handoffMarkdown(handoff, stream.id);
              const pasted = to.filter((id) => running.has(id));
              for (const id of pasted) ctl.sessions.paste(id, text);
              flash(
                ctl,
                `handed off to ${to.join(", ")}${pasted.length ? `; pasted into ${pasted.join(", ")}` : ""}`,
              );
            },
            (error: unknown) => flash(ctl, error instanceof Error ? error.message : String(error)),
          );
        },
      });
    },
  });
  return undefined;
}
