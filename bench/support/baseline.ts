/**
 * A benchmark's figures printed as one table beside its committed baseline (bench/baselines/*.json), and recorded as
 * the new baseline on request (`--update-baseline`).
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** One measured figure: what it is, its target, how it shows, and whether it met the target. */
export interface Figure {
  id: string;
  scenario: string;
  figure: string;
  target: string;
  shown: string;
  value?: number;
  pass?: boolean;
  note?: string;
}

export interface Baseline {
  recordedAt: string;
  scale: number;
  figures: Figure[];
}

/**
 * The baseline at `path`, or undefined when there is none. A file of another shape (an older baseline) goes through
 * `fromOther`, so a run still prints beside what was committed before it.
 */
export function readBaseline(
  path: string,
  fromOther?: (parsed: Record<string, unknown>) => Baseline | undefined,
): Baseline | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (Array.isArray(parsed.figures)) return parsed as unknown as Baseline;
    return fromOther?.(parsed);
  } catch {
    return undefined;
  }
}

export function writeBaseline(path: string, scale: number, figures: Figure[]): void {
  const recorded: Baseline = { recordedAt: new Date().toISOString(), scale, figures };
  writeFileSync(path, `${JSON.stringify(recorded, null, 2)}\n`);
}

/** The baseline line, then every figure of this run beside the baseline's figure of the same id, then the notes. */
export function printFigureTable(figures: Figure[], baseline: Baseline | undefined): void {
  const base = (f: Figure): string => baseline?.figures.find((b) => b.id === f.id)?.shown ?? '—';
  console.log(`baseline: ${baseline ? `${baseline.recordedAt} (k = ${baseline.scale})` : 'none'}\n`);
  console.log('| scenario | figure | target | this run | baseline | |');
  console.log('|---|---|---|---:|---:|---|');
  for (const f of figures) {
    const verdict = f.pass === undefined ? '' : f.pass ? 'PASS' : 'FAIL';
    console.log(`| ${f.scenario} | ${f.figure} | ${f.target} | ${f.shown} | ${base(f)} | ${verdict} |`);
  }
  const notes = figures.flatMap((f) => (f.note ? [`- ${f.scenario}, ${f.figure}: ${f.note}`] : []));
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
}

/** Records this run as the new baseline when asked to, and fails the process when a figure missed its target. */
export function concludeBenchmark(path: string, scale: number, figures: Figure[], updateBaseline: boolean): void {
  if (updateBaseline) {
    writeBaseline(path, scale, figures);
    console.log(`\nBaseline updated: ${path}`);
  }
  process.exitCode = figures.every((figure) => figure.pass !== false) ? 0 : 1;
}
