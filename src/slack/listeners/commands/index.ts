import type { App } from '@slack/bolt';
import { type CommandDeps, fundMilestoneCommand } from './fund-milestone.js';

export function registerCommands(app: App, deps: CommandDeps): void {
  app.command('/fund-milestone', fundMilestoneCommand(deps));
}
