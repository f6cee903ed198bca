import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockDataFolder } from '../../../emulators/local/data-lock';

describe('data folder lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second launcher on a folder in use, naming the holder and the way out', () => {
    const lock = lockDataFolder(dir);
    expect(() => lockDataFolder(dir)).toThrow(
      new RegExp(`process ${process.pid}\\) is using the data folder .*--data or LICENSE_SHIFT_DATA_DIR`),
    );
    lock.release();
    lockDataFolder(dir).release();
  });

  it('takes over the lock of a launcher that was killed', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    fs.writeFileSync(path.join(dir, 'launcher.lock'), JSON.stringify({ pid: gone, startTime: '1' }));
    const lock = lockDataFolder(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'launcher.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(path.join(dir, 'launcher.lock'))).toBe(false);
  });
});
