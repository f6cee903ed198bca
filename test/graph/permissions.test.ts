import {
  ALWAYS_OPERATIONS,
  GRAPH_FEATURES,
  GRAPH_OPERATIONS,
  REQUIRED_PERMISSION,
  featureAppRoles,
  requiredAppRoles,
  type GraphFeature,
  type GraphOperation,
} from '../../src/graph/permissions';
import { REQUIRED_PERMISSION as FROM_ERRORS } from '../../src/graph/errors';

describe('Graph permissions: one list for code, infra and docs', () => {
  it('every operation is done always or by exactly one feature', () => {
    const byFeature = Object.values(GRAPH_FEATURES).flatMap((feature) => feature.operations);
    const all = [...ALWAYS_OPERATIONS, ...byFeature];
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(Object.keys(GRAPH_OPERATIONS).sort());
  });

  it('names a reference page for every role, and the 403 map follows the list', () => {
    for (const [operation, permission] of Object.entries(GRAPH_OPERATIONS)) {
      expect(permission.doc).toMatch(/^Graph API reference: .+, Permissions$/);
      expect(permission.endpoints.length).toBeGreaterThan(0);
      expect(REQUIRED_PERMISSION[operation as GraphOperation]).toBe(permission.role);
    }
    expect(FROM_ERRORS).toBe(REQUIRED_PERMISSION);
  });

  it('grants only read roles and license assignment by default, sorted and without duplicates', () => {
    expect(requiredAppRoles()).toEqual([
      'GroupMember.Read.All',
      'LicenseAssignment.ReadWrite.All',
      'Organization.Read.All',
      'User.Read.All',
    ]);
    expect(requiredAppRoles([])).toEqual(requiredAppRoles());
  });

  it('adds User.ReadWrite.All only with usageLocation and GroupMember.ReadWrite.All only with groupMoves', () => {
    expect(requiredAppRoles(['usageLocation'])).toEqual([...requiredAppRoles(), 'User.ReadWrite.All'].sort());
    expect(requiredAppRoles(['groupMoves'])).toEqual([...requiredAppRoles(), 'GroupMember.ReadWrite.All'].sort());
    expect(requiredAppRoles(['groupMoves', 'usageLocation', 'groupMoves'])).toEqual(
      [...requiredAppRoles(), 'GroupMember.ReadWrite.All', 'User.ReadWrite.All'].sort(),
    );
    expect(featureAppRoles('usageLocation')).toEqual(['User.ReadWrite.All']);
    // Group license assignment uses a role that is granted anyway, so the feature adds only membership writes.
    expect(featureAppRoles('groupMoves')).toEqual(['GroupMember.ReadWrite.All']);
  });

  it('never asks for tenant-wide directory or group roles', () => {
    const everything = requiredAppRoles(Object.keys(GRAPH_FEATURES) as GraphFeature[]);
    for (const role of everything) expect(role).not.toMatch(/^(Directory|Group)\./);
  });
});
