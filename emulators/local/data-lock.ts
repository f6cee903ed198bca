import * as fs from 'node:fs';
import * as path from 'node:path';

const LOCK_FILE = 'launcher.lock';

interface LockRecord {
  pid: number;
  /** Process start time from /proc (Linux), so a reused pid is not mistaken for the owner. */
  startTime?: string;
}

export interface DataFolderLock {
  release(): void;
}

/** Field 22 of /proc/<pid>/stat: the process start time in clock ticks since boot; undefined off Linux. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(record: LockRecord): boolean {
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const startTime = processStartTime(record.pid);
  return record.startTime === undefined || startTime === undefined || startTime === record.startTime;
}

/**
 * One launcher per data folder: two runtimes on one journal, or two Azurites on one folder, overwrite each other.
 * A lock left by a killed launcher is stale and taken over.
 */
export function lockDataFolder(dataDir: string): DataFolderLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockRecord = { pid: process.pid, startTime: processStartTime(process.pid) };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return {
        release: () => {
          const current = readLock(file);
          if (current?.pid === mine.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLock(file);
    if (holder && isAlive(holder)) {
      throw new Error(
        `Another license-shift launcher (process ${holder.pid}) is using the data folder ${dataDir}: ` +
          'stop it first, or give this one its own folder with --data or LICENSE_SHIFT_DATA_DIR.',
      );
    }
    fs.rmSync(file, { force: true });
  }
  throw new Error(`Could not take the data folder ${dataDir}: another launcher is starting on it.`);
}

function readLock(file: string): LockRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, startTime: parsed.startTime } : undefined;
  } catch {
    return undefined;
  }
}
