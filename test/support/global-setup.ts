import { startLocalAzurite, type LocalAzurite } from '../../emulators/local/azurite';

declare global {
  var __licenseShiftAzurite: LocalAzurite | undefined;
}

/** One in-memory Azurite for the whole test run; tests read its connection string from the environment. */
export default async function globalSetup(): Promise<void> {
  const azurite = await startLocalAzurite();
  globalThis.__licenseShiftAzurite = azurite;
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
}
