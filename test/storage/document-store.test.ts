import { blobServiceFromEnv, StorageConfigurationError } from '../../src/storage/document-store';
import { freshTestStore } from '../support/storage';

describe('document store on Azurite', () => {
  it('round-trips JSON documents and lists them by prefix in order', async () => {
    const { store } = freshTestStore();
    await store.write('migrations/m1/results/0002.json', { moved: 2 });
    await store.write('migrations/m1/results/0001.json', { moved: 1 });
    await store.write('migrations/m2/request.json', { x: true });
    expect(await store.read('migrations/m1/results/0001.json')).toEqual({ moved: 1 });
    expect(await store.list('migrations/m1/')).toEqual([
      'migrations/m1/results/0001.json',
      'migrations/m1/results/0002.json',
    ]);
    expect(await store.read('migrations/none.json')).toBeUndefined();
  });

  it('writes once with onlyIfAbsent, so two starts with one id create one run', async () => {
    const { store } = freshTestStore();
    expect(await store.write('requests/a.json', { first: true }, { onlyIfAbsent: true })).toBe(true);
    expect(await store.write('requests/a.json', { first: false }, { onlyIfAbsent: true })).toBe(false);
    expect(await store.read('requests/a.json')).toEqual({ first: true });
  });

  it('deletes documents', async () => {
    const { store } = freshTestStore();
    await store.write('a.json', 1);
    await store.delete('a.json');
    await store.delete('a.json');
    expect(await store.read('a.json')).toBeUndefined();
  });

  it('explains a missing storage configuration', () => {
    expect(() => blobServiceFromEnv({})).toThrow(StorageConfigurationError);
    expect(() => blobServiceFromEnv({})).toThrow(/AzureWebJobsStorage/);
  });
});
