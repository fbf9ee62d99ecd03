import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../src/clock.js';
import { createOpenTrainSimulator, type OpenTrainSimulator } from '../../src/sandbox/opentrain/simulator.js';
import { runCli } from './cli.js';

describe('the operator CLI: usage', () => {
  it('prints usage on stderr and exits 2 with no command', async () => {
    const result = await runCli([], {});

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: npm run countersign -- <command>');
    expect(result.stderr).toContain('webhook create <public url>');
  });

  it.each([
    ['frobnicate', 'Unknown command: frobnicate'],
    ['webhook', 'Unknown command: webhook (webhook takes create, list, delete)'],
    ['webhook purge', 'Unknown command: webhook purge (webhook takes create, list, delete)'],
  ])('answers "%s" with "%s", usage on stderr and exit 2', async (typed, first) => {
    const result = await runCli(typed.split(' '), {});

    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(first);
    expect(result.stderr).toContain('Usage:');
  });

  it.each(['help', '--help', '-h'])(
    'prints usage on stdout and exits 0 for %s, needing no settings',
    async (word) => {
      const result = await runCli([word], {});

      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('Usage: npm run countersign -- <command>');
      expect(result.stdout).toContain('webhook delete <webhook id>');
    },
  );

  it('lists every problem with the settings, and exits 1', async () => {
    const result = await runCli(['webhook', 'list'], { OT_API_TOKEN: 'ot_pat_your_token' });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('OT_API_TOKEN is still the placeholder from .env.example');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('the operator CLI: an OpenTrain it cannot reach', () => {
  let sim: OpenTrainSimulator;
  let baseUrl: string;
  beforeAll(async () => {
    sim = createOpenTrainSimulator({ clock: new ShiftableClock() });
    baseUrl = await sim.listen();
  });
  afterAll(async () => {
    await sim.close();
  });

  function env(url = baseUrl): Record<string, string> {
    return { OT_API_TOKEN: sim.token, OT_API_BASE_URL: url, OT_API_TIMEOUT: '1s' };
  }

  it('says it could not reach OpenTrain when nothing listens, not that OpenTrain refused', async () => {
    const result = await runCli(['webhook', 'list'], env('http://127.0.0.1:9/api/public/v1'));

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Could not reach OpenTrain: .*Try again\.\n$/);
    expect(result.stderr).not.toContain('refused');
  });

  it('says so for a server error that does not heal, with the status and request id', async () => {
    sim.injectFault({ method: 'GET', path: '/webhooks', status: 503, times: Number.POSITIVE_INFINITY });
    try {
      const result = await runCli(['webhook', 'list'], env());

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Could not reach OpenTrain: it answered HTTP 503');
      expect(result.stderr).toMatch(/request id [0-9a-f-]{36}/);
      expect(result.stderr).toContain('Try again');
    } finally {
      sim.clearFaults();
    }
  });

  it('warns that a create that timed out may have happened', async () => {
    sim.injectFault({ method: 'POST', path: '/webhooks', drop: 'hang' });
    try {
      const result = await runCli(['webhook', 'create', 'https://countersign.example.com'], env());

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Could not reach OpenTrain: it did not answer in time');
      expect(result.stderr).toContain('Run `webhook list` before trying again');
    } finally {
      sim.clearFaults();
    }
  });

  it('still says "refused" for a real refusal', async () => {
    sim.setAccount({ features: { webhooks: false } });
    try {
      const result = await runCli(['webhook', 'list'], env());

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('webhooks are not enabled for this OpenTrain account');
    } finally {
      sim.setAccount({ features: { webhooks: true } });
    }
  });
});
