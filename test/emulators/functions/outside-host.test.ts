import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * jest maps @azure/functions-core to the host's stand-in for every test file; a test that imports a function file
 * directly (no host loading it) must still work, with @azure/functions in its own "test mode".
 */
describe('function modules imported outside a host', () => {
  it('load without a runtime, skip registration with the library warning, and stay callable', () => {
    const warnings: string[] = [];
    const warn = jest.spyOn(console, 'warn').mockImplementation((message: string) => warnings.push(message));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the console spy is in place
      const { ping } = require('./apps/standalone-function') as typeof import('./apps/standalone-function');
      expect(ping()).toEqual({ status: 200, body: 'pong' });
      expect(warnings.join('\n')).toContain('Switching "@azure/functions" package to test mode');
    } finally {
      warn.mockRestore();
    }
  });

  it('still load into a host later in the same (plain node) process', async () => {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const script = path.join(__dirname, 'apps', 'preloaded-host.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, script], { cwd: __dirname });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ direct: 'pong', status: 200, body: 'pong' });
  });
});
