import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The fence around replayed and pure code: each probe is one import or call a file in that folder must not make,
 * linted with the project's real config. Every probe must be reported, and every allowed import must pass.
 */
interface ProbeResult {
  filePath: string;
  messages: { ruleId: string | null; message: string }[];
}

const ROOT = join(__dirname, '../..');

function lint(probes: { filePath: string; code: string }[]): ProbeResult[] {
  const run = spawnSync(process.execPath, [join(__dirname, 'lint-probes.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(probes),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`lint-probes failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ProbeResult[];
}

const ORCHESTRATION = 'src/orchestrations/probe.ts';
const DOMAIN = 'src/domain/probe.ts';

const forbidden: [file: string, code: string][] = [
  [ORCHESTRATION, "import { createLicensingGraph } from '../graph';\nexport const x = createLicensingGraph;"],
  [ORCHESTRATION, "import { createLicensingGraph } from '../graph/index';\nexport const x = createLicensingGraph;"],
  [ORCHESTRATION, "import { noopTelemetry } from '../telemetry';\nexport const x = noopTelemetry;"],
  [ORCHESTRATION, "import { buildAppDeps } from '../deps';\nexport const x = buildAppDeps;"],
  [ORCHESTRATION, "import { readSetting } from '../config/settings';\nexport const x = readSetting;"],
  [ORCHESTRATION, "import { startMigration } from '../migrations/start';\nexport const x = startMigration;"],
  [
    ORCHESTRATION,
    "import { MigrationDocuments } from '../storage/migration-documents';\nexport const x = MigrationDocuments;",
  ],
  [ORCHESTRATION, "import { systemClock } from '../clock';\nexport const x = systemClock;"],
  [ORCHESTRATION, "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;"],
  [ORCHESTRATION, "import { randomUUID } from 'crypto';\nexport const x = randomUUID;"],
  [ORCHESTRATION, "import { Client } from '@microsoft/microsoft-graph-client';\nexport const x = Client;"],
  [ORCHESTRATION, "import { app } from '@azure/functions';\nexport const x = app;"],
  [ORCHESTRATION, "export * from '../activities';"],
  [ORCHESTRATION, "export const x = () => import('../graph');"],
  [
    ORCHESTRATION,
    "import { startGraphSimulator } from '../../emulators/graph';\nexport const x = startGraphSimulator;",
  ],
  [ORCHESTRATION, 'export const now = Date.now();'],
  [ORCHESTRATION, 'export const now = new Date();'],
  [ORCHESTRATION, 'export const roll = Math.random();'],
  [ORCHESTRATION, 'export const env = process.env.X;'],
  [ORCHESTRATION, 'setTimeout(() => undefined, 1);'],
  [DOMAIN, "import { createLicensingGraph } from '../graph';\nexport const x = createLicensingGraph;"],
  [
    DOMAIN,
    "import { MigrationDocuments } from '../storage/migration-documents';\nexport const x = MigrationDocuments;",
  ],
  [DOMAIN, "import { noopTelemetry } from '../telemetry';\nexport const x = noopTelemetry;"],
  [DOMAIN, "import { systemClock } from '../clock';\nexport const x = systemClock;"],
  [DOMAIN, "import { problemResponse } from '../http/problem';\nexport const x = problemResponse;"],
  [DOMAIN, "import { readFileSync } from 'fs';\nexport const x = readFileSync;"],
  [DOMAIN, "import { BlobServiceClient } from '@azure/storage-blob';\nexport const x = BlobServiceClient;"],
  [DOMAIN, "import * as df from 'durable-functions';\nexport const x = df;"],
  [DOMAIN, "import { stringify } from 'csv-stringify/sync';\nexport const x = stringify;"],
  [DOMAIN, 'export const x = fetch;'],
  [DOMAIN, 'export const now = Date.now();'],
];

const allowed: [file: string, code: string][] = [
  [ORCHESTRATION, "import * as df from 'durable-functions';\nexport const x = df;"],
  [ORCHESTRATION, "import { RunMessages } from '../domain/messages';\nexport const x = RunMessages;"],
  [ORCHESTRATION, "import { MigrationRun } from './run';\nexport const x = MigrationRun;"],
  [ORCHESTRATION, "import type { AppDeps } from '../deps';\nexport type X = AppDeps;"],
  [ORCHESTRATION, "import { type LicensingGraph } from '../graph';\nexport type X = LicensingGraph;"],
  [DOMAIN, "import { z } from 'zod';\nexport const x = z;"],
  [DOMAIN, "import { Cron } from 'croner';\nexport const x = Cron;"],
  [DOMAIN, "import { isGuid } from './values';\nexport const x = isGuid;"],
  [DOMAIN, 'export const at = (instant: number) => new Date(instant);'],
];

describe('the lint fence around orchestrations and the domain', () => {
  const fenceRules = new Set([
    'license-shift/allowed-imports',
    'no-restricted-imports',
    'no-restricted-globals',
    'no-restricted-properties',
    'no-restricted-syntax',
  ]);

  it('reports every forbidden import, clock read and I/O', () => {
    const results = lint(forbidden.map(([filePath, code]) => ({ filePath, code })));
    expect(results).toHaveLength(forbidden.length);
    const missed = forbidden.filter(
      (_, index) => !results[index]?.messages.some((m) => m.ruleId !== null && fenceRules.has(m.ruleId)),
    );
    expect(missed).toEqual([]);
  });

  it('names the allowed imports in its message', () => {
    const [result] = lint([{ filePath: ORCHESTRATION, code: "export * from '../graph';" }]);
    expect(result?.messages.map((m) => m.message)).toEqual([
      'Orchestrations (replayed, deterministic) may import only "durable-functions", src/orchestrations/, src/domain/; "../graph" is not one of them.',
    ]);
  });

  it('lets through what each layer may use', () => {
    const results = lint(allowed.map(([filePath, code]) => ({ filePath, code })));
    expect(results.map((result) => result.messages)).toEqual(allowed.map(() => []));
  });
});
