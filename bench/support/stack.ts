/** A simulator process and the product in this process, started and stopped together. */
import { startProduct, type Product } from './product';
import { startSimulatorProcess, type SimulatorProcess, type SimulatorProcessOptions } from './simulator-process';

/** Everyone on Business Standard moves; no one is blocked or skipped, so "moved" is the work done. */
export const PLAIN_MIX = { noUsageLocation: 0, disabledAccounts: 0, groupLicensed: 0 };

export const boundPerSecond = (k: number): number => (3_000 * k) / 150;

export async function withStack<T>(
  options: Omit<SimulatorProcessOptions, 'timeScale'> & { k: number; env?: Record<string, string> },
  body: (stack: { sim: SimulatorProcess; product: Product }) => Promise<T>,
): Promise<T> {
  const sim = await startSimulatorProcess({ ...options, timeScale: options.k, mix: options.mix ?? PLAIN_MIX });
  try {
    const product = await startProduct({ graphBaseUrl: sim.baseUrl, timeScale: options.k, env: options.env });
    try {
      return await body({ sim, product });
    } finally {
      await product.stop();
    }
  } finally {
    await sim.stop();
  }
}
