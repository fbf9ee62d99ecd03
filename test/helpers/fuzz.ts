import fc from 'fast-check';

/**
 * Fuzzing runs from a fixed seed, so CI is repeatable; `FUZZ_SEED` picks another one, `FUZZ_RUNS` sets how many
 * inputs every property tries, and `FUZZ_PATH` (with the seed fast-check printed) replays one failure exactly.
 * A failing property prints its seed, path and the shrunk counterexample.
 */
export const fuzzSeed = readInteger('FUZZ_SEED') ?? 20_260_609;
const runsOverride = readInteger('FUZZ_RUNS');
const replayPath = process.env.FUZZ_PATH;

function readInteger(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number))
    throw new Error(`${name} must be an integer, not ${JSON.stringify(value)}`);
  return number;
}

/** fast-check parameters: `runs` is the property's own default, for a suite that stays fast on 2 cores. */
export function fuzz(runs: number): fc.Parameters<unknown> {
  return {
    seed: fuzzSeed,
    numRuns: runsOverride ?? runs,
    ...(replayPath === undefined || replayPath === '' ? {} : { path: replayPath }),
  };
}

/** A property's test timeout: `defaultMs` for its default runs, an hour when FUZZ_RUNS asks for more. */
export function fuzzTimeout(defaultMs = 20_000): number {
  return runsOverride === undefined ? defaultMs : 3_600_000;
}

/** The grammar every OpenTrain id Countersign sends must match (parse-command.ts, fund-requests.ts). */
export const openTrainIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Pieces of text that have broken chat bots: Slack markup, entities, quotes, paths, control characters. */
const hostileFragments = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0EVIL>',
  '<@W0EVIL|boss>',
  '<#C0EVIL|general>',
  '<!subteam^S0EVIL|@finance>',
  '<!date^1700000000^{date}|x>',
  '<https://evil.example/approvals/A-1|Review & fund>',
  '<mailto:a@b.c>',
  '&',
  '&amp;',
  '&lt;',
  '&gt;',
  '&#60;',
  '<',
  '>',
  '|',
  '`',
  '```',
  '*',
  '_',
  '~',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u202e',
  '\u200b',
  '"',
  "'",
  '\u201C',
  '\u201D',
  '\u00AB',
  '%2F',
  '%E0%A4%A',
  '../',
  '/',
  '?',
  '#',
  ' ',
  '  ',
  'M-1001',
  'm-1001',
  'M',
  '1001',
  'job:',
  'contract:',
  'help',
  'route',
  'history',
  'autofund',
  '__proto__',
  'constructor',
  '😀',
  '\uD83D',
  'é',
  'e\u0301',
  '１００１',
];

/** Short text mixing hostile fragments with arbitrary characters, full Unicode included. */
export function hostileText(maxPieces = 12): fc.Arbitrary<string> {
  return fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...hostileFragments) },
        { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
      ),
      { maxLength: maxPieces },
    )
    .map((pieces) => pieces.join(''));
}

/** Hostile text, sometimes far longer than any limit (a pasted log, a hostile API). */
export function hostileLongText(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: hostileText() },
    {
      weight: 1,
      arbitrary: fc
        .tuple(hostileText(4), fc.integer({ min: 100, max: 6_000 }))
        .map(([piece, times]) => (piece === '' ? 'x' : piece).repeat(times).slice(0, 20_000)),
    },
  );
}

/** Ids of the shape OpenTrain and the sandbox use, plus some that only just fit the grammar. */
export function openTrainId(prefix = 'M'): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 1, max: 99_999 }).map((n) => `${prefix}-${n}`),
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/),
  );
}

/** An id OpenTrain might send, or one it never should (another shape entirely). */
export function anyId(prefix = 'A'): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: openTrainId(prefix) }, { weight: 1, arbitrary: hostileLongText() });
}

/** Names every plain object answers to: a lookup table keyed by someone else's word must not find them. */
export const objectKeyNames = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'] as const;

/** A word another system chose (a status, a reason, a type): hostile text, or a name every object has. */
export function foreignWord(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileText(4) },
    { weight: 1, arbitrary: fc.constantFrom(...objectKeyNames) },
  );
}
