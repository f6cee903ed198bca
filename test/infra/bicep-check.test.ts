import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * infra/scripts/bicep-check.sh on a machine without dotnet and without a cached compiler: a clear message, and a
 * failure when REQUIRE_ALL_TESTS=1 (as CI sets it), so CI can never pass with the templates unchecked.
 */
const script = join(__dirname, '../../infra/scripts/bicep-check.sh');
let root: string;
let bin: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bicep-check-'));
  mkdirSync(join(root, 'infra/scripts'), { recursive: true });
  copyFileSync(script, join(root, 'infra/scripts/bicep-check.sh'));
  // A PATH with only what the script needs before it looks for dotnet: no dotnet, no cached compiler.
  bin = join(root, 'bin');
  mkdirSync(bin);
  symlinkSync(
    spawnSync('bash', ['-c', 'command -v dirname'], { encoding: 'utf8' }).stdout.trim(),
    join(bin, 'dirname'),
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function run(env: Record<string, string>) {
  return spawnSync('/bin/bash', [join(root, 'infra/scripts/bicep-check.sh')], {
    encoding: 'utf8',
    env: { PATH: bin, ...env },
  });
}

describe('bicep-check.sh without dotnet', () => {
  it('fails under REQUIRE_ALL_TESTS=1, saying why', () => {
    const result = run({ REQUIRE_ALL_TESTS: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("'dotnet' is not installed");
    expect(result.stderr).toContain('REQUIRE_ALL_TESTS=1');
    expect(result.stdout).not.toContain('SKIPPED');
  });

  it('otherwise skips with the same message and says how to make it an error', () => {
    const result = run({});
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("'dotnet' is not installed");
    expect(result.stdout).toContain('SKIPPED');
  });
});
