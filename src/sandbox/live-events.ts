import type { IncomingMessage, ServerResponse } from 'node:http';

export interface LiveEvents {
  /** Answers GET /sandbox/events: a Server-Sent Events stream of `state` events. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Schedules a push to every open stream; calls within a short window share one. */
  changed(): void;
  close(): void;
}

/**
 * The page's only live channel. The fakes report every change (and the simulator one per API request, so a
 * poll every two seconds is a change), so pushes are coalesced and each carries the whole state: the page
 * re-renders from it and never has to ask or merge.
 */
export function createLiveEvents(options: {
  build: () => unknown;
  /** How long changes are gathered before one push. */
  coalesceMs?: number;
  /** A comment line this often keeps idle proxies and browsers from dropping the stream. */
  heartbeatMs?: number;
}): LiveEvents {
  const clients = new Set<ServerResponse>();
  const coalesceMs = options.coalesceMs ?? 60;
  let pending: NodeJS.Timeout | undefined;
  let eventId = 0;

  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, options.heartbeatMs ?? 20_000);
  heartbeat.unref();

  function frame(): string {
    eventId += 1;
    // JSON.stringify never emits a raw newline, so the whole state fits one data line.
    return `id: ${eventId}\nevent: state\ndata: ${JSON.stringify(options.build())}\n\n`;
  }

  function push(): void {
    pending = undefined;
    if (clients.size === 0) return;
    const text = frame();
    for (const res of clients) res.write(text);
  }

  return {
    handle(req, res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      // Reconnect quickly after a restart of the sandbox; EventSource does it by itself.
      res.write(`retry: 1000\n\n${frame()}`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    changed() {
      pending ??= setTimeout(push, coalesceMs);
    },
    close() {
      clearInterval(heartbeat);
      clearTimeout(pending);
      pending = undefined;
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
