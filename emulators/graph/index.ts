/**
 * Microsoft Graph tenant simulator: a stateful tenant behind Graph v1.0 URLs for tests, the local demo and
 * benchmarks. See README.md for every behaviour, its source tag and every setting.
 */
import { GraphSimulatorServer, type GraphSimulator, type GraphSimulatorOptions } from './server';

export { generateScenario, type GeneratorMix } from './generator';
export {
  findServiceGaps,
  findUnlicensedGaps,
  findUnlicensedPeriods,
  findWriteBudgetViolations,
  type SkuPlans,
} from './events';
export { demoScenario, DEMO_TENANT_ID, DEMO_GROUPS, catalogSku } from './scenarios/demo';
export {
  groupLicensingScenario,
  GROUP_SCENARIO_GROUPS,
  GROUP_TENANT_ID,
  type GroupScenarioOptions,
} from './scenarios/groups';
export { SKU_CATALOG, type CatalogPartNumber } from './scenarios/catalog';
export { parseScenario, resolveScenario } from './scenario';
export { REALISTIC_LATENCY, NO_LATENCY } from './latency';
export { DOCUMENTED_THROTTLE_CONFIG, formatRetryAfter } from './throttle';
export { PROFILES, type ProfileDefaults } from './profiles';
export { PLAN_RULES, type PlanRule } from './plan-rules';
export { ENDPOINT_PERMISSIONS, type EndpointPermission } from './permissions';
export { REALISTIC_NOISE, NO_NOISE, BACKGROUND_THROTTLE_MESSAGES } from './noise';
export { DEFAULT_SETTINGS, DEFAULT_APP_ID, GraphSimulatorServer } from './server';
export type { GraphSimulator, GraphSimulatorOptions } from './server';
export type { TenantState, SimUser, SimSku, SimGroup, LicenseStateEntry, MembershipRefusal } from './tenant';
export { membershipRefusal } from './tenant';
export type * from './types';

/**
 * Starts a simulator on `host:port` (default 127.0.0.1, port 0 = free port) with the given scenario (default demo)
 * and profile (default `realistic`; pass `profile: 'deterministic'` for answers that follow from the requests alone).
 */
export async function startGraphSimulator(
  options: GraphSimulatorOptions = {},
): Promise<GraphSimulator & GraphSimulatorServer> {
  const simulator = new GraphSimulatorServer(options);
  await simulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return simulator;
}
export {
  consentRequiredBody,
  SIMULATOR_TENANT_HEADER,
  startMultiTenantGraphSimulator,
  type MultiTenantGraphSimulator,
  type MultiTenantSimulatorOptions,
  type SimulatedTenant,
} from './tenants';
