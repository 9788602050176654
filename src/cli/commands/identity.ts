/** Who is acting: `--agent`/`--stream`, else `TOWER_AGENT_ID`/`TOWER_STREAM`, checked against the plan. */
import { agentOrigin } from "../../engine/agent-processes.js";
import { streamOfAgent } from "../../engine/handoffs.js";
import type { Plan } from "../../engine/plan/index.js";
import type { StateStore } from "../../engine/state/store.js";
import { CliError, refused, usageError } from "../errors.js";

/** The id a person uses for locks and approvals when no agent id is given. */
export const HUMAN = "human";

export interface Identity {
  agent: string;
  stream: string;
}

export function resolveIdentity(
  plan: Plan,
  options: { agent?: string; stream?: string },
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Identity {
  const agent = options.agent ?? env.TOWER_AGENT_ID;
  if (!agent) {
    throw usageError(
      `tower ${command} needs to know which agent acts: pass --agent ID or set TOWER_AGENT_ID`,
    );
  }
  const planned = streamOfAgent(plan, agent);
  if (planned === undefined && agent !== HUMAN) {
    const known = plan.streams.flatMap((s) => s.agents.map((a) => a.id));
    throw new CliError(`unknown agent "${agent}" (known: ${[...known, HUMAN].join(", ")})`);
  }
  if (options.stream !== undefined && planned !== undefined && options.stream !== planned) {
    throw new CliError(
      `agent ${agent} is in stream ${planned}, not ${options.stream} (streams.yaml): leave out --stream`,
    );
  }
  const stream = options.stream ?? env.TOWER_STREAM ?? planned ?? "";
  if (stream && !plan.streams.some((s) => s.id === stream)) {
    throw new CliError(
      `unknown stream "${stream}" (known: ${plan.streams.map((s) => s.id).join(", ")})`,
    );
  }
  return { agent, stream };
}

/**
 * An agent acts as itself: from an agent's process, session or terminal (engine/agent-processes.ts),
 * naming another agent is refused, so that no agent takes or releases a lock as another one.
 */
export async function refuseActingAsAnother(
  store: StateStore,
  who: Identity,
  command: string,
): Promise<void> {
  const origin = await agentOrigin(store);
  if (origin === undefined || origin.agent === who.agent) return;
  throw refused(
    `tower ${command} as ${who.agent}: this looks like agent ${origin.agent} (${origin.how}), and an agent ${command}s only as itself: leave out --agent, or run it from your own terminal`,
  );
}
