/**
 * How many runs each randomized fault test makes, and the seeded random numbers that choose what
 * each run does and when it is killed, so that a failure can be replayed: every test prints its
 * seed, and `TOWER_FAULT_SEED=<seed> npx vitest run --project faults <file>` makes the same
 * choices again (the kills themselves still land where the machine's timing puts them).
 */

/**
 * The issue asks for 100 runs of each kind of fault; `TOWER_FAULT_RUNS=<n>` changes it for a
 * quick try.
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

/** The seed: TOWER_FAULT_SEED if given, else a fresh one. */
export function faultSeed(): number {
  const given = process.env.TOWER_FAULT_SEED;
  if (given === undefined || given === "") return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`TOWER_FAULT_SEED must be a whole number from 0 to 4294967295, not "${given}"`);
  }
  return seed;
}

/** A seeded source of random numbers (mulberry32: small, and good enough to choose faults). */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A number in [low, high). */
  between(low: number, high: number): number {
    return low + this.next() * (high - low);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/** A seeded Random for the test file `name`, its seed printed so that a failure can be replayed. */
export function seeded(name: string): Random {
  const random = new Random(faultSeed());
  console.log(`${name}: TOWER_FAULT_SEED=${random.seed} replays these choices`);
  return random;
}
