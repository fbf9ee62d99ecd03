import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, ids, startHarness, waitForCard } from './harness.js';

/** The card's quoted note line (the request section), as the block text Slack receives. */
function noteLine(card: { blocks: unknown[] }): string | undefined {
  for (const block of card.blocks as { type?: string; text?: { text?: string } }[]) {
    const text = block.type === 'section' ? block.text?.text : undefined;
    if (text?.startsWith('Requested by')) return text.split('\n>')[1];
  }
  return undefined;
}

// Issue 9: notes were escaped twice. Slack already sends &, < and > typed in a command as entities, so a note
// "R&D <3" showed as `R&amp;D &lt;3` in Slack.
describe('a note with &, < and >', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('is escaped once: Slack renders what the person typed', async () => {
    // What Slack sends for "/fund-milestone M-1001 R&D <3 a>b": the text with its entities.
    await h.command('M-1001 R&amp;D &lt;3 a&gt;b');

    const card = await waitForCard(h, ids.financeApprovals);

    // Block text holding `R&amp;D &lt;3` is shown by Slack as `R&D <3`.
    expect(noteLine(card)).toBe('R&amp;D &lt;3 a&gt;b');
    expect(JSON.stringify(card.blocks)).not.toContain('&amp;amp;');
    expect(JSON.stringify(card.blocks)).not.toContain('&amp;lt;');
  });

  it('typed as an entity itself ("&lt;" spelled out) stays as typed', async () => {
    // A person typing the five characters "&lt;": Slack sends its & as &amp;.
    await h.command('M-1002 spelled &amp;lt; out', { userId: ids.bob });

    const card = await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1002'));

    expect(noteLine(card)).toBe('spelled &amp;lt; out');
  });
});
