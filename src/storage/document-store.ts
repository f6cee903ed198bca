import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, RestError, type ContainerClient } from '@azure/storage-blob';
import { readSetting } from '../config/settings';

/**
 * JSON documents in blob storage: migration requests, plans, per-batch results, reports, schedules.
 * Large lists live here so orchestration state stays small.
 */
export interface DocumentStore {
  read<T>(path: string): Promise<T | undefined>;
  /** A document with its version (the blob's ETag), for a conditional write back (`ifMatch`). */
  readVersioned<T>(path: string): Promise<{ value: T; etag: string } | undefined>;
  /**
   * Writes a document. With `onlyIfAbsent`, returns false (and writes nothing) when it already exists; with
   * `ifMatch`, returns false (and writes nothing) when it changed since that version was read (optimistic
   * concurrency: read, change, write back, and start again on false).
   */
  write(path: string, value: unknown, options?: WriteOptions): Promise<boolean>;
  /** Paths under a prefix, in lexical order. */
  list(prefix: string): Promise<string[]>;
  delete(path: string): Promise<void>;
}

export interface WriteOptions {
  onlyIfAbsent?: boolean;
  /** The ETag the document had when read (`readVersioned`). */
  ifMatch?: string;
}

export class StorageConfigurationError extends Error {
  override readonly name = 'StorageConfigurationError';
}

/**
 * Builds the blob service client the same way the Functions host reads `AzureWebJobsStorage`: a connection string
 * (Azurite locally), or an identity-based connection (`AzureWebJobsStorage__blobServiceUri` + managed identity) in Azure.
 */
export function blobServiceFromEnv(env: NodeJS.ProcessEnv, credential?: TokenCredential): BlobServiceClient {
  const connectionString = readSetting(env, 'AzureWebJobsStorage');
  if (connectionString) {
    return BlobServiceClient.fromConnectionString(connectionString);
  }
  const serviceUri = readSetting(env, 'AzureWebJobsStorage__blobServiceUri');
  if (serviceUri) {
    const clientId = readSetting(env, 'AzureWebJobsStorage__clientId');
    const identity = credential ?? new ManagedIdentityCredential(clientId ? { clientId } : undefined);
    return new BlobServiceClient(serviceUri, identity);
  }
  throw new StorageConfigurationError(
    'No storage configured: set AzureWebJobsStorage (a connection string, e.g. UseDevelopmentStorage=true for Azurite) ' +
      'or AzureWebJobsStorage__blobServiceUri with a managed identity.',
  );
}

export function createDocumentStore(service: BlobServiceClient, containerName: string): DocumentStore {
  const container = service.getContainerClient(containerName);
  let ready: Promise<unknown> | undefined;
  const ensureContainer = (): Promise<unknown> => {
    ready ??= container.createIfNotExists().catch((error: unknown) => {
      ready = undefined; // let the next call try again instead of caching a transient failure
      throw error;
    });
    return ready;
  };
  return new BlobDocumentStore(container, ensureContainer);
}

export function documentStoreFromEnv(env: NodeJS.ProcessEnv): DocumentStore {
  return createDocumentStore(blobServiceFromEnv(env), readSetting(env, 'LICENSE_SHIFT_CONTAINER') ?? 'license-shift');
}

class BlobDocumentStore implements DocumentStore {
  constructor(
    private readonly container: ContainerClient,
    private readonly ensureContainer: () => Promise<unknown>,
  ) {}

  async read<T>(path: string): Promise<T | undefined> {
    return (await this.readVersioned<T>(path))?.value;
  }

  /**
   * One GET for the whole blob: a document rewritten in place (progress, the tenant ledger) is read as one version.
   * (`downloadToBuffer` asks for the size first and then reads ranges, so a rewrite in between could mix two.)
   */
  async readVersioned<T>(path: string): Promise<{ value: T; etag: string } | undefined> {
    await this.ensureContainer();
    try {
      const response = await this.container.getBlockBlobClient(path).download();
      const body = response.readableStreamBody ? await streamToBuffer(response.readableStreamBody) : Buffer.alloc(0);
      return { value: JSON.parse(body.toString('utf8')) as T, etag: response.etag ?? '' };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async write(path: string, value: unknown, options: WriteOptions = {}): Promise<boolean> {
    await this.ensureContainer();
    const body = Buffer.from(JSON.stringify(value), 'utf8');
    const conditional = options.onlyIfAbsent === true || options.ifMatch !== undefined;
    try {
      await this.container.getBlockBlobClient(path).uploadData(body, {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        conditions: options.onlyIfAbsent
          ? { ifNoneMatch: '*' }
          : options.ifMatch !== undefined
            ? { ifMatch: options.ifMatch }
            : undefined,
      });
      return true;
    } catch (error) {
      // 412: the condition failed (changed since read, or already there); 409: created concurrently.
      if (conditional && error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)) {
        return false;
      }
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    await this.ensureContainer();
    const names: string[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix })) names.push(blob.name);
    return names.sort();
  }

  async delete(path: string): Promise<void> {
    await this.ensureContainer();
    await this.container.getBlockBlobClient(path).deleteIfExists();
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
