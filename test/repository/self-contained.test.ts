import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');
const FOLDERS = ['src', 'test', 'emulators', 'scripts', 'bench'];

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

/** `npm ci && npm test` runs on a fresh clone: nothing may read or point at files beside the repository. */
describe('the repository is self-contained', () => {
  it('has no file that points at the shared folder beside it (vendor what is needed into data/, see data/SOURCE.md)', () => {
    const offenders = FOLDERS.flatMap((folder) => filesUnder(join(ROOT, folder)))
      .filter((file) => /\.\.\/shared\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(offenders).toEqual([]);
  });
});
