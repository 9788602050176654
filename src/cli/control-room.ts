/**
 * Loads the control room (Ink, React) only when it is opened, so other commands start fast.
 * While it loads, the environment is what a terminal program needs, and is put back afterwards
 * for everything else (the agents' environment included):
 * - Ink decides once, when it is loaded, whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION
 *   set) and then draws nothing until exit; the control room only ever runs in a terminal.
 * - React picks its build by NODE_ENV when it is loaded. The development build records every
 *   component render on the performance timeline, which Node keeps until cleared: hundreds of
 *   megabytes a minute under a flood of agent output, and several times the CPU. Unless
 *   NODE_ENV is set, the production build is loaded.
 *
 * A module of its own, with nothing else in it: `tower attach` (attach-main.ts) starts this
 * import before anything else and paints its first frame while it runs.
 */
export async function loadControlRoom(): Promise<typeof import("../ui/run.js")> {
  const keys = ["CI", "CONTINUOUS_INTEGRATION", "NODE_ENV"] as const;
  const saved = keys.map((key) => [key, process.env[key]] as const);
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  process.env.NODE_ENV ??= "production";
  try {
    return await import("../ui/run.js");
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
