/**
 * The `memory` benchmark's growth check (bench/memory.ts): five minutes of resident-set samples
 * every 5 s; it must flag memory that is still climbing well above its early level, and nothing
 * else.
 */
import { describe, expect, it } from "vitest";
import { growth } from "../../bench/memory.js";

const MB = 1024 * 1024;

/** Samples every 5 s for 5 minutes, `mb(t)` in MB at `t` ms. */
const series = (mb: (t: number) => number) =>
  Array.from({ length: 60 }, (_, i) => {
    const t = (i + 1) * 5_000;
    return { t, rss: mb(t) * MB, received: i };
  });

describe("the memory growth check", () => {
  it("flags a resident set that keeps climbing (as Tower's did: 1.4 to 3.2 GB in 5 min)", () => {
    expect(
      growth(
        series((t) => 1400 + (t / 1000) * 6),
        60_000,
      ).grew,
    ).toBe(true);
  });

  it("passes a flat level with a garbage collector's sawtooth", () => {
    expect(
      growth(
        series((t) => 400 + ((t / 5_000) % 6) * 15),
        60_000,
      ).grew,
    ).toBe(false);
  });

  it("passes a level that rose after the second minute and then stayed", () => {
    expect(
      growth(
        series((t) => (t < 150_000 ? 300 : 420)),
        60_000,
      ).grew,
    ).toBe(false);
  });

  it("passes a small climb, within 10% of the level", () => {
    expect(
      growth(
        series((t) => 500 + (t / 60_000) * 8),
        60_000,
      ).grew,
    ).toBe(false);
  });
});
