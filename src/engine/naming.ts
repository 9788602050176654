/** Names Tower gives a stream's branch and worktree (DESIGN §1). */
import path from "node:path";
import type { Plan, StreamSpec } from "./plan/index.js";

/** "LLM & Prompts" -> "llm-prompts" */
export function slug(name: string): string {
  return (
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48)
      .replace(/-+$/, "") || "stream"
  );
}

/** `feature/stream-A-foundation` */
export function branchName(plan: Plan, stream: StreamSpec): string {
  return `${plan.branchPrefix}${stream.id}-${slug(stream.name)}`;
}

/** `<worktrees>/<project>-stream-<ID>`, with `worktrees` relative to the main worktree root. */
export function worktreePath(plan: Plan, stream: StreamSpec): string {
  return path.resolve(plan.root, plan.worktrees, `${plan.project}-stream-${stream.id}`);
}
