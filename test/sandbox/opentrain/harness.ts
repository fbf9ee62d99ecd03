import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ShiftableClock } from '../../../src/clock.js';
import {
  createOpenTrainSimulator,
  type OpenTrainSimulator,
  type OpenTrainSimulatorOptions,
} from '../../../src/sandbox/opentrain/simulator.js';

export const token = 'ot_pat_test_0000_secret';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields and assert on them
  body: any;
}

export interface Harness {
  sim: OpenTrainSimulator;
  clock: ShiftableClock;
  baseUrl: string;
  call(method: string, path: string, init?: { token?: string | null; body?: unknown }): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** A listening simulator on a random port, with a fresh ShiftableClock and a test token. */
export async function startSimulator(options: Partial<OpenTrainSimulatorOptions> = {}): Promise<Harness> {
  const clock = new ShiftableClock();
  const sim = createOpenTrainSimulator({ clock, token, ...options });
  const baseUrl = await sim.listen();
  return {
    sim,
    clock,
    baseUrl,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = {};
      const bearer = init.token === undefined ? token : init.token;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text === '' ? null : JSON.parse(text),
      };
    },
    close: () => sim.close(),
  };
}

export interface ReceivedHook {
  headers: IncomingMessage['headers'];
  rawBody: string;
}

export interface Receiver {
  url: string;
  received: ReceivedHook[];
  /** Status for each next request in turn; once used up, answers 200. */
  script: number[];
  close(): Promise<void>;
}

/** A local webhook receiver that records raw bytes and answers with scripted statuses. */
export async function startReceiver(script: number[] = []): Promise<Receiver> {
  const received: ReceivedHook[] = [];
  const receiver: Receiver = { url: '', received, script, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(receiver.script.shift() ?? 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/opentrain`;
  receiver.close = async () => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await stopped;
  };
  return receiver;
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
