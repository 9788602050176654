/**
 * Letting an agent's CLI finish writing its conversation before it is stopped.
 *
 * Claude Code writes its transcript (the file `--resume` reads) a little after the turn: its Stop
 * hook fires, then the turn's messages reach the file some tens of milliseconds later. A SIGTERM
 * in between loses the whole turn (the file keeps its title and what the exit writes, not the
 * prompt or the answer), and the next resume goes on without it. So a stop first waits until the
 * transcript has been quiet, and the agent's hooks too, for `quietMs`, never longer than `maxMs`
 * (an agent at work writes all the time: it is stopped mid-turn, as the user asked).
 */
import { stat } from "node:fs/promises";

export interface SettleOptions {
  /** The transcript's path, as the agent's hooks recorded it (none: nothing to wait for). */
  transcript: string | undefined;
  /** When the agent last announced something through its hooks (ms since the epoch). */
  announcedAt?: number | undefined;
  quietMs?: number;
  maxMs?: number;
  now?: () => number;
}

/** Quiet this long: the CLI's write after its last hook is done (measured: 20-40 ms). */
export const SETTLE_QUIET_MS = 300;
/** Never hold a stop longer than this. */
export const SETTLE_MAX_MS = 2_000;

/**
 * Resolves once the transcript and the hooks have been quiet for `quietMs` (or at `maxMs`);
 * at once without a transcript. Returns how long it waited.
 */
export async function settleTranscript(options: SettleOptions): Promise<number> {
  const { transcript } = options;
  const now = options.now ?? Date.now;
  const quietMs = options.quietMs ?? SETTLE_QUIET_MS;
  const maxMs = options.maxMs ?? SETTLE_MAX_MS;
  const start = now();
  if (!transcript) return 0;
  for (;;) {
    let written: number;
    try {
      written = (await stat(transcript)).mtimeMs;
    } catch {
      // Not written yet: the hooks' time alone says whether a turn just ended.
      written = Number.NEGATIVE_INFINITY;
    }
    const last = Math.max(written, options.announcedAt ?? Number.NEGATIVE_INFINITY);
    const t = now();
    const waited = t - start;
    const quietFor = t - last;
    if (quietFor >= quietMs || waited >= maxMs) return waited;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(10, Math.min(quietMs - quietFor, maxMs - waited))),
    );
  }
}
