import { NO_NOISE, REALISTIC_NOISE } from './noise';
import { PLAN_RULES, type PlanRule } from './plan-rules';
import type { NoiseConfig, SimulatorProfile, SimulatorSettings } from './types';

/** What a profile decides; every part can still be overridden by the simulator's options. */
export interface ProfileDefaults {
  settings: Pick<
    SimulatorSettings,
    'readLagMaxMs' | 'listLagMaxMs' | 'countWithoutConsistencyLevel' | 'enforcePermissions' | 'groupMemberProcessingMs'
  >;
  noise: NoiseConfig;
  planRules: readonly PlanRule[];
}

/**
 * `realistic` (the default) is as unkind as Graph is documented or observed to be: replication lag, background
 * 429/503/resets, the service-plan rules, app-role checks, `$count` ignored without `ConsistencyLevel`.
 * `deterministic` is the simulator as it was before profiles: every answer follows from the requests alone.
 */
export const PROFILES: Readonly<Record<SimulatorProfile, ProfileDefaults>> = {
  realistic: {
    settings: {
      readLagMaxMs: 2000,
      listLagMaxMs: 10_000,
      countWithoutConsistencyLevel: 'ignore',
      enforcePermissions: true,
      // [CONF] Entra documents no rate; a group is processed member by member, so large groups take a while.
      groupMemberProcessingMs: 20,
    },
    noise: REALISTIC_NOISE,
    planRules: PLAN_RULES,
  },
  deterministic: {
    settings: {
      readLagMaxMs: 0,
      listLagMaxMs: 0,
      countWithoutConsistencyLevel: 'reject',
      enforcePermissions: false,
      groupMemberProcessingMs: 0,
    },
    noise: NO_NOISE,
    planRules: [],
  },
};

export function isProfile(value: unknown): value is SimulatorProfile {
  return value === 'realistic' || value === 'deterministic';
}
