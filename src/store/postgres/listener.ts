import pg from 'pg';

/** The channel every enqueuing transaction notifies, with its schema and store in the payload. */
export const enqueueChannel = 'countersign_effects';

export interface EnqueueNotice {
  readonly schema: string;
  /** The store (one per process) whose transaction enqueued. */
  readonly from: string;
}

export function noticePayload(notice: EnqueueNotice): string {
  return JSON.stringify(notice);
}

function parseNotice(payload: string | undefined): EnqueueNotice | undefined {
  try {
    const notice = JSON.parse(payload ?? '') as Partial<EnqueueNotice>;
    return typeof notice.schema === 'string' && typeof notice.from === 'string'
      ? { schema: notice.schema, from: notice.from }
      : undefined;
  } catch {
    return undefined;
  }
}

export interface Listener {
  close(): Promise<void>;
}

const pingEveryMs = 30_000;
const maxRetryMs = 10_000;

/**
 * Keeps one connection LISTENing, and calls `wake` for each enqueue another store committed in the same
 * schema. A lost connection is opened again, with backoff; notifications sent meanwhile are lost, so it wakes
 * once when it is back. A ping every 30 s notices a connection that died silently.
 */
export async function listenForEnqueues(
  config: pg.ClientConfig,
  self: EnqueueNotice,
  wake: () => void,
): Promise<Listener> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = 250;
  let retry: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client(config);
    next.on('notification', (message) => {
      const notice = parseNotice(message.payload);
      if (notice?.schema === self.schema && notice.from !== self.from) wake();
    });
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${enqueueChannel}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    retryMs = 250;
  }

  function lost(which: pg.Client): void {
    if (which !== client) return;
    client = undefined;
    void which.end().catch(() => undefined);
    if (!stopped) reconnectLater();
  }

  function reconnectLater(): void {
    retry = setTimeout(() => {
      connect().then(
        () => {
          if (!stopped) wake();
        },
        () => {
          retryMs = Math.min(retryMs * 2, maxRetryMs);
          if (!stopped) reconnectLater();
        },
      );
    }, retryMs);
    retry.unref();
  }

  const ping = setInterval(() => {
    const current = client;
    current?.query('SELECT 1').catch(() => lost(current));
  }, pingEveryMs);
  ping.unref();

  try {
    await connect();
  } catch (error) {
    clearInterval(ping);
    throw error;
  }
  return {
    async close() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
