import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpServer, keepAliveTimeoutMs, listen } from '../../../src/http/server.js';
import { createLogger } from '../../../src/logger.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(): Promise<string> {
  const server = await listen(
    [{ method: 'GET', path: '/ping', handler: (_req, res) => res.writeHead(200).end('pong') }],
    { port: 0, host: '127.0.0.1', log: createLogger({ level: 'silent' }) },
  );
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

describe('the HTTP listener', () => {
  it('tells clients it keeps an idle connection open for longer than a load balancer would', async () => {
    const origin = await serve();

    const answer = await request(`${origin}/ping`);
    await answer.body.text();

    expect(keepAliveTimeoutMs).toBeGreaterThan(60_000);
    expect(answer.headers['keep-alive']).toBe(`timeout=${keepAliveTimeoutMs / 1_000}`);
    expect(answer.headers.connection).toBe('keep-alive');
  });

  it('answers an unknown path with 404 and a known path with the wrong method with 405', async () => {
    const origin = await serve();

    const missing = await request(`${origin}/nowhere`);
    const wrongMethod = await request(`${origin}/ping`, { method: 'POST', body: '' });

    expect([missing.statusCode, await missing.body.json()]).toEqual([404, { error: 'not_found' }]);
    expect([wrongMethod.statusCode, await wrongMethod.body.json()]).toEqual([
      405,
      { error: 'method_not_allowed' },
    ]);
  });
});
