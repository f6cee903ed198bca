import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { createDocumentStore, type DocumentStore } from '../../src/storage/document-store';

/** The Azurite connection string started by the jest global setup. */
export function testStorageConnectionString(): string {
  const value = process.env.TEST_STORAGE_CONNECTION_STRING;
  if (!value)
    throw new Error('TEST_STORAGE_CONNECTION_STRING is not set: run tests through jest (global setup starts Azurite).');
  return value;
}

/** A document store in a fresh container, so tests never see each other's data. */
export function freshTestStore(): { store: DocumentStore; container: string } {
  const container = `t${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const store = createDocumentStore(BlobServiceClient.fromConnectionString(testStorageConnectionString()), container);
  return { store, container };
}
