import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sendJson as sendJsonWith } from '../http/io.js';
import type { LiveEvents } from './live-events.js';
import type { OpenTrainSimulator } from './opentrain/simulator.js';
import { type PageApi, PageApiError } from './page-api.js';
import type { SlackFake } from './slack/fake.js';
import { pageSecurityHeaders, type StaticFiles } from './static-files.js';

/** Where the Slack fake is mounted; the OpenTrain simulator owns its own paths at the root. */
export const slackPrefix = '/slack';

export interface SandboxServerDeps {
  slack: SlackFake;
  opentrain: OpenTrainSimulator;
  api: PageApi;
  live: LiveEvents;
  files: StaticFiles;
  state(): unknown;
}

const maxJsonBytes = 16 * 1024;

/**
 * One origin for everything, so the page needs no CORS and a newcomer one address:
 * - `/`, `/web/*`: the page; `/sandbox/*`: its JSON endpoints (command, click, app-home, clock, account,
 *   approvals) and its event stream;
 * - `/slack/*`: the Slack fake (Web API, response_urls, permalinks), which the bot calls;
 * - `/api/public/v1/*`, `/approvals/*`, `/_sim/*`: the OpenTrain simulator, at the root because its approval
 *   page posts to and redirects to absolute paths, exactly like approvalUrl in the real app.
 */
export function createSandboxServer(deps: SandboxServerDeps): Server {
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://sandbox.invalid').pathname;
    if (!isLoopbackHost(req.headers.host)) {
      // A page on some other site could point a DNS name at 127.0.0.1 and drive this server; refuse it.
      sendJson(res, 403, { error: 'The sandbox only answers requests addressed to 127.0.0.1 or localhost.' });
      return;
    }
    if (path === slackPrefix || path.startsWith(`${slackPrefix}/`)) {
      deps.slack.handle(req, res);
      return;
    }
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/' && deps.files.send(res, 'index.html', method)) return;
      const file = /^\/web\/([\w.-]+)$/.exec(path)?.[1];
      if (file !== undefined && deps.files.send(res, file, method)) return;
      if (path === '/sandbox/state') return sendJson(res, 200, deps.state());
      if (path === '/sandbox/events') return deps.live.handle(req, res);
    }
    if (method === 'POST' && path.startsWith('/sandbox/')) return handlePost(req, res, path);
    deps.opentrain.handle(req, res, () => sendJson(res, 404, { error: `Nothing at ${path}.` }));
  }

  const posts: Record<string, (body: unknown) => unknown> = {
    '/sandbox/command': (body) => deps.api.command(body),
    '/sandbox/click': (body) => deps.api.click(body),
    '/sandbox/clock': (body) => deps.api.advance(body),
    '/sandbox/account': (body) => deps.api.account(body),
    '/sandbox/app-home': () => deps.api.openAppHome(),
  };

  async function handlePost(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    try {
      const body = await readJson(req);
      const approval = /^\/sandbox\/approvals\/([^/]+)\/(confirm|decline|open)$/.exec(path);
      const post = posts[path];
      let answer: unknown;
      if (post !== undefined) answer = await post(body);
      else if (approval !== null) {
        const action = approval[2] === 'confirm' || approval[2] === 'decline' ? approval[2] : 'open';
        answer = deps.api.resolve(decodePathPart(approval[1] ?? ''), action);
      } else throw new PageApiError(404, `No endpoint POST ${path}.`);
      sendJson(res, 200, answer);
    } catch (error) {
      if (error instanceof PageApiError) sendJson(res, error.status, { error: error.message });
      else
        sendJson(res, 500, {
          error: `Sandbox bug: ${error instanceof Error ? error.message : String(error)}`,
        });
    }
  }

  return createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: `Sandbox bug: ${String(error)}` });
    });
  });
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new PageApiError(400, 'The approval id in the path is not valid URL encoding.');
  }
}

function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

/**
 * Only JSON bodies: a form on another site can post urlencoded data here without asking, but not JSON, which
 * needs a CORS preflight this server never grants.
 */
async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new PageApiError(415, 'Send JSON (content-type: application/json).');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxJsonBytes) throw new PageApiError(413, 'That request is too large.');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PageApiError(400, 'The body is not valid JSON.');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonWith(res, status, body, pageSecurityHeaders);
}
