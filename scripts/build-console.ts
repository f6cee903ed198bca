/**
 * Builds the operator console (src/dashboard/console, Preact + TypeScript) into one minified script and one style
 * sheet under src/dashboard/assets/, which src/dashboard/page.ts inlines into the page (CSP by hash, nothing fetched
 * from elsewhere). Offline: esbuild and preact come from node_modules. `npm run build` runs it before tsc, and the
 * test suite's global set-up runs it too, so the app loaded from sources finds the same bundle.
 *
 *   tsx scripts/build-console.ts [--dev]     (--dev: not minified, with an inline source map)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, __filename.endsWith('.ts') ? '..' : '../..');
export const CONSOLE_SOURCE = path.join(ROOT, 'src/dashboard/console');
export const CONSOLE_ASSETS = path.join(ROOT, 'src/dashboard/assets');

export interface ConsoleBundle {
  scriptBytes: number;
  styleBytes: number;
}

export async function buildConsole(options: { dev?: boolean; outDir?: string } = {}): Promise<ConsoleBundle> {
  const outDir = options.outDir ?? CONSOLE_ASSETS;
  fs.mkdirSync(outDir, { recursive: true });
  const common = {
    bundle: true,
    minify: !options.dev,
    sourcemap: options.dev ? ('inline' as const) : false,
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    legalComments: 'eof' as const,
    logLevel: 'warning' as const,
    absWorkingDir: ROOT,
  };
  await build({
    ...common,
    entryPoints: [path.join(CONSOLE_SOURCE, 'main.tsx')],
    outfile: path.join(outDir, 'console.js'),
    format: 'iife',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(CONSOLE_SOURCE, 'tsconfig.json'),
  });
  await build({
    ...common,
    entryPoints: [path.join(CONSOLE_SOURCE, 'console.css')],
    outfile: path.join(outDir, 'console.css'),
  });
  return {
    scriptBytes: fs.statSync(path.join(outDir, 'console.js')).size,
    styleBytes: fs.statSync(path.join(outDir, 'console.css')).size,
  };
}

if (require.main === module) {
  buildConsole({ dev: process.argv.includes('--dev') }).then(
    ({ scriptBytes, styleBytes }) =>
      process.stdout.write(
        `console: ${path.relative(process.cwd(), CONSOLE_ASSETS)}/console.js ${(scriptBytes / 1024).toFixed(1)} KiB, console.css ${(styleBytes / 1024).toFixed(1)} KiB\n`,
      ),
    (error: unknown) => {
      process.stderr.write(`build-console failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
