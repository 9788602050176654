/**
 * Who a hook, a guard or an MCP tool acts for: the agent Tower started, as its environment says
 * (Tower sets these variables for every agent, and the agent's own hooks and tools inherit them).
 */
export interface AgentIdentity {
  agent: string;
  stream: string;
  /** The stream's worktree, where the agent works. */
  worktree: string;
  /** The main worktree, where streams.yaml is. */
  repoRoot: string;
  stateDir: string;
  task: string;
}

/** The agent of this process's environment, or undefined when Tower did not start it. */
export function agentFromEnv(env: NodeJS.ProcessEnv = process.env): AgentIdentity | undefined {
  const agent = env.TOWER_AGENT_ID;
  const stream = env.TOWER_STREAM;
  const worktree = env.TOWER_WORKTREE;
  const repoRoot = env.TOWER_REPO_ROOT;
  const stateDir = env.TOWER_STATE_DIR;
  if (!agent || !stream || !worktree || !repoRoot || !stateDir) return undefined;
  return { agent, stream, worktree, repoRoot, stateDir, task: env.TOWER_TASK ?? "" };
}
