import { type CommandDeps, type CommandHandler, fundMilestoneCommand } from './fund-milestone.js';

export type { CommandHandler, CommandRequest } from './fund-milestone.js';

/**
 * Countersign's slash commands by name. The receivers call them directly, not through Bolt's listener chain:
 * a command needs none of its middleware (the signature is checked, the identity known at start-up), and under
 * a burst of commands the chain's own cost was most of the acknowledgement's (bench rows 7a and 7b).
 */
export function commandHandlers(deps: CommandDeps): ReadonlyMap<string, CommandHandler> {
  return new Map([['/fund-milestone', fundMilestoneCommand(deps)]]);
}
