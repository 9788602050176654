/**
 * NODE_EXTRA_CA_CERTS makes Node read and parse a certificate bundle before any of its code runs
 * (about 40 ms and 2 MB on this machine, for every Node process). Tower's own processes (the
 * control room, `tower attach`, the server) open no TLS connection, so they start without it:
 * the `tower` shell launcher (dist/bin/tower, written by scripts/bundle.ts) and the server's
 * spawn move the variable to SAVED_BUNDLE_VAR, and dist/bin/tower.js puts it back into
 * process.env before anything else, so every process Tower starts (an agent, git, a hook) gets
 * the user's bundle as it was.
 */
export const BUNDLE_VAR = "NODE_EXTRA_CA_CERTS";
export const SAVED_BUNDLE_VAR = "TOWER_NODE_EXTRA_CA_CERTS";

/** `env` for starting one of Tower's own Node processes: the bundle's variable moved aside. */
export function withBundleSetAside(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const bundle = env[BUNDLE_VAR];
  if (bundle === undefined) return env;
  const { [BUNDLE_VAR]: _moved, ...rest } = env;
  return { ...rest, [SAVED_BUNDLE_VAR]: bundle };
}
