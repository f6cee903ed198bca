import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startLocalAzurite, type LocalAzurite } from '../../../emulators/local/azurite';

/**
 * Azurite on disk must keep every write it acknowledged when it is killed: the workflow's runtime journals an
 * activity as done right after its blob write, so a lost write would leave a report short of users.
 */
describe('local Azurite (durable on disk)', () => {
  let location: string;
  let azurite: LocalAzurite | undefined;
  beforeEach(() => {
    location = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-azurite-'));
  });
  afterEach(async () => {
    await azurite?.stop();
    azurite = undefined;
    fs.rmSync(location, { recursive: true, force: true });
  });

  async function killHard(running: LocalAzurite): Promise<void> {
    const exited = new Promise((resolve) => running.process.once('exit', resolve));
    running.process.kill('SIGKILL');
    await exited;
  }

  it('keeps blobs written just before a SIGKILL', async () => {
    azurite = await startLocalAzurite({ location });
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('docs');
    await container.create();
    const names = Array.from({ length: 12 }, (_, n) => `batch-${n}.json`);
    for (const name of names) {
      const body = JSON.stringify({ name });
      await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    }
    // Well inside Azurite's own 5-second autosave interval.
    await killHard(azurite);

    azurite = await startLocalAzurite({ location });
    const again = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('docs');
    const listed: string[] = [];
    for await (const blob of again.listBlobsFlat()) listed.push(blob.name);
    expect(listed.sort()).toEqual([...names].sort());
    const last = await again.getBlockBlobClient('batch-11.json').downloadToBuffer();
    expect(JSON.parse(last.toString('utf8'))).toEqual({ name: 'batch-11.json' });
  });

  it('stops an Azurite left running on the same folder by a killed launcher before starting a new one', async () => {
    const orphan = await startLocalAzurite({ location });
    const orphanExit = new Promise((resolve) => orphan.process.once('exit', resolve));
    azurite = await startLocalAzurite({ location });
    await orphanExit;
    expect(orphan.process.signalCode).toBe('SIGKILL');
    expect(fs.readFileSync(path.join(location, 'azurite.pid'), 'utf8')).toBe(String(azurite.process.pid));
  });
});
