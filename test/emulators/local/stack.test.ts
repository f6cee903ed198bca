import { createServer } from 'node:net';
import * as path from 'node:path';
import { generateLocalKey } from '../../../emulators/local/settings';
import { startLocalStack } from '../../../emulators/local/stack';

const ROOT = path.resolve(__dirname, '../../..');

/** A port that was free a moment ago: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('local stack start-up', () => {
  it('refuses a loopback GRAPH_BASE_URL nobody answers on, saying how to fix it', async () => {
    const port = await closedPort();
    await expect(
      startLocalStack({
        rootDir: ROOT,
        appEntry: path.join(ROOT, 'src/index.ts'),
        settings: { GRAPH_BASE_URL: `http://127.0.0.1:${port}/v1.0`, GRAPH_AUTH: 'none' },
        port: 0,
        functionKey: generateLocalKey(),
      }),
    ).rejects.toThrow(/nothing answers there.*npm run simulator.*remove GRAPH_BASE_URL/s);
  });
});
