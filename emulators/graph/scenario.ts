import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { generateScenario } from './generator';
import { demoScenario } from './scenarios/demo';
import type { Scenario } from './types';

const capabilityStatus = z.enum(['Enabled', 'Warning', 'Suspended', 'LockedOut', 'Deleted']);
const license = z.object({ sku: z.string(), disabledPlans: z.array(z.string()).optional() });

/** The JSON scenario file format (see README.md). */
export const scenarioSchema = z.object({
  name: z.string().optional(),
  profile: z.enum(['realistic', 'deterministic']).optional(),
  tenantId: z.string().optional(),
  organization: z
    .object({
      id: z.string().optional(),
      displayName: z.string().optional(),
      defaultUsageLocation: z.string().length(2).nullable().optional(),
      countryLetterCode: z.string().optional(),
    })
    .optional(),
  domains: z.array(
    z.object({
      id: z.string(),
      isDefault: z.boolean().optional(),
      isInitial: z.boolean().optional(),
      isVerified: z.boolean().optional(),
      isRoot: z.boolean().optional(),
      authenticationType: z.enum(['Managed', 'Federated']).optional(),
      supportedServices: z.array(z.string()).optional(),
    }),
  ),
  skus: z.array(
    z.object({
      skuId: z.string(),
      skuPartNumber: z.string(),
      displayName: z.string().optional(),
      appliesTo: z.enum(['User', 'Company']).optional(),
      capabilityStatus: capabilityStatus.optional(),
      prepaidUnits: z.union([
        z.number().int().nonnegative(),
        z.object({
          enabled: z.number().int().nonnegative(),
          warning: z.number().int().nonnegative().optional(),
          suspended: z.number().int().nonnegative().optional(),
          lockedOut: z.number().int().nonnegative().optional(),
        }),
      ]),
      servicePlans: z.array(
        z.object({
          servicePlanId: z.string(),
          servicePlanName: z.string(),
          appliesTo: z.enum(['User', 'Company']).optional(),
          provisioningStatus: z.string().optional(),
        }),
      ),
      subscriptions: z
        .array(
          z.object({
            id: z.string().optional(),
            commerceSubscriptionId: z.string().optional(),
            totalLicenses: z.number().int().nonnegative(),
            status: capabilityStatus.optional(),
            isTrial: z.boolean().optional(),
            createdDateTime: z.string().optional(),
            nextLifecycleDateTime: z.string().nullable().optional(),
          }),
        )
        .optional(),
    }),
  ),
  groups: z
    .array(
      z.object({
        id: z.string().optional(),
        displayName: z.string(),
        description: z.string().nullable().optional(),
        members: z.array(z.string()),
        licenses: z.array(license).optional(),
        groupTypes: z.array(z.string()).optional(),
        membershipRule: z.string().nullable().optional(),
        onPremisesSyncEnabled: z.boolean().nullable().optional(),
        isAssignableToRole: z.boolean().optional(),
      }),
    )
    .optional(),
  users: z.array(
    z.object({
      id: z.string().optional(),
      userPrincipalName: z.string(),
      displayName: z.string().optional(),
      givenName: z.string().optional(),
      surname: z.string().optional(),
      mail: z.string().nullable().optional(),
      department: z.string().nullable().optional(),
      jobTitle: z.string().nullable().optional(),
      accountEnabled: z.boolean().optional(),
      usageLocation: z.string().length(2).nullable().optional(),
      userType: z.enum(['Member', 'Guest']).optional(),
      licenses: z.array(license).optional(),
    }),
  ),
  rules: z
    .object({
      mutuallyExclusive: z.array(z.tuple([z.string(), z.string()])).optional(),
      dependencies: z.array(z.object({ servicePlan: z.string(), requires: z.array(z.string()) })).optional(),
    })
    .optional(),
});

/** Parses and checks a scenario read from JSON; the error names the offending field. */
export function parseScenario(json: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(json);
  if (!result.success) throw new Error(`${source} is not a valid scenario:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/**
 * A scenario object as given, `demo`, `generated:N` (N users, seed 1) or a path to a JSON file.
 * Objects are used as they are (no deep validation: a generated 100,000-user tenant must load fast).
 */
export function resolveScenario(source: Scenario | string): Scenario {
  if (typeof source !== 'string') return source;
  if (source === 'demo') return demoScenario();
  const generated = /^generated:(\d+)$/.exec(source);
  if (generated) return generateScenario({ users: Number(generated[1]) });
  return parseScenario(JSON.parse(readFileSync(source, 'utf8')) as unknown, source);
}
