import type { IncomingMessage } from 'node:http';
import { readRawBody } from '../../http/io.js';

export { sendJson } from '../../http/io.js';

/** Slack refuses request bodies far smaller than this; the cap only protects the fake from runaway input. */
const maxBodyBytes = 5 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req, maxBodyBytes)).toString('utf8');
}

export type DecodedApiRequest =
  | { ok: true; args: Record<string, unknown>; token: string | undefined; warnings: string[] }
  | { ok: false; error: 'invalid_json' | 'invalid_form_data' };

/** Arguments that WebClient (and Slack's docs) send as JSON-encoded strings inside a form body. */
const jsonEncodedArgs = new Set(['blocks', 'attachments', 'view', 'metadata']);

/**
 * Decodes a Web API request the way Slack does: form-encoded (WebClient's default, nested values as JSON strings)
 * or JSON (token only in the Authorization header), plus query-string arguments.
 */
export function decodeApiRequest(
  req: IncomingMessage,
  rawBody: string,
  query: URLSearchParams,
): DecodedApiRequest {
  const args: Record<string, unknown> = Object.fromEntries(query);
  const warnings: string[] = [];
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = rawBody === '' ? {} : JSON.parse(rawBody);
    } catch {
      return { ok: false, error: 'invalid_json' };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return { ok: false, error: 'invalid_json' };
    Object.assign(args, parsed);
    // Slack answers JSON bodies sent without a charset with this warning in response_metadata.
    if (!contentType.includes('charset')) warnings.push('missing_charset');
  } else if (rawBody !== '') {
    for (const [key, value] of new URLSearchParams(rawBody)) args[key] = decodeFormValue(key, value);
  }
  const header = req.headers.authorization;
  const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1];
  const bodyToken = typeof args.token === 'string' ? args.token : undefined;
  delete args.token;
  return { ok: true, args, token: bearer ?? bodyToken, warnings };
}

function decodeFormValue(key: string, value: string): unknown {
  if (!jsonEncodedArgs.has(key)) return value;
  try {
    return JSON.parse(value);
  } catch {
    // Left as a string so the method answers invalid_blocks_format / invalid_arguments like Slack does.
    return value;
  }
}
