import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../../../logger.js';
import type { UseCases } from '../../../use-cases/use-cases.js';

/** Someone opened the app's Home tab: publish a fresh view for them (the queue does it, right away). */
export function appHomeOpened(useCases: UseCases, log: Logger) {
  return async ({
    event,
  }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home' || typeof event.user !== 'string') return;
    try {
      await useCases.openHome(event.user);
    } catch (error) {
      log.warn({ err: error, userId: event.user }, 'could not queue an App Home refresh');
    }
  };
}
