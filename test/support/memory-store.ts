import type { DocumentStore, WriteOptions } from '../../src/storage/document-store';

/**
 * The document store in memory, for activity tests: documents are kept as JSON text (so a caller never shares
 * objects with the store, as with blobs), `onlyIfAbsent` refuses to overwrite, and lists come back in lexical order.
 */
export class MemoryDocumentStore implements DocumentStore {
  readonly #documents = new Map<string, string>();
  readonly #versions = new Map<string, number>();
  #version = 0;
  /** Every path written, in order (a refused `onlyIfAbsent` write is not one). */
  readonly writes: string[] = [];

  read<T>(path: string): Promise<T | undefined> {
    const text = this.#documents.get(path);
    return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as T));
  }

  /** ETags are a counter: every write makes a new one, as blob storage does. */
  readVersioned<T>(path: string): Promise<{ value: T; etag: string } | undefined> {
    const text = this.#documents.get(path);
    if (text === undefined) return Promise.resolve(undefined);
    return Promise.resolve({ value: JSON.parse(text) as T, etag: `"${this.#versions.get(path) ?? 0}"` });
  }

  write(path: string, value: unknown, options: WriteOptions = {}): Promise<boolean> {
    if (options.onlyIfAbsent && this.#documents.has(path)) return Promise.resolve(false);
    if (options.ifMatch !== undefined && options.ifMatch !== `"${this.#versions.get(path) ?? -1}"`) {
      return Promise.resolve(false);
    }
    this.#documents.set(path, JSON.stringify(value));
    this.#versions.set(path, (this.#version += 1));
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
