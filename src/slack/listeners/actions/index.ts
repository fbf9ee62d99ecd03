import type { App } from '@slack/bolt';
import type { UseCases } from '../../../use-cases/use-cases.js';
import { openApprovalActionId } from '../../messages/format.js';
import { openApprovalAction } from './open-approval.js';

export function registerActions(app: App, useCases: UseCases): void {
  app.action(openApprovalActionId, openApprovalAction(useCases));
}
