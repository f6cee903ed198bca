/**
 * A deployment serving three tenants on the multi-tenant Graph simulator: its home tenant (Business Standard users,
 * Business Premium to buy), a consented customer "Beta Ltd" and a customer "Delta Inc" that has not consented (both
 * Office 365 E3 users, E5 to buy): no SKU in common between home and customers.
 */
import {
  generateScenario,
  startMultiTenantGraphSimulator,
  type GraphSimulatorOptions,
  type MultiTenantGraphSimulator,
} from '../../emulators/graph';
import { requiredAppRoles } from '../../src/graph/permissions';
import { startStack, type Stack } from './e2e';

export const TENANT = {
  home: 'a0a0a0a0-1111-4111-8111-0000000000a1',
  beta: 'b0b0b0b0-2222-4222-8222-0000000000b2',
  delta: 'd0d0d0d0-4444-4444-8444-0000000000d4',
  /** Never registered. */
  unknown: 'e0e0e0e0-5555-4555-8555-0000000000e5',
} as const;
/** The multi-tenant app registration's client id (what consent URLs name). */
export const MULTI_TENANT_APP_ID = '9a9a9a9a-6666-4666-8666-0000000000f6';

type Source = 'O365_BUSINESS_PREMIUM' | 'ENTERPRISEPACK';
type Target = 'SPB' | 'ENTERPRISEPREMIUM';

/** One tenant: `users` all holding `from`, as many free seats of `to`; quiet and deterministic unless `extra` says. */
export function tenantOptions(
  users: number,
  seed: number,
  from: Source,
  to: Target,
  extra: Partial<GraphSimulatorOptions> = {},
): Partial<GraphSimulatorOptions> {
  return {
    scenario: generateScenario({
      users,
      seed,
      mix: {
        skus: { [from]: 1 },
        disabledAccounts: 0,
        noUsageLocation: 0,
        groupLicensed: 0,
        target: { sku: to, seats: users },
      },
    }),
    latency: 'none',
    noise: false,
    seed,
    grantedRoles: requiredAppRoles([]),
    ...extra,
  };
}

export interface TenantStack {
  graph: MultiTenantGraphSimulator;
  stack: Stack;
  stop(): Promise<void>;
}

/** Starts the three tenants and the app (virtual clock), with Beta and Delta registered (consent not checked yet). */
export async function startTenantStack(options: {
  users: number;
  seed: number;
  functionKey?: string;
  tenant?: Partial<GraphSimulatorOptions>;
}): Promise<TenantStack> {
  const { users, seed } = options;
  const graph = await startMultiTenantGraphSimulator({
    tenants: [
      { tenantId: TENANT.home, options: tenantOptions(users, seed, 'O365_BUSINESS_PREMIUM', 'SPB', options.tenant) },
      {
        tenantId: TENANT.beta,
        options: tenantOptions(users, seed + 1, 'ENTERPRISEPACK', 'ENTERPRISEPREMIUM', options.tenant),
      },
      {
        tenantId: TENANT.delta,
        consented: false,
        options: tenantOptions(users, seed + 2, 'ENTERPRISEPACK', 'ENTERPRISEPREMIUM', options.tenant),
      },
    ],
  });
  const stack = await startStack({
    sim: graph.tenant(TENANT.home),
    graphBaseUrl: graph.baseUrl,
    clock: 'virtual',
    ...(options.functionKey ? { functionKey: options.functionKey } : {}),
    env: { HOME_TENANT_ID: TENANT.home, GRAPH_MULTITENANT_APP_ID: MULTI_TENANT_APP_ID },
  });
  for (const [tenantId, displayName] of [
    [TENANT.beta, 'Beta Ltd'],
    [TENANT.delta, 'Delta Inc'],
  ] as const) {
    const registered = await stack.api('PUT', `/api/tenants/${tenantId}`, { displayName });
    if (registered.status !== 201) throw new Error(`registering ${displayName}: ${registered.status}`);
  }
  return {
    graph,
    stack,
    stop: async () => {
      await stack.stop();
      await graph.stop();
    },
  };
}
