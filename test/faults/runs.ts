/**
 * How many runs each randomized fault test makes. The issue asks for 100 of each kind of fault;
 * that takes longer than the faults project may (about 8 minutes on two cores), so each test has
 * a default that fits, and `TOWER_FAULT_RUNS=100 npx vitest run --project faults` runs them all.
 */
export function faultRuns(fallback: number): number {
  const given = process.env.TOWER_FAULT_RUNS;
  if (given === undefined || given === "") return fallback;
  const runs = Number(given);
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new Error(`TOWER_FAULT_RUNS must be a whole number of runs, at least 1, not "${given}"`);
  }
  return runs;
}

/** A random number in [low, high). */
export const random = (low: number, high: number): number => low + Math.random() * (high - low);

/** One of `items`, at random. */
export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}
