import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import {
  findUnlicensedGaps,
  generateScenario,
  startGraphSimulator,
  type GraphSimulator,
  type LicenseChangeEvent,
} from '../../emulators/graph';
import { isFinished } from '../../src/domain/status';
import type { MigrationView } from '../../src/migrations/view';
import ignore from 'ignore';
import { createPackage, ROOT, selectAppFiles, type PackageResult } from '../../scripts/package';
import { keyedApi, pollUntil, startLauncher, type Launcher } from '../emulators/local/launcher';

/**
 * The deployment package, proven: `npm run package`'s function builds the zip azd would upload; the test unpacks it
 * into an empty folder outside the repository and runs the app FROM THAT FOLDER on the local Functions + Durable
 * runtime, against the Graph simulator and Azurite, through one migration over its HTTP API. Outside the repository
 * the app can only resolve its libraries from the package's own node_modules; a dump of the loaded modules confirms it.
 *
 * Like `npm start`, this needs the compiled project: run `npm run build` first (CI does).
 */
const LAUNCHER = path.join(ROOT, 'dist/emulators/local/start.js');
const APP_ENTRY = 'dist/src/index.js';
const MIGRATION_ID = 'from-the-package';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.tsx?$/.test(entry.name)) {
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** The package is made from dist/: refuse to prove an old build. */
function requireFreshBuild(): void {
  const built = [path.join(ROOT, APP_ENTRY), LAUNCHER];
  const missing = built.filter((file) => !fs.existsSync(file));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` before this test.`);
  const builtAt = Math.min(...built.map((file) => fs.statSync(file).mtimeMs));
  const changedAt = Math.max(newestSource(path.join(ROOT, 'src')), newestSource(path.join(ROOT, 'emulators')));
  if (changedAt > builtAt) throw new Error('dist/ is older than src/ or emulators/: run `npm run build` again.');
}

function unpack(zipPath: string, into: string): string[] {
  const entries = unzipSync(fs.readFileSync(zipPath));
  for (const [name, data] of Object.entries(entries)) {
    const target = path.join(into, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
  }
  return Object.keys(entries).sort();
}

/** The function key the launcher requires (fixed here, as scripts fix it). */
const LOCAL_KEY = `package-test-${randomUUID()}`;

const api = keyedApi(LOCAL_KEY);

describe('azure.yaml and .funcignore', () => {
  it('make azd build locally and upload the folder `npm run package` stages', () => {
    const azureYaml = fs.readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8');
    expect(azureYaml).toMatch(/^ {4}remoteBuild: false$/m);
    expect(azureYaml).toMatch(/^ {4}dist: artifacts\/package$/m);
    expect(azureYaml).toMatch(/^ {6}prepackage:\n {8}shell: sh\n {8}run: npm run package$/m);
  });

  it('keep node_modules (azd refuses remoteBuild: false otherwise) and exactly the compiled app', () => {
    const rules = ignore().add(fs.readFileSync(path.join(ROOT, '.funcignore'), 'utf8'));
    expect(rules.ignores('node_modules/')).toBe(false);
    for (const kept of ['dist/', 'dist/src/', 'dist/src/index.js', 'host.json', 'package.json', 'package-lock.json']) {
      expect({ kept, ignored: rules.ignores(kept) }).toEqual({ kept, ignored: false });
    }
    for (const left of ['dist/emulators/', 'dist/src/index.js.map', 'src/', 'test/', '.git/', 'local.settings.json']) {
      expect({ left, ignored: rules.ignores(left) }).toEqual({ left, ignored: true });
    }
    const selected = selectAppFiles();
    expect(selected.filter((file) => !file.startsWith('dist/src/'))).toEqual([
      'host.json',
      'package-lock.json',
      'package.json',
    ]);
  });
});

describe('the deployment package (npm run package)', () => {
  let work: string;
  let appDir: string;
  let result: PackageResult;
  let unpacked: string[];
  const packageLog: string[] = [];

  beforeAll(() => {
    requireFreshBuild();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-package-'));
    result = createPackage({
      build: false,
      stageDir: path.join(work, 'stage'),
      zipPath: path.join(work, 'license-shift-package.zip'),
      log: (line) => packageLog.push(line),
    });
    appDir = path.join(work, 'app');
    fs.mkdirSync(appDir);
    unpacked = unpack(result.zipPath, appDir);
  }, 240_000);
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('holds the compiled app, host.json, the manifests and production dependencies only', () => {
    expect(unpacked).toEqual(result.files);
    expect(packageLog.join('\n')).toMatch(/MB \(.* MB unpacked\), \d+ files/);
    const topLevel = new Set(unpacked.map((file) => file.split('/')[0]));
    expect([...topLevel].sort()).toEqual(['dist', 'host.json', 'node_modules', 'package-lock.json', 'package.json']);
    const app = unpacked.filter((file) => !file.startsWith('node_modules/'));
    expect(app.filter((file) => file.startsWith('dist/') && !file.startsWith('dist/src/'))).toEqual([]);
    expect(app).toContain(APP_ENTRY);
    expect(app).toContain('dist/src/dashboard/index.html');
    // The console's bundle, built by npm run build; its sources and its build-time packages stay out.
    expect(app).toEqual(
      expect.arrayContaining(['dist/src/dashboard/assets/console.js', 'dist/src/dashboard/assets/console.css']),
    );
    expect(app.filter((file) => file.includes('dashboard/console/'))).toEqual([]);
    expect(app).toContain('dist/src/cli/bin.js');
    expect(app.filter((file) => /\.(ts|map)$/.test(file))).toEqual([]);
    const packages = new Set(unpacked.map((file) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]));
    for (const runtime of [
      'durable-functions',
      '@azure/functions',
      '@azure/storage-blob',
      'applicationinsights',
      'zod',
    ]) {
      expect(packages).toContain(runtime);
    }
    for (const devOnly of [
      'jest',
      'typescript',
      'azurite',
      'tsx',
      'eslint',
      'prettier',
      'playwright-core',
      'ignore',
      'esbuild',
      'preact',
      'axe-core',
    ]) {
      expect(packages).not.toContain(devOnly);
    }
  });

  it('runs a migration to completion from the unpacked folder, with its own node_modules', async () => {
    const storage = process.env.TEST_STORAGE_CONNECTION_STRING;
    if (!storage) throw new Error('TEST_STORAGE_CONNECTION_STRING is not set: run tests through jest.');
    const sim: GraphSimulator = await startGraphSimulator({
      scenario: generateScenario({ users: 30, seed: 11 }),
      latency: 'none',
    });
    const dumpFile = path.join(work, 'modules.json');
    const preload = path.join(work, 'dump-modules.js');
    // SIGUSR2 makes the launcher write which files it has loaded (the app's modules are dropped again on stop).
    fs.writeFileSync(
      preload,
      "process.on('SIGUSR2', () => require('node:fs').writeFileSync(process.env.LS_MODULES_DUMP, " +
        'JSON.stringify(Object.keys(require.cache))));\n',
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AzureWebJobsStorage: storage,
      LICENSE_SHIFT_CONTAINER: `pkg${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      LICENSE_SHIFT_DATA_DIR: path.join(work, 'data'),
      LICENSE_SHIFT_LOCAL_KEY: LOCAL_KEY,
      GRAPH_BASE_URL: sim.baseUrl,
      GRAPH_AUTH: 'none',
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      LS_MODULES_DUMP: dumpFile,
    };
    delete env.NODE_PATH;
    delete env.NODE_OPTIONS;
    let launched: Launcher | undefined;
    try {
      // The repository's compiled launcher, running the unpacked app with the unpacked folder's node_modules.
      launched = await startLauncher({
        cwd: appDir,
        env,
        script: ['--require', preload, LAUNCHER],
        args: ['--app', path.join(appDir, APP_ENTRY), '--quiet'],
      });
      const { baseUrl } = launched;
      const start = await api<{ id: string }>(baseUrl, 'POST', '/api/migrations', {
        id: MIGRATION_ID,
        moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
        usageLocation: 'US',
      });
      expect(start.status).toBe(202);
      const done = await pollUntil(
        'the migration to finish',
        async () => {
          const view = await api<MigrationView>(baseUrl, 'GET', `/api/migrations/${MIGRATION_ID}`);
          return view.status === 200 && isFinished(view.json.status) ? view.json : undefined;
        },
        45_000,
      );
      expect(done.status).toBe('completed');
      expect(done.counts.moved).toBeGreaterThan(0);
      expect(done.counts.failed).toBe(0);
      const report = await api<{ rows: { outcome: string }[] }>(
        baseUrl,
        'GET',
        `/api/migrations/${MIGRATION_ID}/report`,
      );
      expect(report.json.rows.filter((row) => row.outcome === 'moved')).toHaveLength(done.counts.moved);
      const changes = sim.events().filter((event): event is LicenseChangeEvent => event.kind === 'license');
      expect(changes).toHaveLength(done.counts.moved);
      expect(findUnlicensedGaps(changes)).toEqual([]);

      launched.child.kill('SIGUSR2');
      const loaded = await pollUntil(
        'the module dump',
        () =>
          Promise.resolve(
            fs.existsSync(dumpFile) ? (JSON.parse(fs.readFileSync(dumpFile, 'utf8')) as string[]) : undefined,
          ),
        10_000,
      );
      const fromPackage = (library: string): string[] =>
        loaded.filter((file) => file.startsWith(path.join(appDir, 'node_modules', library) + path.sep));
      for (const library of ['durable-functions', '@azure/functions', '@azure/storage-blob', 'zod']) {
        expect({ library, loaded: fromPackage(library).length > 0 }).toEqual({ library, loaded: true });
      }
      expect(
        loaded.filter((file) => file.startsWith(path.join(appDir, 'dist', 'src') + path.sep)).length,
      ).toBeGreaterThan(10);
      // The app itself (entry, composition root, triggers, orchestrations, activities) never ran from the repository's
      // build. The launcher reads a few lists of the product's (its settings, the Graph roles) for itself.
      const repositoryApp = ['index.js', 'app.js', 'functions', 'orchestrations', 'activities', 'migrations'].map(
        (part) => path.join(ROOT, 'dist', 'src', part),
      );
      expect(
        loaded.filter((file) => repositoryApp.some((part) => file === part || file.startsWith(part + path.sep))),
      ).toEqual([]);
      expect(loaded.filter((file) => file.startsWith(path.join(ROOT, 'src') + path.sep))).toEqual([]);
    } finally {
      await launched?.stop();
      await sim.stop();
    }
  }, 120_000);
});
