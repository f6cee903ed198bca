import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkStage, PackageError } from '../../scripts/package';

/** The package check itself, on hand-made stages: it must refuse what may not ship. */
describe('checkStage', () => {
  let stage: string;
  const write = (file: string, text = '{}'): void => {
    fs.mkdirSync(path.dirname(path.join(stage, file)), { recursive: true });
    fs.writeFileSync(path.join(stage, file), text);
  };
  const production = ['node_modules/durable-functions', 'node_modules/zod'];

  beforeEach(() => {
    stage = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-stage-'));
    for (const file of [
      'dist/src/index.js',
      'dist/src/dashboard/assets/console.js',
      'dist/src/dashboard/assets/console.css',
      'host.json',
      'package.json',
      'package-lock.json',
    ])
      write(file);
    for (const dir of production) write(`${dir}/package.json`);
  });
  afterEach(() => fs.rmSync(stage, { recursive: true, force: true }));

  it('accepts the app with exactly its production dependencies', () => {
    expect(() => checkStage(stage, production)).not.toThrow();
  });

  it.each([
    ['a test file', 'dist/src/test/helper.js', /must not ship dist\/src\/test\/helper\.js/],
    ['the docs', 'docs/deploy.md', /unexpected top-level entry docs/],
    ['the emulators', 'dist/emulators/local/start.js', /dist\/ must hold only src\//],
    ['a source map', 'dist/src/index.js.map', /source file in the package: dist\/src\/index\.js\.map/],
    ['a dev-only package', 'node_modules/jest/package.json', /not a production dependency: node_modules\/jest/],
  ])('refuses %s', (_what, file, message) => {
    write(file);
    expect(() => checkStage(stage, production)).toThrow(PackageError);
    expect(() => checkStage(stage, production)).toThrow(message);
  });

  it('refuses a stage without the console’s bundle (the page inlines it at run time)', () => {
    fs.rmSync(path.join(stage, 'dist/src/dashboard/assets/console.js'));
    expect(() => checkStage(stage, production)).toThrow(/dist\/src\/dashboard\/assets\/console\.js is missing/);
  });

  it('refuses a stage that lacks a production dependency', () => {
    fs.rmSync(path.join(stage, 'node_modules/zod'), { recursive: true });
    expect(() => checkStage(stage, production)).toThrow(/dependency missing: node_modules\/zod/);
  });
});
