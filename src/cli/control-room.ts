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
 * - Ink's layout engine (yoga-layout, WebAssembly) reads its module from a `data:` URL with
 *   `fetch` when the global is a function, else decodes it itself. Node's first `fetch` loads
 *   and compiles undici, its HTTP client: 50 ms of CPU (`node -e` with a fetch of a data: URL
 *   against without, on this machine) and megabytes of heap, in a control room that opens no
 *   connection. The global is hidden while the control room loads, and put back.
 *
 * A module of its own, with nothing else in it: `tower attach` (attach-main.ts) imports it once
 * its first frame is painted.
 */
export async function loadControlRoom(): Promise<typeof import("../ui/run.js")> {
  const keys = ["CI", "CONTINUOUS_INTEGRATION", "NODE_ENV"] as const;
  const saved = keys.map((key) => [key, process.env[key]] as const);
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  process.env.NODE_ENV ??= "production";
  // Read without calling Node's lazy getter, so that putting it back loads nothing either.
  const fetch = Object.getOwnPropertyDescriptor(globalThis, "fetch");
  if (fetch?.configurable) {
    Object.defineProperty(globalThis, "fetch", {
      value: undefined,
      configurable: true,
      writable: true,
    });
  }
  try {
    return await import("../ui/run.js");
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (fetch?.configurable) Object.defineProperty(globalThis, "fetch", fetch);
  }
}
