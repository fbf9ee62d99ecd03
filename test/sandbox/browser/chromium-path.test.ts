import { describe, expect, it } from 'vitest';
import { findChromium } from './browser.js';

// Which Chromium the browser tests drive; no browser is started here.
describe('findChromium', () => {
  const only =
    (...paths: string[]) =>
    (path: string) =>
      paths.includes(path);

  it("uses Debian's /usr/bin/chromium when nothing is set", () => {
    expect(findChromium({}, only('/usr/bin/chromium'))).toEqual({ path: '/usr/bin/chromium' });
    expect(findChromium({}, only('/usr/bin/chromium-browser'))).toEqual({
      path: '/usr/bin/chromium-browser',
    });
  });

  it('prefers CHROMIUM_PATH, then PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH', () => {
    const exists = only('/opt/chrome/chrome', '/nix/store/x-chromium/bin/chromium', '/usr/bin/chromium');

    expect(
      findChromium(
        {
          CHROMIUM_PATH: '/opt/chrome/chrome',
          PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH: '/nix/store/x-chromium/bin/chromium',
        },
        exists,
      ),
    ).toEqual({ path: '/opt/chrome/chrome' });
    expect(
      findChromium({ PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH: '/nix/store/x-chromium/bin/chromium' }, exists),
    ).toEqual({
      path: '/nix/store/x-chromium/bin/chromium',
    });
  });

  it('says a variable points nowhere instead of quietly using another browser', () => {
    const found = findChromium({ CHROMIUM_PATH: '/opt/missing/chrome' }, only('/usr/bin/chromium'));

    expect(found).toEqual({
      problem: expect.stringContaining('CHROMIUM_PATH is set to /opt/missing/chrome'),
    });
  });

  it('says how to install Chromium or point at one when there is none', () => {
    const found = findChromium({}, only());

    expect(found).toEqual({
      problem: expect.stringContaining('apt-get install --no-install-recommends chromium'),
    });
    expect('problem' in found ? found.problem : '').toContain('set CHROMIUM_PATH');
  });
});
