/**
 * Standalone simulator: `npm run simulator -- --scenario demo --port 4000 [--profile realistic|deterministic]
 * [--time-scale 10] [--latency none] [--no-throttling] [--seed 7] [--lag-ms 2000]`. Stops on Ctrl+C.
 * A generated tenant can be shaped: `--scenario generated:100000 --scenario-seed 42 --mix '{"noUsageLocation":0}'`
 * (a GeneratorMix as JSON), so a benchmark can run the same tenant in a process of its own.
 *
 * Several tenants behind one URL (tenants.ts): `--tenants '[{"tenantId":"…","scenario":"generated:2000",
 * "scenarioSeed":40}, …]'` (JSON, or a path to a JSON file). Each entry may set `consented`, `scenario`,
 * `scenarioSeed`, `mix`, `profile`, `timeScale`, `latency`, `throttling`, `seed`, `lagMs` and `grantedRoles` (the
 * app roles granted in that tenant); what an entry leaves out comes from the flags above. The first tenant is the
 * default one. Each tenant's control API is then `/_simulator/tenants/{tenantId}/…`, its consent
 * `/_simulator/tenants/{tenantId}/consent`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { generateScenario, type GeneratorMix } from './generator';
import { startGraphSimulator } from './index';
import { isProfile } from './profiles';
import type { GraphSimulatorOptions } from './server';
import { startMultiTenantGraphSimulator } from './tenants';

/** What shapes one tenant's simulator, from the flags or from one `--tenants` entry. */
const tenantSettings = z
  .object({
    scenario: z.string().min(1),
    scenarioSeed: z.number().int().optional(),
    /** The generator checks its own fields; here it only has to be an object. */
    mix: z
      .custom<GeneratorMix>((value) => typeof value === 'object' && value !== null && !Array.isArray(value))
      .optional(),
    profile: z.enum(['realistic', 'deterministic']).optional(),
    timeScale: z.number().positive(),
    latency: z.enum(['realistic', 'none']),
    throttling: z.boolean(),
    seed: z.number().int(),
    lagMs: z.number().nonnegative().optional(),
    grantedRoles: z.array(z.string()).optional(),
  })
  .strict();

type TenantSettings = z.infer<typeof tenantSettings>;

const tenantEntries = z
  .array(
    tenantSettings
      .partial()
      .extend({ tenantId: z.string().trim().min(1), consented: z.boolean().optional() })
      .strict(),
  )
  .min(1);

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
      tenants: { type: 'string' },
    },
  });
  if (values.profile !== undefined && !isProfile(values.profile)) {
    throw new Error(`--profile must be realistic or deterministic, not ${values.profile}`);
  }
  const fromFlags: TenantSettings = {
    scenario: values.scenario,
    ...(values['scenario-seed'] !== undefined ? { scenarioSeed: Number(values['scenario-seed']) } : {}),
    ...(values.mix !== undefined ? { mix: JSON.parse(values.mix) as GeneratorMix } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    timeScale: Number(values['time-scale']),
    latency: values.latency === 'none' ? 'none' : 'realistic',
    throttling: !values['no-throttling'],
    seed: Number(values.seed),
    ...(values['lag-ms'] !== undefined ? { lagMs: Number(values['lag-ms']) } : {}),
  };
  const port = Number(values.port);
  const host = values.host;

  if (values.tenants === undefined) {
    const simulator = await startGraphSimulator({ ...simulatorOptions(fromFlags), port, host });
    const t = simulator.tenant;
    process.stdout.write(
      `Graph simulator listening: ${simulator.baseUrl}\n` +
        `Control API: ${simulator.controlUrl}\n` +
        `Profile: ${simulator.profile}\n` +
        `Tenant ${t.organization.displayName} (${t.tenantId}): ${t.users.size} users, ${t.skus.size} SKUs, ${t.groups.size} groups\n`,
    );
    stopOnSignal(() => simulator.stop());
    return;
  }

  const text = values.tenants.trimStart().startsWith('[') ? values.tenants : readFileSync(values.tenants, 'utf8');
  const parsed = tenantEntries.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`--tenants: ${z.prettifyError(parsed.error)}`);
  const entries = parsed.data;
  const simulator = await startMultiTenantGraphSimulator({
    port,
    host,
    tenants: entries.map(({ tenantId, consented, ...own }) => ({
      tenantId,
      ...(consented !== undefined ? { consented } : {}),
      options: simulatorOptions({ ...fromFlags, ...own }),
    })),
  });
  const lines = simulator.tenantIds().map((tenantId) => {
    const t = simulator.tenant(tenantId).tenant;
    const consent = simulator.isConsented(tenantId) ? 'consented' : 'no consent';
    return `Tenant ${t.organization.displayName} (${t.tenantId}, ${consent}): ${t.users.size} users, ${t.skus.size} SKUs, ${t.groups.size} groups\n`;
  });
  process.stdout.write(
    `Graph simulator listening: ${simulator.baseUrl}\n` +
      `Control API: ${simulator.origin}/_simulator (one tenant's: /_simulator/tenants/{tenantId})\n` +
      lines.join(''),
  );
  stopOnSignal(() => simulator.stop());
}

function simulatorOptions(settings: TenantSettings): GraphSimulatorOptions {
  return {
    ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
    scenario: scenarioFrom(settings.scenario, settings.scenarioSeed, settings.mix),
    timeScale: settings.timeScale,
    latency: settings.latency,
    throttling: settings.throttling,
    seed: settings.seed,
    ...(settings.lagMs !== undefined ? { settings: { replicationLagMs: settings.lagMs } } : {}),
    ...(settings.grantedRoles !== undefined ? { grantedRoles: settings.grantedRoles } : {}),
  };
}

function scenarioFrom(
  scenario: string,
  seed: number | undefined,
  mix: GeneratorMix | undefined,
): string | ReturnType<typeof generateScenario> {
  const generated = /^generated:(\d+)$/.exec(scenario);
  if (!generated?.[1] || (seed === undefined && mix === undefined)) return scenario;
  return generateScenario({
    users: Number(generated[1]),
    seed: seed ?? 1,
    ...(mix === undefined ? {} : { mix }),
  });
}

function stopOnSignal(stop: () => Promise<void>): void {
  const shutdown = (): void => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
