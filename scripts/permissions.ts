/**
 * `npm run permissions`: rewrites infra/graph-permissions.json from src/graph/permissions.ts, the one list of Graph
 * application roles. Bicep's loadJsonContent needs a JSON file; test/infra/graph-permissions.test.ts fails when the
 * file and the code disagree. `--check` only compares and exits 1 on a difference.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { graphPermissionsManifest } from '../src/graph/permissions';

const PERMISSIONS_FILE = path.resolve(__dirname, '..', 'infra', 'graph-permissions.json');

/** The file's expected text, formatted by the repository's prettier settings so `format:check` accepts it. */
async function expectedPermissionsText(): Promise<string> {
  const options = (await prettier.resolveConfig(PERMISSIONS_FILE)) ?? {};
  return prettier.format(JSON.stringify(graphPermissionsManifest()), { ...options, filepath: PERMISSIONS_FILE });
}

async function main(): Promise<void> {
  const expected = await expectedPermissionsText();
  const current = readFileSync(PERMISSIONS_FILE, 'utf8');
  const relative = path.relative(process.cwd(), PERMISSIONS_FILE);
  if (process.argv.includes('--check')) {
    if (current !== expected) {
      process.stderr.write(`${relative} differs from src/graph/permissions.ts: run \`npm run permissions\`.\n`);
      process.exit(1);
    }
    process.stdout.write(`${relative} matches src/graph/permissions.ts.\n`);
    return;
  }
  if (current === expected) {
    process.stdout.write(`${relative} is up to date.\n`);
    return;
  }
  writeFileSync(PERMISSIONS_FILE, expected);
  process.stdout.write(`Wrote ${relative} from src/graph/permissions.ts.\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
