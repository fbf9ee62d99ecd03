import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig, settingNames } from '../../src/config.js';
import { createMetrics } from '../../src/metrics.js';
import { productionNodeFlags } from '../bench/lib/bot.js';
import { root } from '../e2e/cli.js';

const read = (path: string) => readFileSync(join(root, path), 'utf8');
/** Variables that are Node's or the image's own, not Countersign settings. */
const platformVariables = new Set(['NODE_ENV']);

interface Manifest {
  kind: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: {
      spec?: {
        containers?: {
          ports?: { name: string; containerPort: number }[];
          env?: { name: string }[];
          livenessProbe?: { httpGet: { path: string; port: string } };
          readinessProbe?: { httpGet: { path: string; port: string } };
        }[];
      };
    };
  };
}

describe('deploy/kubernetes.yaml', () => {
  const documents = parseAllDocuments(read('deploy/kubernetes.yaml')).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as Manifest;
  });
  const ofKind = (kind: string) => documents.filter((document) => document.kind === kind);

  it('parses, and names only settings the service knows', () => {
    const named = [
      ...ofKind('Secret').flatMap((secret) => Object.keys(secret.stringData ?? {})),
      ...ofKind('ConfigMap').flatMap((map) => Object.keys(map.data ?? {})),
      ...ofKind('Deployment').flatMap(
        (deployment) =>
          deployment.spec?.template?.spec?.containers?.flatMap((c) => (c.env ?? []).map((e) => e.name)) ?? [],
      ),
    ];

    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((name) => !settingNames.includes(name))).toEqual([]);
  });

  it('probes /healthz and /readyz on the port the service listens on', () => {
    const [deployment] = ofKind('Deployment');
    const [container] = deployment?.spec?.template?.spec?.containers ?? [];
    const [configMap] = ofKind('ConfigMap');

    expect(container?.livenessProbe?.httpGet.path).toBe('/healthz');
    expect(container?.readinessProbe?.httpGet.path).toBe('/readyz');
    expect(container?.ports).toEqual([{ name: 'http', containerPort: Number(configMap?.data?.PORT) }]);
  });

  it('is a configuration the service accepts, placeholders filled in', () => {
    const env = Object.fromEntries(
      [...ofKind('ConfigMap'), ...ofKind('Secret')].flatMap((document) =>
        Object.entries(document.data ?? document.stringData ?? {}),
      ),
    );
    const filled = {
      ...env,
      SLACK_BOT_TOKEN: 'xoxb-1-real',
      SLACK_SIGNING_SECRET: 'a-real-secret',
      OT_API_TOKEN: 'ot_pat_real',
      UPSTREAM_SECRET: '0123456789abcdef0123',
      OPENTRAIN_WEBHOOK_SECRET: 'whsec_real',
      DATABASE_URL: process.env.DEPLOY_TEST_DATABASE_URL ?? env.DATABASE_URL ?? '',
    };

    expect(() => loadConfig(filled)).not.toThrow();
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('runs node dist/main.js directly, so SIGTERM reaches the process that drains', () => {
    const flags = productionNodeFlags.map((flag) => `"${flag}", `).join('');
    expect(final).toContain(`\nCMD ["node", ${flags}"dist/main.js"]\n`);
  });

  it('runs with the same node flags as npm start and the bench', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toBe(`exec node ${productionNodeFlags.join(' ')} dist/main.js`);
  });

  it('sets only settings the service knows, and exposes its port', () => {
    const set = [...final.matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=/gm)].map((match) => match[1] ?? '');
    const port = /^ENV[\s\S]*?PORT=(\d+)/m.exec(final)?.[1];

    expect(set.filter((name) => !settingNames.includes(name) && !platformVariables.has(name))).toEqual([]);
    expect(final).toContain(`EXPOSE ${port}`);
  });
});

describe('the metric names the README and docs/deployment.md give', () => {
  const exported = createMetrics()
    .registry.getMetricsAsArray()
    .map((metric) => metric.name)
    .filter((name) => name.startsWith('countersign_'))
    .sort();
  const named = (text: string) => [...new Set(text.match(/countersign_[a-z_]+/g) ?? [])].sort();

  it('are exactly the ones /metrics exports', () => {
    const readme = read('README.md');
    const deploying = readme.slice(readme.indexOf('\n## Deploying'), readme.indexOf('\n## Operating it'));
    const docs = read('docs/deployment.md');
    const metricsSection = docs.slice(docs.indexOf('\n## Metrics'), docs.indexOf('\n## Logs'));

    expect(exported.length).toBeGreaterThan(10);
    expect(named(deploying)).toEqual(exported);
    expect(named(metricsSection)).toEqual(exported);
  });
});
