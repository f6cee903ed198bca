/**
 * Suites that drive a program from outside npm (the Bicep compiler, Chromium) run where it is installed. Elsewhere
 * they are skipped with the reason and the command that installs it, and the run ends with a list of them
 * (test/support/skipped-suites-reporter.js). With REQUIRE_ALL_TESTS=1, as CI sets it, a missing program fails instead.
 *
 *   const describeWithChromium = requireTool(findChromium());
 *   describeWithChromium('status page in a browser', (chromiumPath) => { ... });
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import which from 'which';

const ROOT = join(__dirname, '../..');

/** Joins a suite's title and the reason it was skipped; the reporter splits them again (same text there). */
export const SKIPPED_MARK = ' — skipped: ';

export interface Tool {
  /** What the suites need, as people call it ("Chromium"). */
  name: string;
  /** The executable, or undefined when it is missing. */
  path: string | undefined;
  /** How to get it, as a command to run. */
  install: string;
  /** Why it is missing, when more can be said than "not found". */
  detail?: string;
}

export type SuiteDecision = { run: true; path: string } | { run: false; reason: string };

/** Whether suites needing the tool run; throws when it is missing and REQUIRE_ALL_TESTS asks for every suite. */
export function decideSuite(tool: Tool, env: NodeJS.ProcessEnv = process.env): SuiteDecision {
  if (tool.path !== undefined) return { run: true, path: tool.path };
  const reason = `${tool.name} not found${tool.detail ? ` (${tool.detail})` : ''}: ${tool.install}`;
  if (/^(1|true|yes)$/i.test(env.REQUIRE_ALL_TESTS?.trim() ?? '')) {
    throw new Error(`${reason}. REQUIRE_ALL_TESTS is set, so a missing tool fails the run instead of skipping.`);
  }
  return { run: false, reason };
}

/** `describe` that hands the tool's path to the suite, or a skipped `describe` whose title carries the reason. */
export function requireTool(tool: Tool): (title: string, body: (toolPath: string) => void) => void {
  const decision = decideSuite(tool);
  return (title, body) => {
    if (decision.run) describe(title, () => body(decision.path));
    // Jest still collects a skipped suite's tests (to count them), but runs neither them nor their hooks.
    else describe.skip(`${title}${SKIPPED_MARK}${decision.reason}`, () => body(''));
  };
}

function executable(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  return which.sync(command, { nothrow: true, path: env.PATH ?? '' }) ?? undefined;
}

/** Chromium: CHROMIUM_PATH when set (point it at a missing file to hide the browser), else chromium on the PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): Tool {
  const tool = { name: 'Chromium', install: 'sudo apt-get install chromium (or set CHROMIUM_PATH to its binary)' };
  const override = env.CHROMIUM_PATH?.trim();
  if (override) return { ...tool, path: executable(override), detail: `CHROMIUM_PATH is ${override}` };
  return { ...tool, path: onPath('chromium', env) ?? onPath('chromium-browser', env) };
}

/**
 * The Bicep compiler: BICEP_PATH when set (point it at a missing file to hide the compiler), else the copy
 * infra/scripts/bicep-check.sh caches in .bicep/bin, else bicep on the PATH. When none exists but the .NET SDK does,
 * the script is run once to restore it from NuGet, as CI does before the tests.
 */
export function findBicep(env: NodeJS.ProcessEnv = process.env, root = ROOT): Tool {
  const script = 'infra/scripts/bicep-check.sh';
  const tool = { name: 'Bicep compiler', install: `run ${script} --install-only (it restores Bicep from NuGet)` };
  const override = env.BICEP_PATH?.trim();
  if (override) return { ...tool, path: executable(override), detail: `BICEP_PATH is ${override}` };
  const cached = join(root, '.bicep/bin/bicep');
  const found = executable(cached) ?? onPath('bicep', env);
  if (found) return { ...tool, path: found };
  if (!onPath('dotnet', env)) {
    return { ...tool, path: undefined, install: `install the .NET SDK (dotnet), then ${tool.install}` };
  }
  const restore = spawnSync(join(root, script), ['--install-only'], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const restored = executable(cached);
  if (restored) return { ...tool, path: restored };
  const output = `${restore.stdout ?? ''}${restore.stderr ?? ''}`.trim().split('\n').slice(-2).join(' ');
  return {
    ...tool,
    path: undefined,
    detail: `${script} --install-only did not restore it: ${restore.error?.message ?? (output || `exit ${String(restore.status)}`)}`,
  };
}
