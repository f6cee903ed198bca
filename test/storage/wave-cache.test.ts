/**
 * Wave documents cached per process (src/storage/migration-documents.ts): the waves a run works on now are read once
 * by all its activities, and a large plan is not kept in memory whole.
 */
import type { PlannedUser } from '../../src/domain/types';
import { MigrationDocuments } from '../../src/storage/migration-documents';
import { MemoryDocumentStore } from '../support/memory-store';

class CountingStore extends MemoryDocumentStore {
  readonly reads: string[] = [];
  override read<T>(path: string): Promise<T | undefined> {
    this.reads.push(path);
    return super.read<T>(path);
  }
}

async function planOf(waves: number): Promise<{ store: CountingStore; docs: MigrationDocuments }> {
  const store = new CountingStore();
  const docs = new MigrationDocuments(store, `wave-cache-${waves}-${Math.random().toString(36).slice(2)}`);
  for (let wave = 0; wave < waves; wave += 1) {
    await store.write(`migrations/${docs.migrationId}/plan/wave-${String(wave).padStart(6, '0')}.json`, [[]]);
  }
  return { store, docs };
}

const waveReads = (store: CountingStore): number => store.reads.filter((path) => path.includes('/plan/wave-')).length;

describe('wave document cache', () => {
  it('reads a wave once while it is in use, however many activities ask for it', async () => {
    const { store, docs } = await planOf(1);
    const batches: PlannedUser[][][] = [];
    for (let i = 0; i < 10; i += 1) batches.push(await docs.wave(0));
    expect(waveReads(store)).toBe(1);
  });

  it('keeps only the most recently used waves: a 50-wave plan is not held whole', async () => {
    const { store, docs } = await planOf(50);
    for (let wave = 0; wave < 50; wave += 1) await docs.wave(wave);
    expect(waveReads(store)).toBe(50);
    // The last few waves are still there; the first ones were let go and are read again.
    await docs.wave(49);
    await docs.wave(45);
    expect(waveReads(store)).toBe(50);
    await docs.wave(0);
    expect(waveReads(store)).toBe(51);
  });

  it('a wave in use stays while newer ones come and go', async () => {
    const { store, docs } = await planOf(20);
    for (let wave = 1; wave < 20; wave += 1) {
      await docs.wave(0); // the wave handed-back users come from, asked for again each round
      await docs.wave(wave);
    }
    expect(waveReads(store)).toBe(20);
  });
});
