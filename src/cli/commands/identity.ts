/** Who is acting: `--agent`/`--stream`, else `TOWER_AGENT_ID`/`TOWER_STREAM`, checked against the plan. */
import { streamOfAgent } from "../../engine/handoffs.js";
import type { Plan } from "../../engine/plan/index.js";
import { CliError, usageError } from "../errors.js";

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
  const stream = options.stream ?? env.TOWER_STREAM ?? planned ?? "";
  if (stream && !plan.streams.some((s) => s.id === stream)) {
    throw new CliError(
      `unknown stream "${stream}" (known: ${plan.streams.map((s) => s.id).join(", ")})`,
    );
  }
  return { agent, stream };
}
