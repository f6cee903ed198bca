/* eslint-disable @typescript-eslint/no-unsafe-call -- Graph JSON bodies are untyped here; the assertions check their shape. */
import { DEMO_GROUPS, SKU_CATALOG, demoScenario, findUnlicensedGaps } from '../../../emulators/graph';
import { assignBody, call, startTestSimulator, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const SPB = SKU_CATALOG.SPB.skuId;
const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
const E5 = SKU_CATALOG.ENTERPRISEPREMIUM.skuId;
const BASIC = SKU_CATALOG.O365_BUSINESS_ESSENTIALS.skuId;
const RMS = SKU_CATALOG.RMSBASIC.skuId;
const UNKNOWN_SKU = '11111111-2222-4333-8444-555555555555';

describe('assignLicense', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ throttling: false });
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.reset());

  const userWith = (
    predicate: (u: Simulator['tenant']['users'] extends Map<string, infer U> ? U : never) => boolean,
  ) => {
    const user = [...sim.tenant.users.values()].find(predicate);
    if (!user) throw new Error('no such demo user');
    return user;
  };
  const directOnly = (sku: string) =>
    userWith(
      (u) =>
        u.accountEnabled &&
        u.usageLocation !== null &&
        u.licenseStates.length === 1 &&
        u.licenseStates[0]?.skuId === sku &&
        u.licenseStates[0].assignedByGroup === null,
    );

  it('swaps licenses in one call and answers 200 with the user, its licenses and plans', async () => {
    const user = directOnly(BS);
    const consumedBefore = sim.tenant.consumedUnits(sim.tenant.findSku(SPB)!);
    const res = await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]));
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#users/$entity');
    expect(res.body.id).toBe(user.id);
    expect(res.body.assignedLicenses).toEqual([{ skuId: SPB, disabledPlans: [] }]);
    expect(res.body.assignedPlans.length).toBeGreaterThan(0);
    expect(res.headers.get('x-ms-resource-unit')).toBe('1');
    expect(sim.tenant.consumedUnits(sim.tenant.findSku(SPB)!)).toBe(consumedBefore + 1);
    const event = sim.events().find((e) => e.kind === 'license' && e.userId === user.id);
    expect(event).toMatchObject({ before: [{ skuId: BS }], after: [{ skuId: SPB }], cause: 'assignLicense' });
  });

  it('accepts the user principal name in the path and changes disabled plans by re-adding the SKU', async () => {
    const user = directOnly(BS);
    const sway = SKU_CATALOG.O365_BUSINESS_PREMIUM.plans.find(([, n]) => n === 'SWAY')![0];
    const res = await call(
      sim,
      'POST',
      `/users/${encodeURIComponent(user.userPrincipalName)}/assignLicense`,
      assignBody([{ skuId: BS, disabledPlans: [sway] }]),
    );
    expect(res.status).toBe(200);
    expect(res.body.assignedLicenses).toEqual([{ skuId: BS, disabledPlans: [sway] }]);
    const details = await call(sim, 'GET', `/users/${user.id}/licenseDetails`);
    const plan = details.body.value[0].servicePlans.find((p: { servicePlanId: string }) => p.servicePlanId === sway);
    expect(plan.provisioningStatus).toBe('Disabled');
  });

  const expectError = async (userKey: string, body: unknown, status: number, code: string, message: string) => {
    const res = await call(sim, 'POST', `/users/${userKey}/assignLicense`, body, {
      'client-request-id': 'my-correlation',
    });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toBe(message);
    expect(res.body.error.innerError['client-request-id']).toBe('my-correlation');
    expect(res.body.error.innerError['request-id']).toBe(res.headers.get('request-id'));
    expect(res.body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(res.headers.get('client-request-id')).toBe('my-correlation');
    expect(res.headers.get('x-ms-resource-unit')).toBe('1');
  };

  it('rejects a body without addLicenses or removeLicenses with the documented message', async () => {
    const user = directOnly(BS);
    await expectError(
      user.id,
      { removeLicenses: [] },
      400,
      'Request_BadRequest',
      "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: addLicenses.",
    );
    await expectError(
      user.id,
      { addLicenses: [] },
      400,
      'Request_BadRequest',
      "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: removeLicenses.",
    );
  });

  it('answers 404 for an unknown user', async () => {
    await expectError(
      'nobody@contoso.com',
      assignBody([{ skuId: SPB }]),
      404,
      'Request_ResourceNotFound',
      "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.",
    );
  });

  it('rejects an unknown SKU, a company SKU, a SKU the user does not hold and a group-inherited removal', async () => {
    const user = directOnly(BS);
    await expectError(
      user.id,
      assignBody([{ skuId: UNKNOWN_SKU }]),
      400,
      'Request_BadRequest',
      `License ${UNKNOWN_SKU} does not correspond to a valid company License.`,
    );
    await expectError(
      user.id,
      assignBody([], [UNKNOWN_SKU]),
      400,
      'Request_BadRequest',
      `License ${UNKNOWN_SKU} does not correspond to a valid company License.`,
    );
    await expectError(
      user.id,
      assignBody([{ skuId: RMS }]),
      400,
      'Request_BadRequest',
      `License ${RMS} cannot be assigned to a user.`,
    );
    await expectError(
      user.id,
      assignBody([], [E3]),
      400,
      'Request_BadRequest',
      'User does not have a corresponding license.',
    );
    const groupOnly = userWith(
      (u) =>
        u.licenseStates.length > 0 && u.licenseStates.every((s) => s.assignedByGroup === DEMO_GROUPS.businessStandard),
    );
    await expectError(
      groupOnly.id,
      assignBody([{ skuId: SPB }], [BS]),
      400,
      'Request_BadRequest',
      'User license is inherited from a group membership and it cannot be removed directly from the user.',
    );
  });

  it('requires a usage location to add a license', async () => {
    const user = userWith((u) => u.usageLocation === null && u.assignedLicenses.length > 0);
    await expectError(
      user.id,
      assignBody([{ skuId: SPB }], [BS]),
      400,
      'Request_BadRequest',
      'License assignment cannot be done for user with invalid usage location.',
    );
    const patched = await call(sim, 'PATCH', `/users/${user.id}`, { usageLocation: 'NL' });
    expect(patched.status).toBe(204);
    expect(
      (await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]))).status,
    ).toBe(200);
  });

  it('refuses a SKU without free seats, all or nothing, until the purchase lands', async () => {
    const holders = [...sim.tenant.findSku(BS)!.holders].filter(
      (u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null),
    );
    const results: number[] = [];
    for (const user of holders.slice(0, 6)) {
      results.push(
        (await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]))).status,
      );
    }
    expect(results).toEqual([200, 200, 200, 200, 200, 400]);
    const sixth = holders[5]!;
    // The failed call changed nothing: the user keeps the source license.
    expect(sixth.assignedLicenses.map((l) => l.skuId)).toContain(BS);
    await expectError(
      sixth.id,
      assignBody([{ skuId: SPB }], [BS]),
      400,
      'Request_BadRequest',
      `Subscription with SKU ${SPB} does not have any available licenses.`,
    );
    sim.setSkuSeats('SPB', 10);
    expect(
      (await call(sim, 'POST', `/users/${sixth.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]))).status,
    ).toBe(200);
  });

  it('blocks assignment from Suspended, LockedOut and Deleted SKUs but allows Warning', async () => {
    const user = directOnly(BS);
    for (const status of ['Suspended', 'LockedOut'] as const) {
      sim.setSkuStatus('SPB', status);
      await expectError(
        user.id,
        assignBody([{ skuId: SPB }]),
        400,
        'Request_BadRequest',
        `Subscription with SKU ${SPB} does not have any available licenses.`,
      );
    }
    sim.setSkuStatus('SPB', 'Warning');
    const skus = await call(sim, 'GET', '/subscribedSkus');
    expect(skus.body.value.find((s: { skuId: string }) => s.skuId === SPB)).toMatchObject({
      capabilityStatus: 'Warning',
      prepaidUnits: { enabled: 0, warning: 5, suspended: 0, lockedOut: 0 },
    });
    // The conservative formula (enabled − consumed) sees no seats in a Warning SKU; the lenient one does.
    await expectError(
      user.id,
      assignBody([{ skuId: SPB }]),
      400,
      'Request_BadRequest',
      `Subscription with SKU ${SPB} does not have any available licenses.`,
    );
    sim.settings.freeSeatFormula = 'enabledPlusWarning';
    expect((await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: SPB }]))).status).toBe(200);
    sim.settings.freeSeatFormula = 'enabled';
    sim.setSkuStatus('SPB', 'Deleted');
    const other = [...sim.tenant.users.values()].find((u) => u.id !== user.id && u.usageLocation !== null)!;
    await expectError(
      other.id,
      assignBody([{ skuId: SPB }]),
      400,
      'Request_BadRequest',
      `Subscription with SKU ${SPB} does not have any available licenses.`,
    );
  });

  it('can be made non-atomic, so a failed add still removes', async () => {
    sim.settings.atomicAssignLicense = false;
    sim.setSkuSeats('SPB', 0);
    const user = directOnly(BS);
    const res = await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]));
    expect(res.status).toBe(400);
    expect(user.assignedLicenses).toEqual([]);
    sim.settings.atomicAssignLicense = true;
  });

  it('enforces mutually exclusive and dependent service plans from the scenario rules', async () => {
    const exchangeStd = SKU_CATALOG.STANDARDPACK.plans.find(([, n]) => n === 'EXCHANGE_S_STANDARD')![0];
    const exchangeEnt = SKU_CATALOG.ENTERPRISEPACK.plans.find(([, n]) => n === 'EXCHANGE_S_ENTERPRISE')![0];
    const demo = demoScenario();
    demo.rules = {
      mutuallyExclusive: [['EXCHANGE_S_STANDARD', 'EXCHANGE_S_ENTERPRISE']],
      dependencies: [{ servicePlan: 'EXCHANGE_S_ENTERPRISE', requires: ['SHAREPOINTENTERPRISE'] }],
    };
    sim.loadScenario(demo);
    const e1User = directOnly(SKU_CATALOG.STANDARDPACK.skuId);
    await expectError(
      e1User.id,
      assignBody([{ skuId: E3 }]),
      400,
      'Request_BadRequest',
      `License assignment failed because service plans ${exchangeStd},${exchangeEnt} are mutually exclusive`,
    );
    const sharepoint = SKU_CATALOG.ENTERPRISEPACK.plans.find(([, n]) => n === 'SHAREPOINTENTERPRISE')![0];
    const unlicensed = userWith((u) => u.assignedLicenses.length === 0 && u.usageLocation !== null);
    await expectError(
      unlicensed.id,
      assignBody([{ skuId: E3, disabledPlans: [sharepoint] }]),
      400,
      'Request_BadRequest',
      `License assignment failed because service plan ${exchangeEnt} depends on the service plan(s) ${sharepoint}`,
    );
    // The swap in one call clears the conflict: E1's plan leaves as E3's arrives.
    expect(
      (
        await call(
          sim,
          'POST',
          `/users/${e1User.id}/assignLicense`,
          assignBody([{ skuId: E3 }], [SKU_CATALOG.STANDARDPACK.skuId]),
        )
      ).status,
    ).toBe(200);
    sim.loadScenario('demo');
  });

  it('applies group licenses asynchronously (202) onto members, with errors recorded on the user', async () => {
    const res = await call(
      sim,
      'POST',
      `/groups/${DEMO_GROUPS.businessStandard}/assignLicense`,
      assignBody([{ skuId: E5 }]),
    );
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`${sim.baseUrl}/groups/${DEMO_GROUPS.businessStandard}`);
    expect(res.body.licenseProcessingState.state).toBe('QueuedForProcessing');
    const members = sim.tenant.groups.get(DEMO_GROUPS.businessStandard)!.members;
    expect(members.every((m) => !('userPrincipalName' in m) || !m.assignedLicenses.some((l) => l.skuId === E5))).toBe(
      true,
    );
    expect(sim.processPendingGroups()).toBe(1);
    // Office 365 E5 has one free seat: the first member gets it, the others get CountViolation.
    const states = members.flatMap((m) => ('licenseStates' in m ? m.licenseStates.filter((s) => s.skuId === E5) : []));
    expect(states.map((s) => [s.state, s.error])).toEqual([
      ['Active', 'None'],
      ['Error', 'CountViolation'],
      ['Error', 'CountViolation'],
      ['Error', 'CountViolation'],
    ]);
    const group = await call(sim, 'GET', `/groups/${DEMO_GROUPS.businessStandard}`);
    expect(group.body.licenseProcessingState.state).toBe('ProcessingComplete');
    // After the purchase, reprocessing a member activates the license.
    sim.setSkuSeats('ENTERPRISEPREMIUM', 20);
    const second = members[1]!;
    const reprocessed = await call(sim, 'POST', `/users/${second.id}/reprocessLicenseAssignment`);
    expect(reprocessed.status).toBe(200);
    expect(reprocessed.body.licenseAssignmentStates.find((s: { skuId: string }) => s.skuId === E5)).toMatchObject({
      state: 'Active',
      error: 'None',
      assignedByGroup: DEMO_GROUPS.businessStandard,
    });
  });

  it('processes group changes by itself after the (scaled) processing delay', async () => {
    const quick = await startTestSimulator({ throttling: false, settings: { groupProcessingDelayMs: 0 } });
    try {
      await call(quick, 'POST', `/groups/${DEMO_GROUPS.businessStandard}/assignLicense`, assignBody([{ skuId: E3 }]));
      // Wait for the simulator's own timer: poll the group's processing state, as a client would.
      let state = '';
      for (let i = 0; i < 100 && state !== 'ProcessingComplete'; i++) {
        state = (await call(quick, 'GET', `/groups/${DEMO_GROUPS.businessStandard}`)).body.licenseProcessingState.state;
      }
      expect(state).toBe('ProcessingComplete');
      expect(quick.tenant.findSku(E3)!.holders.size).toBe(3 + 4);
    } finally {
      await quick.stop();
    }
  });

  it('follows the documented group migration between conflicting SKUs (E1 → E3)', async () => {
    const E1 = SKU_CATALOG.STANDARDPACK.skuId;
    const demo = demoScenario();
    demo.rules = { mutuallyExclusive: [['EXCHANGE_S_STANDARD', 'EXCHANGE_S_ENTERPRISE']] };
    demo.users.push({ userPrincipalName: 'mover@contoso.com' });
    demo.groups!.push(
      {
        id: 'e1e1e1e1-0000-4000-8000-000000000001',
        displayName: 'Lic - E1',
        members: ['mover@contoso.com'],
        licenses: [{ sku: 'STANDARDPACK' }],
      },
      {
        id: 'e3e3e3e3-0000-4000-8000-000000000003',
        displayName: 'Lic - E3',
        members: [],
        licenses: [{ sku: 'ENTERPRISEPACK' }],
      },
    );
    sim.loadScenario(demo);
    const mover = sim.tenant.findUser('mover@contoso.com')!;
    // Add the user to the target group (as a directory sync would) and let the group be processed.
    const target = sim.tenant.groups.get('e3e3e3e3-0000-4000-8000-000000000003')!;
    target.members.push(mover);
    mover.memberOf.add(target);
    sim.tenant.processGroup(target);
    const states = () => mover.licenseStates.map((s) => [s.skuId, s.state, s.error]);
    expect(states()).toEqual([
      [E1, 'Active', 'None'],
      [E3, 'Error', 'MutuallyExclusiveViolation'],
    ]);
    expect(mover.assignedLicenses.map((l) => l.skuId)).toEqual([E1]);
    // Removing the source license from its group clears the conflict: the target becomes active on the same pass.
    expect(
      (await call(sim, 'POST', '/groups/e1e1e1e1-0000-4000-8000-000000000001/assignLicense', assignBody([], [E1])))
        .status,
    ).toBe(202);
    sim.processPendingGroups();
    expect(states()).toEqual([[E3, 'Active', 'None']]);
    expect(findUnlicensedGaps(sim.events())).toEqual([]);
    sim.loadScenario('demo');
  });

  it('removes a group license from members when the group drops it', async () => {
    const res = await call(sim, 'POST', `/groups/${DEMO_GROUPS.businessStandard}/assignLicense`, assignBody([], [BS]));
    expect(res.status).toBe(202);
    sim.processPendingGroups();
    const members = sim.tenant.groups
      .get(DEMO_GROUPS.businessStandard)!
      .members.filter((m) => 'userPrincipalName' in m);
    const held = members.map((m) => ('assignedLicenses' in m ? m.assignedLicenses.some((l) => l.skuId === BS) : false));
    // Three were licensed only by the group; the fourth also holds it directly.
    expect(held).toEqual([false, false, false, true]);
    expect(sim.events().filter((e) => e.kind === 'license' && e.cause === 'groupProcessing')).toHaveLength(3);
  });

  it('keeps Business Basic users untouched by a Business Standard swap (other licenses stay)', async () => {
    const user = userWith(
      (u) => u.assignedLicenses.length === 2 && u.licenseStates.every((s) => s.assignedByGroup === null),
    );
    const res = await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]));
    expect(res.status).toBe(200);
    expect(res.body.assignedLicenses.map((l: { skuId: string }) => l.skuId).sort()).toEqual([BASIC, SPB].sort());
  });
});
