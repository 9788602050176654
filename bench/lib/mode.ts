/**
 * Quick mode: every benchmark with small sizes and a few samples, so that a whole run takes a
 * couple of minutes (a smoke test of the harness, test/bench/quick.test.ts; its figures are not
 * worth comparing). On with `--quick` on the harness's command line or TOWER_BENCH_QUICK=1.
 *
 * Read once, when the first benchmark module loads: modules pick their sizes at load time with
 * `sized(full, quick)`. Both the command line and the environment are known by then, whatever
 * the order of the imports.
 */

export const QUICK: boolean =
  process.env.TOWER_BENCH_QUICK === "1" || process.argv.slice(2).includes("--quick");

/** `full` normally, `quick` in quick mode. */
export function sized<T>(full: T, quick: T): T {
  return QUICK ? quick : full;
}
