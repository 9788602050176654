/** The services' scheduling helpers: one run at a time with one coalesced follow-up, and the
 * debounce that also covers chokidar's dropped change events; no timer while nothing happens. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { CHANGE_THROTTLE_MS, Debouncer, SerialTask } from "../../src/room/serial.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("SerialTask", () => {
  it("never runs twice at once and coalesces requests made meanwhile into one follow-up", async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const gates: (() => void)[] = [];
    const task = new SerialTask(async () => {
      active++;
      most = Math.max(most, active);
      runs++;
      await new Promise<void>((resolve) => gates.push(resolve));
      active--;
    });
    const first = task.run();
    await Promise.resolve();
    const second = task.run();
    const third = task.run();
    expect(second).toBe(third);
    await vi.waitFor(() => expect(gates).toHaveLength(1));
    gates.shift()?.();
    await first;
    await vi.waitFor(() => expect(gates).toHaveLength(1));
    gates.shift()?.();
    await second;
    expect(runs).toBe(2);
    expect(most).toBe(1);
    expect(task.busy).toBe(false);
  });

  it("keeps going after a failing run", async () => {
    let calls = 0;
    const task = new SerialTask(async () => {
      calls++;
      if (calls === 1) throw new Error("boom");
    });
    await task.run();
    await task.run();
    expect(calls).toBe(2);
  });
});

describe("Debouncer", () => {
  it("makes one flush of a burst, and once more after chokidar's window when events came late", () => {
    vi.useFakeTimers();
    const flushes: string[][] = [];
    const debouncer = new Debouncer<string>(500, (keys) => flushes.push([...keys].sort()));
    debouncer.add("a");
    vi.advanceTimersByTime(100);
    debouncer.add("b");
    debouncer.add("a");
    vi.advanceTimersByTime(399);
    expect(flushes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(flushes).toEqual([["a", "b"]]);
    // Nothing came in the last CHANGE_THROTTLE_MS before the flush: no follow-up, no timer.
    expect(vi.getTimerCount()).toBe(0);

    debouncer.add("c");
    vi.advanceTimersByTime(480);
    debouncer.add("c"); // 20 ms before the flush: a write just after it could go unreported
    vi.advanceTimersByTime(20);
    expect(flushes).toHaveLength(2);
    vi.advanceTimersByTime(CHANGE_THROTTLE_MS);
    expect(flushes).toEqual([["a", "b"], ["c"], ["c"]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("flushes every key of a short debounce once more after the window", () => {
    vi.useFakeTimers();
    const flushes: string[][] = [];
    const debouncer = new Debouncer<string>(40, (keys) => flushes.push([...keys]));
    debouncer.add("locks");
    vi.advanceTimersByTime(40);
    expect(flushes).toEqual([["locks"]]);
    vi.advanceTimersByTime(CHANGE_THROTTLE_MS);
    expect(flushes).toEqual([["locks"], ["locks"]]);
    expect(vi.getTimerCount()).toBe(0);
    debouncer.close();
    debouncer.add("locks");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("flushes once more after the window even when the flush took keys out of the set it got", () => {
    // The state watcher's flush deletes "plan" from its set to handle it apart: the follow-up
    // after chokidar's window must not depend on what a flush does with its argument.
    vi.useFakeTimers();
    const flushes: string[][] = [];
    const debouncer = new Debouncer<string>(40, (keys) => {
      flushes.push([...keys]);
      keys.delete("plan");
    });
    debouncer.add("plan");
    vi.advanceTimersByTime(40);
    vi.advanceTimersByTime(CHANGE_THROTTLE_MS);
    expect(flushes).toEqual([["plan"], ["plan"]]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
