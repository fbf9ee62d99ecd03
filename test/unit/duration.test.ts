import { describe, expect, it } from 'vitest';
import { describeTimeLeft, formatDuration, parseDuration } from '../../src/duration.js';

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
});
