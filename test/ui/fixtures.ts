/** Status reports for view and component tests: the shop's streams A, B and E (after A). */
import type { StatusReport, StreamReport } from "../../src/engine/status.js";

export function streamReport(
  id: string,
  name: string,
  over: Partial<StreamReport> = {},
): StreamReport {
  return {
    id,
    name,
    status: "pending",
    depends_on: [],
    can_start: false,
    waiting_for: [],
    reason: null,
    branch: "b",
    worktree: "w",
    agents: [],
    ...over,
  };
}

export function shopStatus(streams: StreamReport[]): StatusReport {
  return {
    project: "shop",
    base: "main",
    state_dir: "/s",
    phases: [["A", "B"], ["E"]],
    merge_order: ["A", "B", "E"],
    streams,
    locks: [],
    checkpoints: [],
  };
}

/** E waits for A. */
export const engineStream = () =>
  streamReport("E", "Engine", {
    depends_on: ["A"],
    waiting_for: ["A"],
    reason: "E cannot start: waiting for A (in_progress)",
  });
