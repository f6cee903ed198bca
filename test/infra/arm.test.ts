import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_SETTINGS } from '../../src/config/settings';
import {
  GRAPH_RESOURCE_APP_ID,
  graphPermissionsManifest,
  requiredAppRoles,
  type GraphFeature,
} from '../../src/graph/permissions';
import { findBicep, requireTool } from '../support/tools';

/**
 * Checks the ARM JSON that the real Bicep compiler makes from infra/main.bicep (what `azd provision` would deploy) and
 * from infra/app/graph-permissions.bicep. Both are compiled the way infra/scripts/bicep-check.sh compiles them: in the
 * offline copy of infra/ that its `--workspace` mode prepares (Graph extension from the vendored types). Without a
 * Bicep compiler (or dotnet to restore one) these suites are skipped, or fail under REQUIRE_ALL_TESTS=1.
 */
const root = join(__dirname, '../..');
const infra = join(root, 'infra');
let workspace: string;
let bicep: string;
const describeWithBicep = requireTool(findBicep());

interface ArmResource {
  type: string;
  name: string;
  kind?: string;
  sku?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}
interface ArmTemplate {
  resources: ArmResource[] | Record<string, ArmResource>;
  variables?: Record<string, unknown>;
}
interface NestedDeployment {
  /** The module's template, with the resources it declares (its own nested modules excluded). */
  template: ArmTemplate;
  resources: ArmResource[];
}

function resourcesOf(template: ArmTemplate): ArmResource[] {
  return Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
}

/** Every template in the deployment tree: main.bicep and each module it calls, however deep. */
function allTemplates(template: ArmTemplate): NestedDeployment[] {
  const own = resourcesOf(template);
  const nested = own
    .filter((resource) => resource.type === 'Microsoft.Resources/deployments')
    .flatMap((deployment) => allTemplates((deployment.properties as { template: ArmTemplate }).template));
  return [{ template, resources: own }, ...nested];
}

let compiled: ArmTemplate;
let compiledText: string;
let templates: NestedDeployment[];
let resources: ArmResource[];

/** The module that declares a resource of this type (modules are small: one concern each). */
function moduleDeclaring(type: string): NestedDeployment {
  const found = templates.filter((nested) => nested.resources.some((resource) => resource.type === type));
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** Bicep puts `loadTextContent` results in template variables; this follows such a reference to the text. */
function resolveVariable(template: ArmTemplate, value: unknown): unknown {
  const reference = typeof value === 'string' ? /^\[variables\('([^']+)'\)\]$/.exec(value) : null;
  return reference ? template.variables?.[reference[1]!] : value;
}

function resourcesOfType(type: string): ArmResource[] {
  return resources.filter((resource) => resource.type === type);
}
function onlyResource(type: string): ArmResource {
  const found = resourcesOfType(type);
  expect(found).toHaveLength(1);
  return found[0]!;
}
function appSettings(): Record<string, unknown> {
  const config = resourcesOfType('Microsoft.Web/sites/config').filter((resource) =>
    resource.name.includes('appsettings'),
  );
  expect(config).toHaveLength(1);
  return config[0]!.properties!;
}

describeWithBicep('the compiled deployment (infra/*.bicep)', () => {
  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'ls-bicep-'));
    const prepared = spawnSync('bash', [join(infra, 'scripts/bicep-check.sh'), '--workspace', workspace], {
      encoding: 'utf8',
    });
    const compiler = prepared.stdout.trim().split('\n').pop() ?? '';
    if (prepared.status !== 0 || !compiler.endsWith('/bicep')) {
      throw new Error(
        `infra/scripts/bicep-check.sh --workspace could not prepare the Bicep compiler (it restores it from NuGet ` +
          `with dotnet):\n${prepared.stdout}${prepared.stderr}`,
      );
    }
    bicep = compiler;
    compiledText = execFileSync(bicep, ['build', join(workspace, 'infra/main.bicep'), '--stdout'], {
      encoding: 'utf8',
    });
    compiled = JSON.parse(compiledText) as ArmTemplate;
    templates = allTemplates(compiled);
    resources = templates.flatMap((nested) => nested.resources);
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  describe('app settings of the function app', () => {
    it('sets every setting the code expects in Azure (scope "azure" in APP_SETTINGS)', () => {
      const settings = appSettings();
      const azureSettings = APP_SETTINGS.filter((setting) => setting.scope === 'azure').map((setting) => setting.name);
      expect(azureSettings.length).toBeGreaterThan(0);
      expect(azureSettings.filter((name) => !(name in settings))).toEqual([]);
    });

    it('never sets a local-only setting or a key-based storage connection string', () => {
      const settings = appSettings();
      const localOnly = APP_SETTINGS.filter((setting) => setting.scope === 'local' || setting.secret);
      expect(localOnly.map((setting) => setting.name).filter((name) => name in settings)).toEqual([]);
      expect(settings).not.toHaveProperty('AzureWebJobsStorage');
      expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
      expect(settings.GRAPH_AUTH).toBe('managedIdentity');
    });

    it('holds no keys, secrets or key-bearing connection strings', () => {
      for (const [name, value] of Object.entries(appSettings())) {
        expect(name).not.toMatch(/KEY|SECRET|PASSWORD|TOKEN/i);
        expect(typeof value).toBe('string');
        expect(value).not.toMatch(
          /listKeys|listSecrets|listConnectionStrings|AccountKey|SharedAccessSignature|sig=|secret|password/i,
        );
      }
      // The durable backend is reached with the managed identity, not a key.
      expect(appSettings().DURABLE_TASK_SCHEDULER_CONNECTION_STRING).toContain('Authentication=ManagedIdentity');
      // Nothing anywhere in the deployment reads a key or secret.
      expect(compiledText).not.toMatch(/listKeys|listSecrets|listConnectionStrings|securestring/i);
    });

    it('authenticates host telemetry with Entra ID through the managed identity', () => {
      expect(appSettings().APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toMatch(/Authorization=AAD/);
    });
  });

  describe('security settings', () => {
    it('storage accepts Entra ID only: shared keys and anonymous blob access are off, TLS 1.2, HTTPS only', () => {
      const storage = onlyResource('Microsoft.Storage/storageAccounts').properties!;
      expect(storage).toMatchObject({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
        supportsHttpsTrafficOnly: true,
      });
    });

    it('Application Insights and Log Analytics have local (key) authentication disabled', () => {
      expect(onlyResource('Microsoft.Insights/components').properties).toMatchObject({ DisableLocalAuth: true });
      expect(onlyResource('Microsoft.OperationalInsights/workspaces').properties).toMatchObject({
        features: { disableLocalAuth: true },
      });
    });

    it('the function app is HTTPS only with TLS 1.2, FTPS disabled and no basic-auth publishing', () => {
      const site = onlyResource('Microsoft.Web/sites');
      expect(site.properties).toMatchObject({
        httpsOnly: true,
        siteConfig: { minTlsVersion: '1.2', scmMinTlsVersion: '1.2', ftpsState: 'Disabled' },
      });
      const publishing = resourcesOfType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
      expect(publishing.map((policy) => policy.properties)).toEqual([{ allow: false }, { allow: false }]);
      expect(publishing.map((policy) => policy.name).join()).toMatch(/'ftp'.*'scm'/);
    });

    it('runs on Flex Consumption with Node 22 and deploys from blob storage with the managed identity', () => {
      const site = onlyResource('Microsoft.Web/sites');
      expect(site.kind).toBe('functionapp,linux');
      expect(site.properties).toMatchObject({
        functionAppConfig: {
          runtime: { name: 'node', version: '22' },
          deployment: { storage: { type: 'blobContainer', authentication: { type: 'UserAssignedIdentity' } } },
        },
      });
      expect(onlyResource('Microsoft.Web/serverfarms').sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    });

    it('gives the identity its data roles: blob, queue, table, telemetry publishing and the task scheduler', () => {
      const roleIds = {
        storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
        storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
        storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
        monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
        durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402',
      };
      const withRoleAssignments = templates.filter((nested) =>
        nested.resources.some((resource) => resource.type === 'Microsoft.Authorization/roleAssignments'),
      );
      const declared = JSON.stringify(withRoleAssignments.map((nested) => nested.template.variables));
      for (const id of Object.values(roleIds)) expect(declared).toContain(id);
    });
  });

  describe('Microsoft Graph permissions', () => {
    const permissionsFile = join(infra, 'graph-permissions.json');

    it('are exactly the least-privilege application roles the code lists', () => {
      const permissions = JSON.parse(readFileSync(permissionsFile, 'utf8')) as {
        resourceAppId: string;
        appRoles: string[];
      };
      expect(permissions.resourceAppId).toBe(GRAPH_RESOURCE_APP_ID);
      expect(permissions.appRoles).toEqual(requiredAppRoles());
    });

    it('come from that one file in both the Bicep module and the admin script', () => {
      const module = readFileSync(join(infra, 'app/graph-permissions.bicep'), 'utf8');
      const script = readFileSync(join(infra, 'scripts/grant-graph-permissions.sh'), 'utf8');
      expect(module).toContain("loadJsonContent('../graph-permissions.json')");
      expect(script).toContain('graph-permissions.json');
      for (const text of [module, script]) expect(text).not.toMatch(/\b[A-Z][A-Za-z]+\.(Read|ReadWrite)\.All\b/);
    });

    it('are not granted by main.bicep, which a non-admin must be able to deploy', () => {
      expect(compiledText).not.toContain('Microsoft.Graph/');
    });

    it('are deployed with the registry extension; only the offline check swaps in the vendored types', () => {
      const committed = JSON.parse(readFileSync(join(infra, 'bicepconfig.json'), 'utf8')) as {
        extensions: Record<string, string>;
      };
      expect(committed.extensions.microsoftGraphV1).toBe(
        'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0',
      );
      const offline = JSON.parse(readFileSync(join(workspace, 'infra/bicepconfig.json'), 'utf8')) as {
        extensions: Record<string, string>;
      };
      // Same analyzer rules as the committed file; only the extension's source differs.
      expect({ ...offline, extensions: committed.extensions }).toEqual(committed);
    });

    const identity = '11111111-2222-3333-4444-555555555555';
    const IDENTITY_PARAM = `param identityPrincipalId = '${identity}'`;
    interface Snapshot {
      predictedResources: { type: string; properties: { principalId: string; appRoleId: string } }[];
      outputs: { grantedRoles: string[] };
    }

    /** What graph-permissions.bicep would deploy with these features on, evaluated by `bicep snapshot`. */
    function snapshot(features: GraphFeature[]): Snapshot {
      const name = `features-${features.join('-') || 'none'}`;
      const params = join(workspace, 'infra/app', `${name}.bicepparam`);
      writeFileSync(
        params,
        [
          "using 'graph-permissions.bicep'",
          IDENTITY_PARAM,
          `param enableUsageLocation = ${features.includes('usageLocation')}`,
          `param enableGroupMoves = ${features.includes('groupMoves')}`,
          '',
        ].join('\n'),
      );
      execFileSync(bicep, ['snapshot', params, '--mode', 'overwrite'], { encoding: 'utf8' });
      return JSON.parse(readFileSync(join(workspace, 'infra/app', `${name}.snapshot.json`), 'utf8')) as Snapshot;
    }

    it.each<[string, GraphFeature[]]>([
      ['default parameters', []],
      ['enableUsageLocation', ['usageLocation']],
      ['enableGroupMoves', ['groupMoves']],
      ['both features', ['usageLocation', 'groupMoves']],
    ])('graph-permissions.bicep with %s assigns exactly the roles of the code list', (_label, features) => {
      const expected = requiredAppRoles(features);
      const { predictedResources, outputs } = snapshot(features);
      const assignments = predictedResources.filter((r) => r.type === 'Microsoft.Graph/appRoleAssignedTo@v1.0');
      expect([...outputs.grantedRoles].sort()).toEqual(expected);
      // One assignment to the identity per granted role, each looking up a different entry of that role list.
      expect(assignments).toHaveLength(expected.length);
      const indexes = assignments.map((assignment) => {
        expect(assignment.properties.principalId).toBe(identity);
        return Number(/variables\('roles'\)\[(\d+)\]/.exec(assignment.properties.appRoleId)?.[1]);
      });
      expect(indexes.sort((a, b) => a - b)).toEqual(expected.map((_role, index) => index));
    });

    it('graph-permissions.bicep reads the generated file itself (not a copy of the roles)', () => {
      const template = JSON.parse(
        execFileSync(bicep, ['build', join(workspace, 'infra/app/graph-permissions.bicep'), '--stdout'], {
          encoding: 'utf8',
        }),
      ) as ArmTemplate;
      expect(Object.values(template.variables ?? {})).toContainEqual(graphPermissionsManifest());
    });
  });

  describe('customer tenants: the multi-tenant app registration (infra/app/multitenant-app.bicep)', () => {
    const identity = '11111111-2222-3333-4444-555555555555';
    const home = '99999999-8888-7777-6666-555555555555';
    interface AppSnapshot {
      predictedResources: { type: string; properties: Record<string, unknown> }[];
      outputs: { requestedRoles: string[] };
    }

    function snapshot(features: GraphFeature[]): AppSnapshot {
      const name = `multitenant-${features.join('-') || 'none'}`;
      const params = join(workspace, 'infra/app', `${name}.bicepparam`);
      writeFileSync(
        params,
        [
          "using 'multitenant-app.bicep'",
          `param identityPrincipalId = '${identity}'`,
          "param uniqueName = 'license-shift-test'",
          `param enableUsageLocation = ${features.includes('usageLocation')}`,
          `param enableGroupMoves = ${features.includes('groupMoves')}`,
          '',
        ].join('\n'),
      );
      execFileSync(bicep, ['snapshot', params, '--mode', 'overwrite', '--tenant-id', home], { encoding: 'utf8' });
      return JSON.parse(readFileSync(join(workspace, 'infra/app', `${name}.snapshot.json`), 'utf8')) as AppSnapshot;
    }
    const ofType = (snap: AppSnapshot, type: string) => snap.predictedResources.filter((r) => r.type === type);

    it('registers one app for other organizations, asking customers for exactly the roles of the code list', () => {
      for (const features of [
        [],
        ['usageLocation'],
        ['groupMoves'],
        ['usageLocation', 'groupMoves'],
      ] as GraphFeature[][]) {
        const snap = snapshot(features);
        const apps = ofType(snap, 'Microsoft.Graph/applications@v1.0');
        expect(apps).toHaveLength(1);
        const app = apps[0]!.properties as {
          signInAudience: string;
          requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: string }[] }[];
        };
        expect(app.signInAudience).toBe('AzureADMultipleOrgs');
        const expected = requiredAppRoles(features);
        expect([...snap.outputs.requestedRoles].sort()).toEqual(expected);
        expect(app.requiredResourceAccess).toHaveLength(1);
        expect(app.requiredResourceAccess[0]!.resourceAppId).toBe(GRAPH_RESOURCE_APP_ID);
        const access = app.requiredResourceAccess[0]!.resourceAccess;
        expect(access.every((entry) => entry.type === 'Role')).toBe(true);
        // Each entry looks up a different role of that one list in Graph's own app roles.
        const indexes = access.map((entry) => Number(/variables\('roles'\)\[(\d+)\]/.exec(entry.id)?.[1]));
        expect(indexes.sort((a, b) => a - b)).toEqual(expected.map((_role, index) => index));
      }
    });

    it('has one credential: a federated credential bound to the managed identity, issued by the home tenant', () => {
      const snap = snapshot([]);
      const credentials = ofType(snap, 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0');
      expect(credentials).toHaveLength(1);
      const credential = credentials[0]!.properties;
      expect(credential.subject).toBe(identity);
      expect(credential.audiences).toEqual(['api://AzureADTokenExchange']);
      // The login endpoint comes from the cloud (https://login.microsoftonline.com/ in Azure public).
      expect(credential.issuer).toBe(`[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, '${home}')]`);
      expect(String(credential.name)).toMatch(/^license-shift-test\//);
      const module = readFileSync(join(infra, 'app/multitenant-app.bicep'), 'utf8');
      expect(module).toContain("loadJsonContent('../graph-permissions.json')");
    });

    it('binds the credential to the identity main.bicep makes, and gives the function app the app id', () => {
      const outputs = (compiled as unknown as { outputs: Record<string, { value: string }> }).outputs;
      expect(outputs.AZURE_IDENTITY_PRINCIPAL_ID?.value).toMatch(/principalId/);
      const settings = appSettings();
      expect(settings.GRAPH_MULTITENANT_APP_ID).toMatch(/multiTenantAppId/);
      expect(settings.HOME_TENANT_ID).toBe('[tenant().tenantId]');
      expect(settings.GRAPH_AUTH).toBe('managedIdentity');
    });

    it('no template anywhere holds a secret: no password or key credentials, client secrets or secure strings', () => {
      const files = [
        join(workspace, 'infra/main.bicep'),
        ...readdirSync(join(workspace, 'infra/app'))
          .filter((file) => file.endsWith('.bicep'))
          .map((file) => join(workspace, 'infra/app', file)),
      ];
      expect(files.some((file) => file.endsWith('multitenant-app.bicep'))).toBe(true);
      for (const file of files) {
        const text = execFileSync(bicep, ['build', file, '--stdout'], { encoding: 'utf8' });
        expect({
          file,
          secrets: text.match(
            /passwordCredentials|keyCredentials|clientSecret|client_secret|securestring|secureObject|listKeys|listSecrets/gi,
          ),
        }).toEqual({ file, secrets: null });
      }
    });
  });

  describe('portal monitoring', () => {
    it('deploys every saved query in infra/app/monitoring/queries', () => {
      const queryFiles = readdirSync(join(infra, 'app/monitoring/queries')).filter((file) => file.endsWith('.kql'));
      expect(queryFiles.length).toBeGreaterThanOrEqual(4);
      const { template } = moduleDeclaring('Microsoft.OperationalInsights/workspaces/savedSearches');
      const deployed = (template.variables?.queries as { query: string }[]).map((q) =>
        resolveVariable(template, q.query),
      );
      for (const file of queryFiles) {
        expect(deployed).toContain(readFileSync(join(infra, 'app/monitoring/queries', file), 'utf8'));
      }
    });

    it('deploys the workbook from its JSON file, attached to Application Insights', () => {
      const workbookFile = readFileSync(join(infra, 'app/monitoring/license-shift.workbook.json'), 'utf8');
      const workbook = onlyResource('Microsoft.Insights/workbooks');
      expect(workbook.kind).toBe('shared');
      const { template } = moduleDeclaring('Microsoft.Insights/workbooks');
      expect(resolveVariable(template, workbook.properties?.serializedData)).toBe(workbookFile);
      expect(workbook.properties?.sourceId).toMatch(/Microsoft\.Insights\/components/);
      const items = (JSON.parse(workbookFile) as { items: { content: { query?: string } }[] }).items;
      const queries = items.map((item) => item.content.query ?? '').join('\n');
      for (const name of [
        'Migration.Finished',
        'Migration.StageChanged',
        'Migration.UserFailed',
        'licenseShift.throttled',
      ]) {
        expect(queries).toContain(name);
      }
      // Every query can be narrowed to one customer tenant (the Tenant parameter; empty: all).
      for (const item of items.filter((candidate) => candidate.content.query)) {
        expect(item.content.query).toContain("tostring(customDimensions.tenantId) == '{Tenant}'");
      }
    });
  });
});
