/**
 * Standalone simulator: `npm run simulator -- --scenario demo --port 4000 [--profile realistic|deterministic]
 * [--time-scale 10] [--latency none] [--no-throttling] [--seed 7] [--lag-ms 2000]`. Stops on Ctrl+C.
 * A generated tenant can be shaped: `--scenario generated:100000 --scenario-seed 42 --mix '{"noUsageLocation":0}'`
 * (a GeneratorMix as JSON), so a benchmark can run the same tenant in a process of its own.
 */
import { parseArgs } from 'node:util';
import { generateScenario, type GeneratorMix } from './generator';
import { startGraphSimulator } from './index';
import { isProfile } from './profiles';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'demo' },
      profile: { type: 'string' },
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      'time-scale': { type: 'string', default: '1' },
      latency: { type: 'string', default: 'realistic' },
      'no-throttling': { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      'lag-ms': { type: 'string' },
      'scenario-seed': { type: 'string' },
      mix: { type: 'string' },
    },
  });
  const latency = values.latency === 'none' ? 'none' : 'realistic';
  if (values.profile !== undefined && !isProfile(values.profile)) {
    throw new Error(`--profile must be realistic or deterministic, not ${values.profile}`);
  }
  const simulator = await startGraphSimulator({
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    scenario: scenarioFrom(values.scenario, values['scenario-seed'], values.mix),
    port: Number(values.port),
    host: values.host,
    timeScale: Number(values['time-scale']),
    latency,
    throttling: !values['no-throttling'],
    seed: Number(values.seed),
    ...(values['lag-ms'] !== undefined ? { settings: { replicationLagMs: Number(values['lag-ms']) } } : {}),
  });
  const t = simulator.tenant;
  process.stdout.write(
    `Graph simulator listening: ${simulator.baseUrl}\n` +
      `Control API: ${simulator.controlUrl}\n` +
      `Profile: ${simulator.profile}\n` +
      `Tenant ${t.organization.displayName} (${t.tenantId}): ${t.users.size} users, ${t.skus.size} SKUs, ${t.groups.size} groups\n`,
  );
  const shutdown = (): void => {
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

function scenarioFrom(
  scenario: string,
  seed: string | undefined,
  mix: string | undefined,
): string | ReturnType<typeof generateScenario> {
  const generated = /^generated:(\d+)$/.exec(scenario);
  if (!generated?.[1] || (seed === undefined && mix === undefined)) return scenario;
  return generateScenario({
    users: Number(generated[1]),
    seed: seed === undefined ? 1 : Number(seed),
    ...(mix === undefined ? {} : { mix: JSON.parse(mix) as GeneratorMix }),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
