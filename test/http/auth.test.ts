import { HttpRequest } from '@azure/functions';
import { readAppSettings } from '../../src/config/settings';
import { apiAuth } from '../../src/http/auth';
import { principalOf } from '../../src/http/principal';

const request = (headers: Record<string, string> = {}) =>
  new HttpRequest({ url: 'http://localhost:7071/api/migrations', method: 'GET', headers });
const ok = () => Promise.resolve({ status: 200 });

describe('API authentication (API_AUTH)', () => {
  it('needs a function key by default: routes are registered with authLevel function and nothing else is checked', async () => {
    const auth = apiAuth(readAppSettings({}));
    expect(auth).toMatchObject({ mode: 'functionKey', authLevel: 'function' });
    expect((await auth.guard(ok)(request())).status).toBe(200);
  });

  it('with appService, takes no key but refuses a call without a signed-in user (401, problem+json)', async () => {
    const auth = apiAuth(readAppSettings({ API_AUTH: 'appService', WEBSITE_AUTH_ENABLED: 'True' }));
    expect(auth).toMatchObject({ mode: 'appService', authLevel: 'anonymous' });
    const refused = await auth.guard(ok)(request());
    expect(refused.status).toBe(401);
    expect(refused.headers).toMatchObject({ 'Content-Type': 'application/problem+json' });
    const signedIn = request({
      'x-ms-client-principal-id': 'b1f0c2d3-0000-4000-8000-000000000001',
      'x-ms-client-principal-name': 'alice@contoso.com',
    });
    expect((await auth.guard(ok)(signedIn)).status).toBe(200);
    expect(principalOf(signedIn, true)?.name).toBe('alice@contoso.com');
    // Without App Service authentication anyone could send the header: it is not taken as who acts.
    expect(principalOf(signedIn, false)).toBeUndefined();
  });

  it('refuses to start with appService where App Service authentication is off, and names unknown modes', () => {
    expect(() => readAppSettings({ API_AUTH: 'appService' })).toThrow(/WEBSITE_AUTH_ENABLED/);
    expect(() => readAppSettings({ API_AUTH: 'easyauth' })).toThrow(
      /API_AUTH is "easyauth"; expected one of functionKey, appService/,
    );
  });
});
