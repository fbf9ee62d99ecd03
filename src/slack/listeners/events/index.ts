import type { App } from '@slack/bolt';
import type { Logger } from '../../../logger.js';
import type { UseCases } from '../../../use-cases/use-cases.js';
import { appHomeOpened } from './app-home-opened.js';

export function registerEvents(app: App, useCases: UseCases, log: Logger): void {
  app.event('app_home_opened', appHomeOpened(useCases, log));
}
