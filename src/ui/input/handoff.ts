/**
 * The handoff form: every field on one dialog, prefilled (receivers: the agents of the streams
 * that depend on this one; tasks, interfaces, breaking changes and test status: from what git
 * says of this agent's work) and editable. List fields hold one entry per line, typed one after
 * another (Enter ends an entry, Enter on an empty one goes to the next field): an entry is never
 * split on a character, so `{ return -amount; }` stays one entry. The handoff is recorded, then
 * Tower shows it and asks before pasting it into the receivers that are running.
 */
import type { HandoffPrefillValue, HandoffValue } from "../../room/commands.js";
import type { FormField, Modal } from "../store/slices.js";
import { ask, type Controller, flash } from "./controller.js";

type Form = Extract<Modal, { kind: "form" }>;

export async function openHandoffForm(ctl: Controller, from: string): Promise<void> {
  const prefill = await ask<HandoffPrefillValue>(ctl, { type: "handoff.prefill", agent: from });
  if (!prefill) return;
  const facts = prefill.facts;
  const fields: FormField[] = [
    {
      key: "to",
      label: "To which agents? (ids, separated by commas or spaces)",
      kind: "line",
      value: prefill.dependents.join(", "),
    },
    { key: "tasks", label: "Completed tasks", kind: "list", items: facts?.completedTasks ?? [] },
    {
      key: "interfaces",
      label: "New interfaces",
      kind: "list",
      items: facts?.newInterfaces ?? [],
    },
    {
      key: "breaking",
      label: "Breaking changes",
      kind: "list",
      items: facts?.breakingChanges ?? [],
    },
    { key: "tests", label: "Test status", kind: "line", value: facts?.testStatus ?? "unknown" },
    { key: "note", label: "A note for them (optional)", kind: "line", value: "" },
  ];
  ctl.store.getState().openModal({
    kind: "form",
    title: `Handoff from ${from} (stream ${prefill.stream})`,
    fields,
    field: 0,
    draft: draftOf(fields[0]),
    purpose: { do: "handoff", from, stream: prefill.stream },
  });
}

const draftOf = (field: FormField | undefined) => (field?.kind === "line" ? field.value : "");

/** The form with the draft kept in the current field (a list's non-empty draft is an entry). */
function commitDraft(form: Form): FormField[] {
  return form.fields.map((field, i) => {
    if (i !== form.field) return field;
    if (field.kind === "line") return { ...field, value: form.draft };
    return form.draft.trim() ? { ...field, items: [...field.items, form.draft] } : field;
  });
}

function moveTo(ctl: Controller, form: Form, index: number) {
  const fields = commitDraft(form);
  if (index >= fields.length) {
    ctl.store.getState().closeModal();
    const { purpose } = form;
    if (purpose.do === "agent.add") return void submitNewAgent(ctl, fields);
    return void submit(ctl, purpose.from, fields);
  }
  const field = Math.max(0, index);
  ctl.store.getState().openModal({ ...form, fields, field, draft: draftOf(fields[field]) });
}

export function formKey(ctl: Controller, form: Form, key: string) {
  const s = ctl.store.getState();
  const field = form.fields[form.field];
  if (!field) return;
  switch (key) {
    case "escape":
      s.closeModal();
      return flash(
        ctl,
        form.purpose.do === "agent.add"
          ? "no agent added: streams.yaml is unchanged"
          : "handoff cancelled: nothing recorded",
      );
    case "tab":
      return moveTo(ctl, form, form.field + 1);
    case "shift+tab":
      return moveTo(ctl, form, form.field - 1);
    case "enter":
      if (field.kind === "list" && form.draft.trim() !== "") {
        const fields = commitDraft(form);
        return s.openModal({ ...form, fields, draft: "" });
      }
      return moveTo(ctl, form, form.field + 1);
    case "backspace": {
      if (form.draft !== "") {
        return s.openModal({ ...form, draft: [...form.draft].slice(0, -1).join("") });
      }
      // An empty entry: the list's last entry comes back to be edited.
      if (field.kind === "list" && field.items.length > 0) {
        const fields = form.fields.map((f, i) =>
          i === form.field && f.kind === "list" ? { ...f, items: f.items.slice(0, -1) } : f,
        );
        return s.openModal({ ...form, fields, draft: field.items.at(-1) ?? "" });
      }
      return;
    }
    case "space":
      return s.openModal({ ...form, draft: `${form.draft} ` });
    default:
      if ([...key].length === 1) s.openModal({ ...form, draft: form.draft + key });
  }
}

/** A line field's value, trimmed. */
function lineOf(fields: FormField[], key: string): string {
  const f = fields.find((x) => x.key === key);
  return f?.kind === "line" ? f.value.trim() : "";
}

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/**
 * `A`: the form of a new agent, in the selected agent's stream (or, with another stream id, a
 * new stream with the dependencies and scope given), with the next free agent id.
 */
export function openNewAgentForm(ctl: Controller): void {
  const s = ctl.store.getState();
  const stream = (s.selected && s.agents[s.selected]?.stream) ?? s.status?.streams[0]?.id ?? "";
  const taken = new Set(s.status?.streams.flatMap((x) => x.agents.map((a) => a.id)) ?? []);
  let n = 1;
  while (taken.has(`${stream}${n}`)) n++;
  const fields: FormField[] = [
    {
      key: "stream",
      label: "Stream (an id of the plan, or a new one)",
      kind: "line",
      value: stream,
    },
    { key: "id", label: "Agent id", kind: "line", value: `${stream}${n}` },
    { key: "task", label: "Its task", kind: "line", value: "" },
    {
      key: "agent",
      label: "Its command (empty: the plan's agent)",
      kind: "line",
      value: "",
    },
    { key: "name", label: "A new stream's name", kind: "line", value: "" },
    {
      key: "depends",
      label: "A new stream depends on (stream ids)",
      kind: "line",
      value: "",
    },
    { key: "scope", label: "A new stream's scope (globs)", kind: "line", value: "" },
  ];
  s.openModal({
    kind: "form",
    title: "Add an agent to streams.yaml",
    fields,
    field: 0,
    draft: draftOf(fields[0]),
    purpose: { do: "agent.add" },
  });
}

async function submitNewAgent(ctl: Controller, fields: FormField[]): Promise<void> {
  const stream = lineOf(fields, "stream");
  const id = lineOf(fields, "id");
  if (!stream || !id) return flash(ctl, "an agent needs a stream and an id: nothing added");
  const known = ctl.store.getState().status?.streams.some((x) => x.id === stream) ?? false;
  const reply = await ctl.client.run({
    type: "agent.add",
    agent: {
      stream,
      id,
      task: lineOf(fields, "task") || undefined,
      agent: lineOf(fields, "agent") || undefined,
      newStream: known
        ? undefined
        : {
            name: lineOf(fields, "name") || stream,
            dependsOn: words(lineOf(fields, "depends")),
            scope: words(lineOf(fields, "scope")),
          },
    },
  });
  flash(ctl, reply.ok ? (reply.text ?? `added ${id}`) : reply.error);
}

async function submit(ctl: Controller, from: string, fields: FormField[]): Promise<void> {
  const line = (key: string) => lineOf(fields, key);
  const list = (key: string) => {
    const f = fields.find((x) => x.key === key);
    return f?.kind === "list" ? f.items.map((x) => x.trim()).filter(Boolean) : [];
  };
  const to = words(line("to"));
  if (to.length === 0) return flash(ctl, "a handoff needs at least one receiving agent");
  const handoff = await ask<HandoffValue>(ctl, {
    type: "handoff",
    from,
    to,
    completedTasks: list("tasks"),
    newInterfaces: list("interfaces"),
    breakingChanges: list("breaking"),
    testStatus: line("tests") || "unknown",
    note: line("note") || undefined,
  });
  if (!handoff) return;
  if (handoff.running.length === 0) {
    return flash(ctl, `handed off to ${handoff.to.join(", ")} (none of them is running)`);
  }
  ctl.store.getState().openModal({
    kind: "confirm",
    title: `Handed off to ${handoff.to.join(", ")}: paste it into ${handoff.running.join(", ")}?`,
    lines: [
      "It is recorded (tower handoffs shows it). Pasted, the running receivers read it now:",
      "",
      ...handoff.text.split("\n"),
    ],
    choices: [
      {
        keys: ["y", "enter"],
        label: `paste into ${handoff.running.join(", ")}`,
        action: { do: "paste", agents: handoff.running, text: handoff.text },
      },
    ],
  });
}
