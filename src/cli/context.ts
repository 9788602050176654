/** What every command that works on a repository needs: the engine's view of the project. */
import { openProject, type Project } from "../engine/project.js";

export type Context = Project;

export const loadContext = (cwd: string = process.cwd()): Promise<Context> => openProject(cwd);

/** Prints what the store recovered while the command ran, so nothing happens silently. */
export function reportRecoveries(context: Context): void {
  for (const message of context.store.recoveries) process.stderr.write(`warning: ${message}\n`);
}
