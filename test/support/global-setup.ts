import { startLocalAzurite, type LocalAzurite } from '../../emulators/local/azurite';
import { buildConsole } from '../../scripts/build-console';

declare global {
  var __licenseShiftAzurite: LocalAzurite | undefined;
}

/**
 * One in-memory Azurite for the whole test run (tests read its connection string from the environment), and the
 * console's browser bundle.
 */
export default async function globalSetup(): Promise<void> {
  // The app loaded from its sources inlines the console bundle from src/dashboard/assets, as dist does after a build.
  await buildConsole();
  const azurite = await startLocalAzurite();
  globalThis.__licenseShiftAzurite = azurite;
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
}
