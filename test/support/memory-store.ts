import type { DocumentStore } from '../../src/storage/document-store';

/**
 * The document store in memory, for activity tests: documents are kept as JSON text (so a caller never shares
 * objects with the store, as with blobs), `onlyIfAbsent` refuses to overwrite, and lists come back in lexical order.
 */
export class MemoryDocumentStore implements DocumentStore {
  readonly #documents = new Map<string, string>();
  /** Every path written, in order (a refused `onlyIfAbsent` write is not one). */
  readonly writes: string[] = [];

  read<T>(path: string): Promise<T | undefined> {
    const text = this.#documents.get(path);
    return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as T));
  }

  write(path: string, value: unknown, options: { onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    if (options.onlyIfAbsent && this.#documents.has(path)) return Promise.resolve(false);
    this.#documents.set(path, JSON.stringify(value));
    this.writes.push(path);
    return Promise.resolve(true);
  }

  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.#documents.keys()].filter((path) => path.startsWith(prefix)).sort());
  }

  delete(path: string): Promise<void> {
    this.#documents.delete(path);
    return Promise.resolve();
  }
}
