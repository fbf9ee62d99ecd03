import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the page's HTML, CSS and JavaScript live: served as they are, with no build step. */
export const webDir = fileURLToPath(new URL('./web/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Scripts and styles from this origin only, no inline code, no frames: the page renders text that came from
 * a bot and from users, so even a rendering mistake must not be able to run anything.
 */
export const pageSecurityHeaders: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface StaticFiles {
  /** Sends `name` (a bare file name in the web folder) and answers true, or answers false if there is none. */
  send(res: ServerResponse, name: string, method: string): boolean;
}

/**
 * Serves the files in `dir` by exact name. The list is read once, so a request can only ever name one of
 * them: no path joins on user input, no traversal. Files are read per request so edits show on reload.
 */
export function createStaticFiles(dir: string = webDir): StaticFiles {
  const names = new Set(
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && contentTypes[extname(entry.name)] !== undefined)
      .map((entry) => entry.name),
  );
  return {
    send(res, name, method) {
      if (!names.has(name)) return false;
      const body = readFileSync(join(dir, name));
      res.writeHead(200, {
        'content-type': contentTypes[extname(name)] ?? 'application/octet-stream',
        'content-length': String(body.length),
        'cache-control': 'no-store',
        ...pageSecurityHeaders,
      });
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
