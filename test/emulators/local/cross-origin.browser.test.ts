import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page, Response } from 'playwright-core';
import { launchChromium } from '../../support/browser';
import { findChromium, requireTool } from '../../support/tools';
import { cleanEnvironment, startLauncher, type Launcher } from './launcher';

const describeWithChromium = requireTool(findChromium());

/** What a hostile page would send: a valid migration request, here everyone on Business Standard to Premium. */
const REQUEST = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }], usageLocation: 'US' };

/**
 * A form cannot send JSON, but text/plain encoding writes `name=value`: a field name holding the JSON up to a place
 * where "=" is harmless (inside a user principal name) and a value holding the rest make a valid migration request.
 */
const FORM_FIELD = {
  name: '{"moves":[{"from":"O365_BUSINESS_PREMIUM","to":"SPB","users":{"upns":["adele.vance@contoso.com","x',
  value: '@contoso.com"]}}],"usageLocation":"US"}',
};
const FORM_BODY = `${FORM_FIELD.name}=${FORM_FIELD.value}\r\n`;

/**
 * The hostile pages. The fetch pages report in `window.outcome` what their request did: `'sent'` when the browser let
 * it go, else the error it failed with.
 */
function attackPages(api: string): Record<string, string> {
  const json = JSON.stringify(REQUEST);
  const attribute = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&#39;');
  const script = (body: string) =>
    `<!doctype html><script>window.outcome = 'pending';
    (async () => { try { ${body}; window.outcome = 'sent'; } catch (error) { window.outcome = String(error); } })();
    </script>`;
  return {
    '/form.html':
      `<!doctype html><form method="POST" enctype="text/plain" action="${api}">` +
      `<input type="hidden" name='${attribute(FORM_FIELD.name)}' value='${attribute(FORM_FIELD.value)}'></form>` +
      `<script>document.forms[0].submit()</script>`,
    '/no-cors.html': script(
      `await fetch(${JSON.stringify(api)}, { method: 'POST', mode: 'no-cors', ` +
        `headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(json)} })`,
    ),
    '/preflighted.html': script(
      `await fetch(${JSON.stringify(api)}, { method: 'POST', ` +
        `headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(json)} })`,
    ),
  };
}

/** A no-cors POST to the durable management API (terminate, raise an event) or the admin API, as a hostile page. */
function durableAttack(url: string): string {
  return `<!doctype html><script>window.outcome = 'pending';
    fetch(${JSON.stringify(url)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
      body: '{"approved":true}' }).then(() => { window.outcome = 'sent'; }, (e) => { window.outcome = String(e); });
    </script>`;
}

/**
 * "Locally, nothing acts without the admin's intent": under the `npm start` launcher (a random function key), a web
 * page from another origin that the admin happens to open, posting to the API by form, by no-cors fetch, or by a
 * fetch that needs a preflight, changes nothing: the requests are refused, no migration exists and the tenant saw no
 * Graph call at all.
 */
describeWithChromium('npm start: requests from pages of other origins', (chromiumPath) => {
  let workDir: string;
  let launcher: Launcher;
  let pages: Server;
  let pagesOrigin: string;
  let browser: Browser;
  let page: Page;
  const responses: Response[] = [];

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-cross-origin-'));
    launcher = await startLauncher({ cwd: workDir, env: cleanEnvironment({}) });
    const html = attackPages(`${launcher.baseUrl}/api/migrations`);
    pages = createServer((request, response) => {
      const target = /^\/durable\.html\?(.*)$/.exec(request.url ?? '');
      const body = target ? durableAttack(decodeURIComponent(target[1]!)) : html[request.url ?? ''];
      response.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      response.end(body ?? '');
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage();
    page.on('response', (response) => responses.push(response));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (pages ? pages.close(() => resolve()) : resolve()));
    await launcher?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  const toApi = () => responses.filter((response) => response.url().startsWith(`${launcher.baseUrl}/api/migrations`));
  const outcome = async () => {
    await page.waitForFunction(() => (globalThis as unknown as { outcome: string }).outcome !== 'pending');
    return page.evaluate(() => (globalThis as unknown as { outcome: string }).outcome);
  };

  it('refuses an HTML form POST (text/plain) without the key: 401', async () => {
    const refused = page.waitForResponse((response) => response.url() === `${launcher.baseUrl}/api/migrations`);
    await page.goto(`${pagesOrigin}/form.html`);
    const response = await refused;
    expect(response.request().method()).toBe('POST');
    // The browser really sent a JSON migration request.
    expect(response.request().postData()).toBe(FORM_BODY);
    expect(JSON.parse(FORM_BODY)).toMatchObject({
      moves: [{ users: { upns: ['adele.vance@contoso.com', 'x=@contoso.com'] } }],
    });
    expect(response.status()).toBe(401);
  });

  it('refuses a no-cors fetch with a text/plain body without the key: 401', async () => {
    const before = toApi().length;
    await page.goto(`${pagesOrigin}/no-cors.html`);
    // The browser sends it (no preflight for a "simple" request); the page only gets an opaque answer.
    expect(await outcome()).toBe('sent');
    const seen = toApi().slice(before);
    expect(seen.map((response) => [response.request().method(), response.status()])).toEqual([['POST', 401]]);
  });

  it('never sends a JSON fetch: its preflight gets no CORS permission', async () => {
    const before = toApi().length;
    await page.goto(`${pagesOrigin}/preflighted.html`);
    expect(await outcome()).toMatch(/TypeError: Failed to fetch/);
    expect(toApi().slice(before)).toEqual([]);
  });

  it('changed nothing: no API function ran, no migration exists, and the tenant saw no Graph request', async () => {
    // The schedule timer may fire meanwhile (every 5 minutes, real clock) and finds no schedule; nothing else may run.
    const ran = launcher.output
      .slice(launcher.startupLines)
      .filter((line) => /^Executed 'Functions\./.test(line) && !line.startsWith("Executed 'Functions.scheduleTimer'"));
    expect(ran).toEqual([]);

    const list = await fetch(`${launcher.baseUrl}/api/migrations`, { headers: { 'x-functions-key': launcher.key! } });
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ migrations: [] });

    const counters = (await (await fetch(`${launcher.controlUrl!}/counters`)).json()) as Record<string, unknown>;
    expect(counters).toMatchObject({ requests: 0, writes: 0, licenseChanges: 0 });
    expect(await (await fetch(`${launcher.controlUrl!}/events`)).json()).toEqual([]);
  });

  it('refuses the durable management and admin APIs without the key too: a waiting run is neither approved nor ended', async () => {
    const key = { 'x-functions-key': launcher.key!, 'content-type': 'application/json' };
    const start = await fetch(`${launcher.baseUrl}/api/migrations`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify({ ...REQUEST, requireApproval: true }),
    });
    const { id } = (await start.json()) as { id: string };
    const view = async () =>
      ((await (await fetch(`${launcher.baseUrl}/api/migrations/${id}`, { headers: key })).json()) as { status: string })
        .status;
    for (let i = 0; i < 200 && (await view()) !== 'awaitingApproval'; i += 1)
      await new Promise((r) => setTimeout(r, 50));
    expect(await view()).toBe('awaitingApproval');
    const durable = `${launcher.baseUrl}/runtime/webhooks/durabletask/instances/${id}`;
    for (const target of [
      `${durable}/raiseEvent/approval`,
      `${durable}/terminate?reason=x`,
      `${launcher.baseUrl}/admin/functions/scheduleTimer`,
    ]) {
      const refused = page.waitForResponse((response) => response.url() === target);
      await page.goto(`${pagesOrigin}/durable.html?${encodeURIComponent(target)}`);
      expect((await refused).status()).toBe(401);
    }
    expect(await view()).toBe('awaitingApproval');
  });
});
