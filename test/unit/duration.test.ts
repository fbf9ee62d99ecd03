import { describe, expect, it } from 'vitest';
import { describeCountdown, describeTimeLeft, formatDuration, parseDuration } from '../../src/duration.js';

describe('durations', () => {
  it.each([
    ['45s', 45_000],
    ['90m', 5_400_000],
    ['24h', 86_400_000],
    ['2d', 172_800_000],
    [' 1H ', 3_600_000],
  ])('parses %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '1', 'h', '1.5h', '-1h', '1w', '24 h'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [86_400_000, '24h'],
    [5_400_000, '90m'],
    [45_000, '45s'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [30_000, 'less than a minute'],
    [60_000, '1 minute'],
    [45 * 60_000, '45 minutes'],
    [61 * 60_000, '1 hour'],
    [95 * 60_000, '2 hours'],
    [72 * 3_600_000 - 1_000, '72 hours'],
  ])('describes %d ms left as %s', (ms, text) => {
    expect(describeTimeLeft(ms)).toBe(text);
  });

  describe('countdown on an edited message', () => {
    const hour = 3_600_000;

    it.each([
      [72 * hour, '3 days', 60 * hour],
      [60 * hour + 1, '3 days', 60 * hour],
      [60 * hour, '2 days', 36 * hour],
      [36 * hour, 'about a day', 23.5 * hour],
      [24 * hour, 'about a day', 23.5 * hour],
      [23.5 * hour, '23 hours', 22.5 * hour],
      [2 * hour, '2 hours', 1.5 * hour],
      [1.5 * hour + 1, '2 hours', 1.5 * hour],
      [1.5 * hour, 'about an hour', 0.5 * hour],
      [0.5 * hour, 'less than an hour', 0],
      [1_000, 'less than an hour', 0],
    ])('shows %d ms left as %s until %d ms are left', (ms, text, changesAt) => {
      expect(describeCountdown(ms)).toEqual({ text, changesAtMsLeft: changesAt });
    });

    it('holds its text until the moment it says, then changes, coarsely far from expiry', () => {
      let changes = 0;
      let previous = describeCountdown(72 * hour);
      for (let ms = 72 * hour; ms > 0; ms -= 60_000) {
        const now = describeCountdown(ms);
        if (ms > previous.changesAtMsLeft) {
          expect(now.text).toBe(previous.text);
        } else {
          // The minute this step crossed holds the promised moment of change.
          expect(now.text).not.toBe(previous.text);
          expect(previous.changesAtMsLeft).toBeGreaterThan(ms - 60_000);
          changes++;
        }
        previous = now;
      }
      // 3 days, 2 days, about a day, 23 down to 2 hours, about an hour, less than an hour: 27 texts, 26 changes.
      expect(changes).toBe(26);
    });
  });
});
