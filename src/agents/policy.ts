/**
 * What binds an agent's writes: its stream's scope and the plan's lock mode. One set of rules for
 * the Claude Code hook, the pre-commit guard and the MCP tools, so each refuses in the same words.
 */
import picomatch from "picomatch";
import type { LockInfo } from "../engine/locks.js";
import type { LockMode, Plan, ScopeMode, StreamSpec } from "../engine/plan/index.js";
import { parseTimestamp } from "../engine/state/index.js";

export interface StreamPolicy {
  stream: StreamSpec;
  locks: LockMode;
  scopeMode: ScopeMode;
  /** Lock lifetime for the locks the agent takes by writing. */
  ttlMs: number;
  /** True when the file (repository-relative) is in the stream's scope (always, without one). */
  inScope(file: string): boolean;
}

export function streamPolicy(plan: Plan, streamId: string): StreamPolicy | undefined {
  const stream = plan.streams.find((s) => s.id === streamId);
  if (!stream) return undefined;
  const matcher = stream.scope.length > 0 ? picomatch([...stream.scope], { dot: true }) : undefined;
  return {
    stream,
    locks: stream.locks,
    scopeMode: stream.scopeMode,
    ttlMs: plan.lockTtlMs,
    inScope: (file) => matcher === undefined || matcher(file),
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "14:05 (in 42 min)", or the text as written when it is not a time. */
export function untilText(expires: string, now: Date): string {
  const date = parseTimestamp(expires);
  if (!date) return expires;
  const minutes = Math.max(0, Math.round((date.getTime() - now.getTime()) / 60_000));
  const day =
    date.toDateString() === now.toDateString()
      ? ""
      : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} `;
  return `${day}${pad(date.getHours())}:${pad(date.getMinutes())} (in ${minutes} min)`;
}

/** Why a write to `file` is refused: who holds it, for what, and until when. */
export function lockedReason(file: string, holder: LockInfo, now: Date): string {
  const where = holder.path === file ? "" : ` (through its lock on ${holder.path})`;
  const stream = holder.stream ? `, stream ${holder.stream}` : "";
  const task = holder.task ? `, working on "${holder.task}"` : "";
  return (
    `${file} is locked by agent ${holder.agent}${stream}${task}${where} until ${untilText(holder.expires, now)}. ` +
    `Work on something else and come back to it later, or ask ${holder.agent} to release it.`
  );
}

/** Why a write to `file` is outside the stream. */
export function scopeReason(file: string, stream: StreamSpec): string {
  return (
    `${file} is outside the scope of stream ${stream.id} (${stream.scope.join(", ")}): ` +
    "change only files in your scope, and leave this one to the stream that owns it."
  );
}
