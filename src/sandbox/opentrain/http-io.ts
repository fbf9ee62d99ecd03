import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readRawBody } from '../../http/io.js';
import { ApiError } from './errors.js';

export { sendJson } from '../../http/io.js';

/** Larger bodies are refused; nothing in the API takes more than a few hundred bytes. */
const maxBodyBytes = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  try {
    return (await readRawBody(req, maxBodyBytes)).toString('utf8');
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      throw new ApiError(400, 'Request body is too large.', { field: 'body' });
    throw error;
  }
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(html)),
    'cache-control': 'no-store',
    // The page has no scripts or external assets; say so, so nothing injected could run.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(303, { location, 'content-length': '0' });
  res.end();
}

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
