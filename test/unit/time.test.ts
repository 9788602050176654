import { describe, expect, it } from "vitest";
import { parseTimestamp, toNaiveLocal, toUtcIso } from "../../src/engine/state/time.js";

describe("timestamps", () => {
  it("writes naive local time with microseconds, as Python's isoformat() does", () => {
    const date = new Date(2025, 11, 6, 10, 0, 0, 123);
    expect(toNaiveLocal(date)).toBe("2025-12-06T10:00:00.123000");
  });

  it("writes UTC with Z everywhere else", () => {
    expect(toUtcIso(new Date(Date.UTC(2025, 11, 6, 10, 0, 0, 5)))).toBe("2025-12-06T10:00:00.005Z");
  });

  it("reads both forms, and round-trips the naive form", () => {
    const date = new Date(2025, 11, 6, 10, 0, 0, 123);
    expect(parseTimestamp(toNaiveLocal(date))?.getTime()).toBe(date.getTime());
    expect(parseTimestamp("2025-12-06T10:00:00.123456")?.getTime()).toBe(date.getTime());
    expect(parseTimestamp("2025-12-06T10:00:00")?.getTime()).toBe(
      new Date(2025, 11, 6, 10).getTime(),
    );
    expect(parseTimestamp("2025-12-06T10:00:00Z")?.getTime()).toBe(Date.UTC(2025, 11, 6, 10));
    expect(parseTimestamp("2025-12-06T10:00:00.123456+02:00")?.getTime()).toBe(
      Date.UTC(2025, 11, 6, 8, 0, 0, 123),
    );
    expect(parseTimestamp("2025-12-06 10:00:00.5+0000")?.getTime()).toBe(
      Date.UTC(2025, 11, 6, 10, 0, 0, 500),
    );
  });

  it("rejects what is not a timestamp", () => {
    for (const bad of ["", "tomorrow", "2025-13-45T99:99:99", 42, null, "2025-12-06"]) {
      expect(parseTimestamp(bad), String(bad)).toBeUndefined();
    }
  });
});
