import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Store } from '../../store/store.js';

/** Someone opened the app's Home tab: publish a fresh view for them (the worker does it, right away). */
export function appHomeOpened(deps: { store: Store; clock: Clock; log: Logger; kick: () => void }) {
  return async ({
    event,
  }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    try {
      await deps.store.homeOpened(event.user, deps.clock.now());
      deps.kick();
    } catch (error) {
      deps.log.warn({ err: error, userId: event.user }, 'could not queue an App Home refresh');
    }
  };
}
