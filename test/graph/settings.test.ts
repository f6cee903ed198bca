import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLicensingGraph, GraphConfigurationError, graphScopeFor, loadGraphSettings } from '../../src/graph';

const ok = { GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0', GRAPH_AUTH: 'managedIdentity' };
const load = (env: Record<string, string>) => () => loadGraphSettings(env);

describe('Graph settings', () => {
  it('reads defaults from the settings list', () => {
    expect(loadGraphSettings({})).toEqual({
      baseUrl: 'https://graph.microsoft.com/v1.0',
      auth: 'managedIdentity',
      clientId: undefined,
      tenantId: undefined,
      clientSecret: undefined,
      certificatePath: undefined,
      writeBudgetPer150s: 2850,
      resourceUnitBudgetPer10s: 3300,
      maxConcurrency: 8,
    });
  });

  it('accepts an app registration with a secret for another tenant (MSP)', () => {
    const settings = loadGraphSettings({
      ...ok,
      GRAPH_AUTH: 'clientSecret',
      AZURE_CLIENT_ID: '9a3d526c-b3c1-4479-ba74-197b5c5751ae',
      AZURE_TENANT_ID: 'customer.onmicrosoft.com',
      AZURE_CLIENT_SECRET: 's3cret',
    });
    expect(settings).toMatchObject({ auth: 'clientSecret', tenantId: 'customer.onmicrosoft.com' });
  });

  it.each([
    [{ ...ok, GRAPH_AUTH: 'none' }, /GRAPH_AUTH=none only works with a loopback simulator URL/],
    [
      {
        ...ok,
        GRAPH_AUTH: 'clientSecret',
        AZURE_CLIENT_ID: '9a3d526c-b3c1-4479-ba74-197b5c5751ae',
        AZURE_TENANT_ID: 'contoso.com',
      },
      /needs AZURE_CLIENT_SECRET/,
    ],
    [
      { ...ok, GRAPH_AUTH: 'clientCertificate' },
      /needs AZURE_CLIENT_CERTIFICATE_PATH[\s\S]*needs AZURE_CLIENT_ID[\s\S]*needs AZURE_TENANT_ID/,
    ],
    [{ ...ok, GRAPH_AUTH: 'password' }, /GRAPH_AUTH "password" is not one of/],
    [{ ...ok, AZURE_CLIENT_ID: 'my-app' }, /AZURE_CLIENT_ID "my-app" is not a GUID/],
    [{ ...ok, GRAPH_BASE_URL: 'graph.microsoft.com' }, /is not a URL/],
    [{ ...ok, GRAPH_BASE_URL: 'https://graph.microsoft.com' }, /lacks the API version/],
    [{ ...ok, GRAPH_BASE_URL: 'http://graph.example.com/v1.0' }, /uses plain http/],
    [{ ...ok, GRAPH_BASE_URL: 'http://127.0.0.1:4000/v1.0' }, /only sent over https/],
    [{ ...ok, GRAPH_WRITE_BUDGET: 'lots' }, /GRAPH_WRITE_BUDGET must be a whole number/],
    [{ ...ok, GRAPH_MAX_CONCURRENCY: '0' }, /GRAPH_MAX_CONCURRENCY must be a whole number between 1 and 64/],
  ])('refuses %j at start-up with a clear message', (env, message) => {
    expect(load(env)).toThrow(GraphConfigurationError);
    expect(load(env)).toThrow(message);
  });

  it('allows no credentials only for a loopback simulator', () => {
    expect(loadGraphSettings({ GRAPH_BASE_URL: 'http://127.0.0.1:4000/v1.0', GRAPH_AUTH: 'none' }).auth).toBe('none');
    expect(loadGraphSettings({ GRAPH_BASE_URL: 'http://localhost:4000/v1.0', GRAPH_AUTH: 'none' }).auth).toBe('none');
  });

  it('derives the token scope from the base URL, so national clouds work', () => {
    expect(graphScopeFor('https://graph.microsoft.com/v1.0')).toBe('https://graph.microsoft.com/.default');
    expect(graphScopeFor('https://graph.microsoft.us/v1.0')).toBe('https://graph.microsoft.us/.default');
    expect(graphScopeFor('https://microsoftgraph.chinacloudapi.cn/v1.0')).toBe(
      'https://microsoftgraph.chinacloudapi.cn/.default',
    );
  });

  it('createLicensingGraph refuses settings built by hand that cannot work', () => {
    const base = { writeBudgetPer150s: 2850, resourceUnitBudgetPer10s: 3300, maxConcurrency: 8 };
    expect(() => createLicensingGraph({ ...base, baseUrl: 'https://graph.microsoft.com/v1.0', auth: 'none' })).toThrow(
      /GRAPH_AUTH=none only works with a loopback/,
    );
    expect(() =>
      createLicensingGraph({
        ...base,
        baseUrl: 'https://graph.microsoft.com/v1.0',
        auth: 'clientCertificate',
        clientId: '9a3d526c-b3c1-4479-ba74-197b5c5751ae',
        tenantId: 'contoso.com',
        certificatePath: '/nonexistent/cert.pem',
      }),
    ).toThrow(/AZURE_CLIENT_CERTIFICATE_PATH \/nonexistent\/cert.pem does not exist/);
  });

  it('builds every credential kind from valid settings without contacting anyone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graph-cert-'));
    const certificatePath = join(dir, 'cert.pem');
    writeFileSync(certificatePath, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    const base = {
      baseUrl: 'https://graph.microsoft.com/v1.0',
      writeBudgetPer150s: 2850,
      resourceUnitBudgetPer10s: 3300,
      maxConcurrency: 8,
    };
    const app = { clientId: '9a3d526c-b3c1-4479-ba74-197b5c5751ae', tenantId: '0785ef7c-2d7a-4542-b048-95bcab406e0b' };
    for (const graph of [
      createLicensingGraph({ ...base, auth: 'managedIdentity' }),
      createLicensingGraph({ ...base, auth: 'managedIdentity', clientId: app.clientId }),
      createLicensingGraph({ ...base, auth: 'defaultChain', ...app }),
      createLicensingGraph({ ...base, auth: 'clientSecret', ...app, clientSecret: 'x' }),
      createLicensingGraph({ ...base, auth: 'clientCertificate', ...app, certificatePath }),
    ]) {
      expect(typeof graph.assignLicenses).toBe('function');
    }
  });
});
