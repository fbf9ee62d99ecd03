import type { ApiDeps, ApiResult, MethodHandler } from './web-api-support.js';

/**
 * apps.connections.open: a fresh WebSocket URL for Socket Mode, each with its own one-use ticket. Called with the
 * app-level token (`xapp-…`); web-api.ts refuses any other token for it.
 */
function connectionsOpen(_args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  return { ok: true, url: deps.socketUrl() };
}

/** Methods that take the app-level token rather than the bot token. */
export const appTokenMethods: Record<string, MethodHandler> = { 'apps.connections.open': connectionsOpen };
