import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphPermissionsManifest } from '../../src/graph/permissions';

/** infra/graph-permissions.json is generated from src/graph/permissions.ts; Bicep and the admin script read it. */
const root = join(__dirname, '../..');
const FIX = 'Run `npm run permissions` and commit infra/graph-permissions.json.';

describe('infra/graph-permissions.json', () => {
  it('holds the roles of src/graph/permissions.ts', () => {
    const file = JSON.parse(readFileSync(join(root, 'infra/graph-permissions.json'), 'utf8')) as unknown;
    const expected = graphPermissionsManifest();
    if (JSON.stringify(file) !== JSON.stringify(expected)) {
      throw new Error(
        `infra/graph-permissions.json disagrees with src/graph/permissions.ts. ${FIX}\n` +
          `Expected: ${JSON.stringify(expected)}\nFound:    ${JSON.stringify(file)}`,
      );
    }
  });

  it('is byte for byte what `npm run permissions` writes', () => {
    // A child process, because prettier (which formats the file) loads its plugins with dynamic import.
    const check = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/permissions.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (check.status !== 0) throw new Error(`${check.stderr}${check.stdout}\n${FIX}`);
  });
});
