import { describe, expect, it } from 'vitest';
import { dateToken, escapeAndTruncate, escapeText, link, money } from '../../../src/slack/messages/format.js';

describe('mrkdwn formatting', () => {
  it('escapes everything that could become a mention, broadcast or link', () => {
    expect(escapeText('<!channel> <@U1> <https://evil|ok> & co')).toBe(
      '&lt;!channel&gt; &lt;@U1&gt; &lt;https://evil|ok&gt; &amp; co',
    );
  });

  it('truncates without leaving half an entity behind', () => {
    const cut = escapeAndTruncate('aaaa<b', 7);

    expect(cut).toBe('aaaa…');
    expect(escapeAndTruncate('short', 10)).toBe('short');
  });

  it('writes a date token with a UTC fallback', () => {
    expect(dateToken(new Date('2026-06-15T10:00:00Z'))).toBe(
      '<!date^1781517600^{date_short_pretty} at {time}|Mon 15 Jun 2026 10:00 UTC>',
    );
  });

  it('keeps link labels from closing the link early', () => {
    expect(link('https://x.test/a', 'a|b>c')).toBe('<https://x.test/a|a¦b&gt;c>');
  });

  it('formats dollars', () => {
    expect(money(1250)).toBe('$1,250.00');
  });
});
