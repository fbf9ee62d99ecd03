import type { DecodedApiRequest } from './http-io.js';
import { withWarning } from './message-metadata.js';
import { appTokenMethods } from './web-api-apps.js';
import { chatMethods } from './web-api-chat.js';
import { directoryMethods } from './web-api-directory.js';
import { historyMethods } from './web-api-history.js';
import type { ApiDeps, ApiResult, MethodHandler } from './web-api-support.js';
import { fail } from './web-api-support.js';
import { viewMethods } from './web-api-views.js';

const methods: Record<string, MethodHandler> = {
  ...chatMethods,
  ...directoryMethods,
  ...historyMethods,
  ...viewMethods,
};

export const supportedMethods: readonly string[] = [...Object.keys(methods), ...Object.keys(appTokenMethods)];

/** The tokens the fake issued: the bot token (`xoxb-…`) and the app-level token (`xapp-…`) for Socket Mode. */
export interface IssuedTokens {
  bot: string;
  app: string;
}

/**
 * Answers one Web API call like Slack: HTTP 200 whatever the outcome, `ok:false` with a short error code on
 * failure, and any warnings in `response_metadata` (which WebClient logs).
 */
export function answerApiCall(
  method: string,
  request: DecodedApiRequest,
  deps: ApiDeps,
  tokens: IssuedTokens,
): ApiResult {
  const handler = methods[method] ?? appTokenMethods[method];
  if (handler === undefined) return fail('unknown_method', { req_method: method });
  if (!request.ok) return fail(request.error);
  if (request.token === undefined || request.token === '') return fail('not_authed');
  if (request.token !== tokens.bot && request.token !== tokens.app) return fail('invalid_auth');
  // An app-level token only opens Socket Mode connections, and a bot token cannot.
  if ((request.token === tokens.app) !== method in appTokenMethods) return fail('not_allowed_token_type');
  // Warnings about the request itself (missing_charset) come after any the method raised.
  return request.warnings.reduce(withWarning, handler(request.args, deps));
}
