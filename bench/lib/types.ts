/** What a benchmark is and what it hands back to the harness (bench/run.ts). */

/**
 * One measured figure. `value` is always set and is what the table shows first; a row that
 * compares Tower with tmux (keystroke latency, throughput, memory) also carries both figures and
 * `ratio` = tower / tmux (see `compareRow`).
 */
export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  note?: string;
  tower?: number;
  tmux?: number;
  ratio?: number;
}

export interface BenchResult {
  rows: BenchRow[];
  /** Correctness checks that did not hold: the harness prints them loudly and exits 1. */
  failures?: string[];
  /** Anything else worth keeping in the JSON results (parameters, raw counts). */
  details?: Record<string, unknown>;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

export function row(metric: string, value: number, unit: string, note?: string): BenchRow {
  return note === undefined ? { metric, value, unit } : { metric, value, unit, note };
}

/** A Tower-versus-tmux row: `value` is Tower's figure, `ratio` is tower / tmux. */
export function compareRow(
  metric: string,
  tower: number,
  tmux: number,
  unit: string,
  note?: string,
): BenchRow {
  const ratio = tmux === 0 ? Number.NaN : tower / tmux;
  return { ...row(metric, tower, unit, note), tower, tmux, ratio };
}
