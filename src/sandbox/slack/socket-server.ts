import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../../clock.js';

/** Why Slack asks a Socket Mode app to go: a routine refresh, a refresh soon, or Socket Mode switched off. */
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

/** One WebSocket an app opened with a URL from apps.connections.open. */
export interface SocketConnection {
  id: string;
  openedAt: Date;
  closedAt?: Date;
  /** The WebSocket close code (1006 when the connection was dropped without a close frame). */
  closeCode?: number;
  /** Set when the fake sent `{type:'disconnect'}` on this connection. */
  disconnectReason?: DisconnectReason;
  /** The URL asked for Slack's `debug_reconnects=true` (shorter-lived connections, in real Slack). */
  debugReconnects: boolean;
}

export interface SocketServer {
  /** A one-use ticket for apps.connections.open's URL (`/link/?ticket=…`). */
  mintTicket(): string;
  /** Accepts an upgrade to `…/link/?ticket=<ticket>`; anything else is refused with 401. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends a JSON message; false when the connection is not open. */
  send(connectionId: string, message: unknown): boolean;
  /** The open connection the next envelope goes to (round robin, like Slack spreading over an app's sockets). */
  pick(): string | undefined;
  disconnect(reason: DisconnectReason, connectionId: string | undefined, graceMs: number): Promise<void>;
  drop(connectionId: string | undefined): Promise<void>;
  connections(): SocketConnection[];
  close(): Promise<void>;
}

interface Live {
  info: SocketConnection;
  ws: WebSocket;
  closed: Promise<void>;
}

export function createSocketServer(deps: {
  appId: string;
  clock: Clock;
  onMessage(connectionId: string, text: string): void;
  onChange(): void;
}): SocketServer {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const live = new Map<string, Live>();
  const all: SocketConnection[] = [];
  let seq = 0;
  let turn = 0;

  function accept(ws: WebSocket, debugReconnects: boolean): void {
    seq += 1;
    const info: SocketConnection = { id: `sock-${seq}`, openedAt: deps.clock.now(), debugReconnects };
    const closed = new Promise<void>((resolve) => {
      ws.on('close', (code) => {
        info.closedAt = deps.clock.now();
        info.closeCode = code;
        live.delete(info.id);
        deps.onChange();
        resolve();
      });
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) deps.onMessage(info.id, data.toString());
    });
    ws.on('error', () => {});
    live.set(info.id, { info, ws, closed });
    all.push(info);
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: live.size,
        debug_info: { host: 'applink-sandbox-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: deps.appId },
      }),
    );
    deps.onChange();
  }

  function refuse(socket: Duplex): void {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  }

  function targets(connectionId: string | undefined): Live[] {
    if (connectionId === undefined) return [...live.values()];
    const one = live.get(connectionId);
    return one === undefined ? [] : [one];
  }

  return {
    mintTicket() {
      const ticket = randomBytes(16).toString('hex');
      tickets.add(ticket);
      return ticket;
    },
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://slack-fake.invalid');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (!/\/link\/?$/.test(url.pathname) || !tickets.delete(ticket)) return refuse(socket);
      const debug = url.searchParams.get('debug_reconnects') === 'true';
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, debug));
    },
    send(connectionId, message) {
      const target = live.get(connectionId);
      if (target === undefined || target.ws.readyState !== target.ws.OPEN) return false;
      target.ws.send(JSON.stringify(message));
      return true;
    },
    pick() {
      // A socket already closing (the app is reconnecting) gets nothing new while another one is open.
      const open = [...live.values()].filter((target) => target.ws.readyState === target.ws.OPEN);
      if (open.length === 0) return undefined;
      turn += 1;
      return open[turn % open.length]?.info.id;
    },
    async disconnect(reason, connectionId, graceMs) {
      const chosen = targets(connectionId);
      for (const target of chosen) {
        target.info.disconnectReason = reason;
        target.ws.send(
          JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-sandbox-fake' } }),
        );
      }
      deps.onChange();
      // The app is expected to close the socket itself. One that doesn't is closed for it after the grace period,
      // and cut off if it doesn't answer that close frame within another.
      await Promise.all(
        chosen.map(async (target) => {
          const timers = [
            setTimeout(() => target.ws.close(1001, reason), graceMs),
            setTimeout(() => target.ws.terminate(), 2 * graceMs),
          ];
          await target.closed;
          for (const timer of timers) clearTimeout(timer);
        }),
      );
    },
    async drop(connectionId) {
      const chosen = targets(connectionId);
      for (const target of chosen) target.ws.terminate();
      await Promise.all(chosen.map((target) => target.closed));
    },
    connections: () => all.map((info) => ({ ...info })),
    async close() {
      tickets.clear();
      const closing = [...live.values()];
      for (const target of closing) target.ws.terminate();
      await Promise.all(closing.map((target) => target.closed));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
