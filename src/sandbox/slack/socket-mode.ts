import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../clock.js';
import { createSocketDeliveries, type SocketDeliveries, type SocketDelivery } from './socket-envelopes.js';
import { createSocketServer, type DisconnectReason, type SocketConnection } from './socket-server.js';

/** What a test (or the sandbox) can see and do on the fake's Socket Mode side. */
export interface SocketModeControls {
  /** Every connection opened so far, open ones without `closedAt`. */
  connections(): SocketConnection[];
  /** How many connections are open now. */
  openConnections(): number;
  /** Every envelope sent, oldest first, with its outcome and ack payload. */
  deliveries(): SocketDelivery[];
  /**
   * Sends `{type:'disconnect', reason}` (default `refresh_requested`) on one connection or all of them and
   * resolves once they are closed: by the app, as Slack expects, or by the fake after `graceMs` (default 1 s).
   * An app that reconnects calls apps.connections.open again.
   */
  disconnect(options?: { reason?: DisconnectReason; connectionId?: string; graceMs?: number }): Promise<void>;
  /** Cuts one connection or all of them without a close frame, as a network failure would. */
  drop(connectionId?: string): Promise<void>;
  /** For a fake mounted with `handle` on another server: pass that server's `upgrade` events here. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface SocketMode {
  controls: SocketModeControls;
  deliveries: SocketDeliveries;
  /** apps.connections.open's answer: `ws://<fake>/link/?ticket=<one use>&app_id=<app>`. */
  socketUrl(): string;
  close(): Promise<void>;
}

export function createSocketMode(deps: {
  appId: string;
  clock: Clock;
  ackTimeoutMs: number;
  retryDelaysMs: readonly number[];
  /** The fake's HTTP origin (path prefix included); the WebSocket URL is the same with ws:. */
  origin(): string;
  onChange(): void;
}): SocketMode {
  let deliveries: SocketDeliveries | undefined;
  const server = createSocketServer({
    appId: deps.appId,
    clock: deps.clock,
    onMessage: (connectionId, text) => deliveries?.onMessage(connectionId, text),
    onChange: deps.onChange,
  });
  const created = createSocketDeliveries({
    server,
    clock: deps.clock,
    ackTimeoutMs: deps.ackTimeoutMs,
    retryDelaysMs: deps.retryDelaysMs,
    onChange: deps.onChange,
  });
  deliveries = created;

  return {
    controls: {
      connections: () => server.connections(),
      openConnections: () =>
        server.connections().filter((connection) => connection.closedAt === undefined).length,
      deliveries: () => created.deliveries(),
      disconnect: (options = {}) =>
        server.disconnect(
          options.reason ?? 'refresh_requested',
          options.connectionId,
          options.graceMs ?? 1_000,
        ),
      drop: (connectionId) => server.drop(connectionId),
      handleUpgrade: (req, socket, head) => server.handleUpgrade(req, socket, head),
    },
    deliveries: created,
    socketUrl() {
      const base = deps.origin().replace(/^http/, 'ws');
      const query = new URLSearchParams({ ticket: server.mintTicket(), app_id: deps.appId });
      return `${base}/link/?${query}`;
    },
    async close() {
      created.close();
      await server.close();
    },
  };
}
