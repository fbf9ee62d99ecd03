import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { type Sandbox, startSandbox } from '../../../src/sandbox/start-sandbox.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const artifactsDir = join(repoRoot, 'test-results');
/** The picture next to the README's quick start; rewritten only with UPDATE_SCREENSHOT=1. */
export const readmeScreenshot = join(repoRoot, 'src/sandbox/web/screenshot.png');

/** Where Debian (and Ubuntu) put Chromium; the tests never download a browser. */
export const defaultChromiumPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;

/** The variables that point the tests at another Chromium or Chrome, ours first, then Playwright users' habit. */
export const chromiumPathVariables = ['CHROMIUM_PATH', 'PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH'] as const;

export const installChromiumHint =
  "Install Debian's package (sudo apt-get install --no-install-recommends chromium), or set CHROMIUM_PATH to a Chromium or Chrome binary.";

/**
 * The Chromium to drive: the first variable that is set (it must exist: a wrong path is an error, not a reason
 * to fall back), else the first default path that exists.
 */
export function findChromium(
  env: Record<string, string | undefined>,
  exists: (path: string) => boolean = existsSync,
): { path: string } | { problem: string } {
  for (const name of chromiumPathVariables) {
    const path = env[name]?.trim();
    if (path === undefined || path === '') continue;
    if (exists(path)) return { path };
    return { problem: `${name} is set to ${path}, but there is no file there. ${installChromiumHint}` };
  }
  const found = defaultChromiumPaths.find((path) => exists(path));
  if (found !== undefined) return { path: found };
  return {
    problem: `The browser tests need Chromium and found none at ${defaultChromiumPaths.join(' or ')}. ${installChromiumHint}`,
  };
}

export async function launchChromium(): Promise<Browser> {
  const chromiumAt = findChromium(process.env);
  if ('problem' in chromiumAt) throw new Error(chromiumAt.problem);
  return chromium.launch({
    executablePath: chromiumAt.path,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A zone far from UTC, so a date token rendered in UTC (or in the server's zone) would be caught. */
export const browserTimeZone = 'America/Los_Angeles';

export interface Session {
  sandbox: Sandbox;
  context: BrowserContext;
  page: Page;
  /** The bot's log lines, for a failing test's message. */
  logs: string[];
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Defaults to a laptop screen, 1440 × 900. */
  viewport?: { width: number; height: number };
}

/** A fresh sandbox (real bot, fresh store, reseeded fakes) and a page open on it. */
export async function openSandbox(browser: Browser, options: SessionOptions = {}): Promise<Session> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const sandbox = await startSandbox({ env: {}, log: createLogger({ level: 'warn', destination }) });
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1440, height: 900 },
    locale: 'en-US',
    timezoneId: browserTimeZone,
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(sandbox.url);
  await page.locator('#connection[data-status="live"]').waitFor();
  return {
    sandbox,
    context,
    page,
    logs,
    async close() {
      await context.close();
      await sandbox.close();
      if (pageErrors.length > 0) throw new Error(`the page threw: ${pageErrors.join('; ')}`);
    },
  };
}

/** Types into the Slack composer and sends, as a person would. */
export async function typeInSlack(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(text);
  await composer.press('Enter');
}

export async function openChannel(page: Page, label: string): Promise<void> {
  await page.locator('.sidebar button.channel', { hasText: label }).click();
  await page.locator('#conv-title', { hasText: label }).waitFor();
}

/** Saves `test-results/<name>.png`, and the README picture too when asked to. */
export async function saveScreenshot(page: Page, name: string, options: { readme?: boolean } = {}) {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), animations: 'disabled' });
  if (options.readme === true && process.env.UPDATE_SCREENSHOT === '1') {
    mkdirSync(dirname(readmeScreenshot), { recursive: true });
    await page.screenshot({ path: readmeScreenshot, animations: 'disabled' });
  }
}

/** Characters that need an emoji font; the page draws its pictures as SVG instead, so it shows none. */
export const emojiCharacter = /\p{Extended_Pictographic}/u;

/** Intl in Node and in Chromium may differ in spaces (U+202F before AM/PM); compare words only. */
export function words(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** One Chromium for the enclosing describe and a fresh sandbox and page for each of its tests. */
export function useSandboxSession(options: SessionOptions = {}): { readonly current: Session } {
  let browser: Browser | undefined;
  let session: Session | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    session = await openSandbox(browser, options);
  });
  afterEach(async () => {
    await session?.close();
  });
  return {
    get current() {
      if (session === undefined) throw new Error('no sandbox session');
      return session;
    },
  };
}
