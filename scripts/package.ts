/**
 * `npm run package`: the deployment package, exactly as `azd deploy` uploads it (azure.yaml runs this as the service's
 * prepackage hook and zips the staging folder it leaves, artifacts/package).
 *
 * 1. `npm run build` (skipped with --no-build, when dist/ is known to be fresh);
 * 2. stage into artifacts/package every file of this folder that .funcignore keeps: dist/src (compiled code and
 *    dashboard assets), host.json, package.json, package-lock.json;
 * 3. copy the production dependencies: exactly the package folders `npm ls --omit=dev` lists in this node_modules
 *    (installed from package-lock.json; npm fails the listing when the tree does not match it), at the same paths,
 *    so the tree is the one `npm ci --omit=dev` would lay out, without a second download and install. Source maps
 *    and type declarations of dependencies are left out: Node never loads them, and they are 60 % of the files;
 * 4. check the stage: nothing but those files, and no dev-only package, so no test, bench, emulator, script, doc or
 *    infra file can ship;
 * 5. zip it like azd does (files only, symlinks followed, deflated) to artifacts/license-shift-package.zip and print
 *    its size and file count.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import ignore from 'ignore';

export const ROOT = path.resolve(__dirname, '..');
export const ARTIFACTS = path.join(ROOT, 'artifacts');

export interface PackageOptions {
  /** Run `npm run build` first (default true). */
  build?: boolean;
  /** Where the staging folder goes (default artifacts/package, the `dist` azure.yaml names). */
  stageDir?: string;
  /** The zip to write (default artifacts/license-shift-package.zip). */
  zipPath?: string;
  log?: (line: string) => void;
}

export interface PackageResult {
  stageDir: string;
  zipPath: string;
  zipBytes: number;
  /** Files in the zip (symlinks count as the files they point to, as azd zips them). */
  fileCount: number;
  /** Paths of the files in the zip, with forward slashes. */
  files: string[];
}

/** Top-level entries the deployed app consists of; anything else in the stage is a packaging mistake. */
const PACKAGE_ROOT_ENTRIES = new Set(['dist', 'host.json', 'package.json', 'package-lock.json', 'node_modules']);
/** Repository folders that must never ship, checked by name so a mistake in .funcignore cannot let them through. */
const NEVER_SHIPPED = ['test', 'bench', 'emulators', 'scripts', 'docs', 'infra', 'coverage', 'artifacts'];

export class PackageError extends Error {
  override name = 'PackageError';
}

function run(command: string, args: string[], options: SpawnSyncOptions): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    const output = `${String(result.stdout ?? '')}${String(result.stderr ?? '')}`.trim();
    throw new PackageError(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${output}`);
  }
  return String(result.stdout ?? '');
}

/** Every file of the repository that .funcignore keeps, node_modules aside (installed fresh in the stage). */
export function selectAppFiles(root: string = ROOT): string[] {
  const rules = ignore().add(fs.readFileSync(path.join(root, '.funcignore'), 'utf8'));
  const selected: string[] = [];
  const walk = (relativeDir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, relativeDir), { withFileTypes: true })) {
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (relative === 'node_modules') continue;
      const isDir = entry.isDirectory();
      if (rules.ignores(isDir ? `${relative}/` : relative)) continue;
      if (isDir) walk(relative);
      else selected.push(relative);
    }
  };
  walk('');
  return selected.sort();
}

/** Files under a folder as azd's zip sees them: symlinks followed, directories not listed. */
function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (absolute: string, relative: string, depth: number): void => {
    if (depth > 40) throw new PackageError(`symbolic links nested too deep at ${absolute}`);
    for (const entry of fs.readdirSync(absolute, { withFileTypes: true })) {
      const source = path.join(absolute, entry.name);
      const target = `${relative}${entry.name}`;
      const stat = fs.statSync(source);
      if (stat.isDirectory()) walk(source, `${target}/`, entry.isSymbolicLink() ? depth + 1 : depth);
      else files.push(target);
    }
  };
  walk(dir, '', 0);
  return files.sort();
}

/** Package folders (node_modules/x, node_modules/@s/x, nested too) under a node_modules tree, relative to its parent. */
function installedPackages(parent: string): string[] {
  const found: string[] = [];
  const visit = (modulesDir: string): void => {
    if (!fs.existsSync(modulesDir)) return;
    for (const entry of fs.readdirSync(modulesDir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || !entry.isDirectory()) continue;
      const names = entry.name.startsWith('@')
        ? fs.readdirSync(path.join(modulesDir, entry.name)).map((name) => `${entry.name}/${name}`)
        : [entry.name];
      for (const name of names) {
        const packageDir = path.join(modulesDir, name);
        found.push(path.relative(parent, packageDir).split(path.sep).join('/'));
        visit(path.join(packageDir, 'node_modules'));
      }
    }
  };
  visit(path.join(parent, 'node_modules'));
  return found.sort();
}

/** The production dependency tree of this repository, as npm itself reports it. */
function productionPackages(root: string): string[] {
  const parseable = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root });
  return parseable
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && path.resolve(line) !== path.resolve(root))
    .map((line) => path.relative(root, line).split(path.sep).join('/'))
    .filter((line, index, all) => all.indexOf(line) === index)
    .sort();
}

/** Files of installed packages that Node never loads at run time. */
const NOT_LOADED_AT_RUN_TIME = /\.(map|d\.ts|d\.mts|d\.cts)$/;

/** Copies a folder's files, modes and symlinks kept; `skip` decides per entry. Returns the files skipped. */
function copyTree(from: string, to: string, skip: (entry: fs.Dirent) => boolean): number {
  let skipped = 0;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (skip(entry)) {
      if (!entry.isDirectory()) skipped += 1;
      continue;
    }
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) skipped += copyTree(source, target, skip);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
    else fs.copyFileSync(source, target);
  }
  return skipped;
}

/** Copies each production package folder (its own nested node_modules aside: those are listed on their own). */
function copyProductionDependencies(root: string, stageDir: string, production: string[]): number {
  let skipped = 0;
  for (const relative of production) {
    const from = path.join(root, relative);
    skipped += copyTree(from, path.join(stageDir, relative), (entry) =>
      entry.isDirectory()
        ? entry.name === 'node_modules' && entry.parentPath === from
        : NOT_LOADED_AT_RUN_TIME.test(entry.name),
    );
  }
  return skipped;
}

/** Fails unless the stage holds only the app and the production dependencies (`npm ls --omit=dev` paths). */
export function checkStage(stageDir: string, production: string[], root: string = ROOT): void {
  const problems: string[] = [];
  for (const entry of fs.readdirSync(stageDir)) {
    if (!PACKAGE_ROOT_ENTRIES.has(entry)) problems.push(`unexpected top-level entry ${entry}`);
  }
  const distEntries = fs.existsSync(path.join(stageDir, 'dist')) ? fs.readdirSync(path.join(stageDir, 'dist')) : [];
  if (distEntries.join() !== 'src') problems.push(`dist/ must hold only src/, found: ${distEntries.join(', ')}`);
  if (!fs.existsSync(path.join(stageDir, 'dist/src/index.js'))) problems.push('dist/src/index.js is missing');
  // The console's page inlines its bundle at run time; without it /api/dashboard fails.
  for (const asset of ['console.js', 'console.css']) {
    const file = `dist/src/dashboard/assets/${asset}`;
    if (!fs.existsSync(path.join(stageDir, file))) problems.push(`${file} is missing (npm run build makes it)`);
  }
  for (const file of listFiles(stageDir).filter((f) => !f.startsWith('node_modules/'))) {
    const parts = file.split('/');
    if (parts.some((part) => NEVER_SHIPPED.includes(part))) problems.push(`must not ship ${file}`);
    if (/\.(ts|map)$/.test(file) && !file.endsWith('.d.ts')) problems.push(`source file in the package: ${file}`);
  }

  const expected = production;
  const staged = installedPackages(stageDir);
  const expectedSet = new Set(expected);
  const stagedSet = new Set(staged);
  for (const extra of staged.filter((p) => !expectedSet.has(p))) problems.push(`not a production dependency: ${extra}`);
  for (const missing of expected.filter((p) => !stagedSet.has(p))) problems.push(`dependency missing: ${missing}`);

  // A dev dependency may ship only as a production package's own dependency (npm ls --omit=dev lists those).
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  for (const name of Object.keys(manifest.devDependencies ?? {})) {
    const shipped = staged.filter((p) => p === `node_modules/${name}` || p.endsWith(`/node_modules/${name}`));
    for (const where of shipped.filter((p) => !expectedSet.has(p))) problems.push(`dev dependency shipped: ${where}`);
  }
  if (problems.length > 0) {
    throw new PackageError(`The deployment package is wrong:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Zips a folder the way azd's createDeployableZip does: every file (symlinks resolved), deflated, modes kept. */
function zipFolder(dir: string, zipPath: string): string[] {
  const files = listFiles(dir);
  const entries: Zippable = {};
  for (const file of files) {
    const absolute = path.join(dir, file);
    const stat = fs.statSync(absolute);
    // Unix mode in the upper half of the external attributes, "made by" Unix (3), as Go's zip writer records it.
    entries[file] = [fs.readFileSync(absolute), { mtime: stat.mtime, os: 3, attrs: (stat.mode & 0xffff) << 16 }];
  }
  fs.mkdirSync(path.dirname(zipPath), { recursive: true });
  fs.writeFileSync(zipPath, zipSync(entries, { level: 6 }));
  return files;
}

export function createPackage(options: PackageOptions = {}): PackageResult {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const stageDir = options.stageDir ?? path.join(ARTIFACTS, 'package');
  const zipPath = options.zipPath ?? path.join(ARTIFACTS, 'license-shift-package.zip');

  if (options.build ?? true) {
    log('package: npm run build');
    run('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  if (!fs.existsSync(path.join(ROOT, 'dist/src/index.js'))) {
    throw new PackageError('dist/src/index.js is missing: run `npm run build` first.');
  }

  fs.rmSync(stageDir, { recursive: true, force: true });
  fs.mkdirSync(stageDir, { recursive: true });
  const appFiles = selectAppFiles(ROOT);
  for (const file of appFiles) {
    const target = path.join(stageDir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), target);
  }
  log(`package: staged ${appFiles.length} app files in ${path.relative(ROOT, stageDir) || stageDir}`);

  const production = productionPackages(ROOT);
  const skipped = copyProductionDependencies(ROOT, stageDir, production);
  log(`package: copied the production dependencies (npm ls --omit=dev), without ${skipped} maps and type declarations`);
  checkStage(stageDir, production, ROOT);
  log('package: checked: only the app and production dependencies');

  const files = zipFolder(stageDir, zipPath);
  const zipBytes = fs.statSync(zipPath).size;
  const unpackedBytes = files.reduce((sum, file) => sum + fs.statSync(path.join(stageDir, file)).size, 0);
  log(
    `package: ${path.relative(ROOT, zipPath) || zipPath}: ${(zipBytes / 1024 / 1024).toFixed(1)} MB ` +
      `(${(unpackedBytes / 1024 / 1024).toFixed(1)} MB unpacked), ${files.length} files`,
  );
  return { stageDir, zipPath, zipBytes, fileCount: files.length, files };
}

if (require.main === module) {
  try {
    createPackage({ build: !process.argv.includes('--no-build') });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
