import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** `npm run demo` is the README's first command: it must keep running a whole migration and exiting 0. */
describe('npm run demo', () => {
  it('runs one complete migration on the embedded demo tenant, waits for the purchase, and reports', async () => {
    const root = join(__dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/demo.ts')], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, output }).toEqual(expect.objectContaining({ code: 0 }));
    expect(output).toMatch(/need 28, 5 free: buy 23 more Microsoft 365 Business Premium licenses/);
    expect(output).toMatch(/Purchase landed/);
    expect(output).toMatch(/Result: completed \(28 moved, 0 failed, 0 skipped, 7 blocked\.\)/);
    expect(output).toMatch(/no user was ever left without a license; Graph write budget held/);
  }, 120_000);
});
