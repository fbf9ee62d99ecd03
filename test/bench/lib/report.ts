import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { root } from './bot.js';

export type Met = 'yes' | 'no' | 'n/a' | 'not measured';

/** One figure of issue 11 (or 10), measured once, next to what it is judged against. */
export interface Row {
  /** "1a", "6c", "10e": the figure's number in docs/performance.md. */
  readonly id: string;
  readonly figure: string;
  readonly value: string;
  /** The bound (a limit nothing can beat) or the baseline (the same measure where it should be cheap). */
  readonly baseline: string;
  /** value / bound or baseline, for the numbers the goal compares. */
  readonly ratio: number | null;
  readonly goal: string;
  readonly met: Met;
  /** Reproduces this row (and the others of its scenario). */
  readonly command: string;
  readonly notes?: string;
  /** The raw numbers behind value and baseline. */
  readonly data?: Record<string, number | string | boolean | null>;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly ramBytes: number;
  readonly freeRamBytesAtStart: number;
  readonly loadAverageAtStart: readonly number[];
  readonly node: string;
  readonly os: string;
  readonly date: string;
}

export function machine(): Machine {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    ramBytes: totalmem(),
    freeRamBytesAtStart: freemem(),
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
    os: `${process.platform} ${release()}`,
    date: new Date().toISOString(),
  };
}

/** Not measured: a row that says why instead of a figure. */
export function notMeasured(id: string, figure: string, reason: string, command: string): Row {
  return {
    id,
    figure,
    value: `not measured: ${reason}`,
    baseline: '—',
    ratio: null,
    goal: '—',
    met: 'not measured',
    command,
  };
}

const ratioText = (ratio: number | null) =>
  ratio === null || !Number.isFinite(ratio) ? '—' : `${ratio < 10 ? ratio.toFixed(2) : ratio.toFixed(0)}×`;

export function printTable(rows: readonly Row[]): string {
  const header = ['#', 'figure', 'value', 'bound / baseline', 'ratio', 'goal', 'met'];
  const cells = rows.map((row) => [
    row.id,
    row.figure,
    row.value,
    row.baseline,
    ratioText(row.ratio),
    row.goal,
    row.met,
  ]);
  const widths = header.map((title, column) =>
    Math.min(60, Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length))),
  );
  const line = (cell: readonly string[]) =>
    cell
      .map((text, column) => text.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

const escapeCell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function writeReports(
  dir: string,
  report: {
    readonly machine: Machine;
    readonly command: string;
    readonly profile: string;
    readonly sizes: Record<string, number | string>;
    readonly durationMs: number;
    readonly rows: readonly Row[];
  },
): { md: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const m = report.machine;
  const md = [
    '# Countersign bench report',
    '',
    `Written by \`${report.command}\` (${report.profile}) on ${m.date}, in ${Math.round(report.durationMs / 1000)} s.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${(m.ramBytes / 2 ** 30).toFixed(1)} GiB RAM ` +
      `(${(m.freeRamBytesAtStart / 2 ** 30).toFixed(1)} GiB free at the start), load average at the start ` +
      `${m.loadAverageAtStart.join(' / ')}, Node ${m.node}, ${m.os}. The machine may be shared: compare rows ` +
      'of one run, not runs.',
    '',
    `Sizes: ${Object.entries(report.sizes)
      .map(([key, value]) => `${key} ${value}`)
      .join(', ')}.`,
    '',
    'How each row is measured, and what the goals mean: docs/performance.md.',
    '',
    '| # | Figure | Value | Bound / baseline | Ratio | Goal | Met | Command |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.rows.map(
      (row) =>
        `| ${row.id} | ${escapeCell(row.figure)} | ${escapeCell(row.value)} | ${escapeCell(row.baseline)} | ${ratioText(row.ratio)} | ${escapeCell(row.goal)} | ${row.met} | \`${row.command}\` |`,
    ),
    '',
    '## Notes',
    '',
    ...report.rows.filter((row) => row.notes !== undefined).map((row) => `- **${row.id}**: ${row.notes}`),
    '',
  ].join('\n');
  const mdPath = join(dir, 'report.md');
  const jsonPath = join(dir, 'report.json');
  writeFileSync(mdPath, md);
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  // The repository's formatter checks JSON too; let it lay the file out its way.
  spawnSync(
    process.execPath,
    [join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'format', '--write', jsonPath],
    {
      cwd: root,
      stdio: 'ignore',
    },
  );
  return { md: mdPath, json: jsonPath };
}
