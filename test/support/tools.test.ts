import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decideSuite, findBicep, findChromium, type Tool } from './tools';

/** How suites that need Chromium or the Bicep compiler decide to run, skip or fail. */
describe('tool-dependent suites', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-tools-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const program = (name: string, mode = 0o755): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n', { mode });
    return file;
  };
  const missing: Tool = { name: 'Chromium', path: undefined, install: 'sudo apt-get install chromium' };

  it('run with the path when the tool is there', () => {
    expect(decideSuite({ ...missing, path: '/usr/bin/x' }, {})).toEqual({ run: true, path: '/usr/bin/x' });
  });

  it('skip with the reason and the command that installs the tool', () => {
    expect(decideSuite(missing, {})).toEqual({
      run: false,
      reason: 'Chromium not found: sudo apt-get install chromium',
    });
    expect(decideSuite(missing, { REQUIRE_ALL_TESTS: '0' })).toMatchObject({ run: false });
  });

  it('fail instead when REQUIRE_ALL_TESTS is set, as CI does', () => {
    expect(() => decideSuite(missing, { REQUIRE_ALL_TESTS: '1' })).toThrow(
      /^Chromium not found: sudo apt-get install chromium\. REQUIRE_ALL_TESTS is set/,
    );
    expect(() => decideSuite(missing, { REQUIRE_ALL_TESTS: 'true' })).toThrow(/REQUIRE_ALL_TESTS/);
  });

  it('find Chromium on the PATH, or exactly where CHROMIUM_PATH says (a missing file hides it)', () => {
    const onPath = program('bin/chromium');
    expect(findChromium({ PATH: path.join(dir, 'bin') }).path).toBe(onPath);
    expect(findChromium({ PATH: path.join(dir, 'nothing-here') }).path).toBeUndefined();
    const elsewhere = program('opt/chrome');
    expect(findChromium({ PATH: path.join(dir, 'bin'), CHROMIUM_PATH: elsewhere }).path).toBe(elsewhere);
    const hidden = findChromium({ PATH: path.join(dir, 'bin'), CHROMIUM_PATH: path.join(dir, 'none') });
    expect(hidden.path).toBeUndefined();
    expect(hidden.detail).toBe(`CHROMIUM_PATH is ${path.join(dir, 'none')}`);
    program('opt/not-executable', 0o644);
    expect(findChromium({ CHROMIUM_PATH: path.join(dir, 'opt/not-executable') }).path).toBeUndefined();
  });

  it('find the Bicep compiler where bicep-check.sh caches it, else on the PATH; BICEP_PATH overrides both', () => {
    const root = path.join(dir, 'repo');
    const noPath = { PATH: path.join(dir, 'empty') };
    const onPath = program('bin/bicep');
    expect(findBicep({ PATH: path.join(dir, 'bin') }, root).path).toBe(onPath);
    const cached = program('repo/.bicep/bin/bicep');
    expect(findBicep({ PATH: path.join(dir, 'bin') }, root).path).toBe(cached);
    expect(findBicep({ ...noPath, BICEP_PATH: path.join(dir, 'none') }, root)).toMatchObject({
      path: undefined,
      detail: `BICEP_PATH is ${path.join(dir, 'none')}`,
    });
  });

  it('say that the .NET SDK is needed too when neither Bicep nor dotnet is installed', () => {
    const bicep = findBicep({ PATH: path.join(dir, 'empty') }, path.join(dir, 'repo'));
    expect(bicep.path).toBeUndefined();
    expect(decideSuite(bicep, {})).toEqual({
      run: false,
      reason:
        'Bicep compiler not found: install the .NET SDK (dotnet), then run infra/scripts/bicep-check.sh ' +
        '--install-only (it restores Bicep from NuGet)',
    });
  });

  it('restore Bicep with bicep-check.sh --install-only when dotnet is there, and say why when that fails', () => {
    const root = path.join(dir, 'repo');
    program('bin/dotnet');
    const script = path.join(root, 'infra/scripts/bicep-check.sh');
    fs.mkdirSync(path.dirname(script), { recursive: true });
    // Stands in for the real script: "restores" by writing the binary where the real one caches it.
    fs.writeFileSync(
      script,
      '#!/bin/sh\nmkdir -p .bicep/bin && printf "#!/bin/sh\\n" > .bicep/bin/bicep && chmod +x .bicep/bin/bicep\n',
      {
        mode: 0o755,
      },
    );
    const env = { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin` };
    expect(findBicep(env, root).path).toBe(path.join(root, '.bicep/bin/bicep'));

    fs.rmSync(path.join(root, '.bicep'), { recursive: true });
    fs.writeFileSync(script, '#!/bin/sh\necho "restore failed: no network" >&2\nexit 1\n', { mode: 0o755 });
    expect(findBicep(env, root)).toMatchObject({
      path: undefined,
      detail: 'infra/scripts/bicep-check.sh --install-only did not restore it: restore failed: no network',
    });
  });
});
