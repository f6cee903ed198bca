import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateScenario, startGraphSimulator, type GraphSimulator } from '../../../emulators/graph';
import type { MigrationView } from '../../../src/migrations/view';
import { verifySignature } from '../../../src/notifications/sign';
import { deadlineAfter } from '../../support/clock';
import { startWebhookReceiver, type ReceivedNotification, type WebhookReceiver } from '../../support/webhook-receiver';
import { cleanEnvironment, startLauncher, type Launcher } from './launcher';

/**
 * Notifications across a crash: `npm start` (launcher, runtime and Azurite) is SIGKILLed mid-reassignment and started
 * again; a local webhook receiver must get each event of the run exactly once, each with a valid signature.
 */
const MIGRATION_ID = 'notify-after-sigkill';
const KEY = 'notify-restart-test-fixed-key-0123456789';
const SECRET = 'notify-restart-test-secret';
const FINISHED = new Set(['completed', 'completedWithErrors', 'needsAttention', 'cancelled', 'rejected', 'failed']);

function launch(workDir: string, sim: GraphSimulator): Promise<Launcher> {
  return startLauncher({
    cwd: workDir,
    args: ['--quiet'],
    env: cleanEnvironment({
      LICENSE_SHIFT_DATA_DIR: path.join(workDir, 'data'),
      GRAPH_BASE_URL: sim.baseUrl,
      GRAPH_AUTH: 'none',
      LICENSE_SHIFT_LOCAL_KEY: KEY,
      GRAPH_WRITE_BUDGET: '4800',
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      NOTIFY_ALLOWED_HOSTS: '127.0.0.1',
      NOTIFY_SIGNING_SECRET: SECRET,
    }),
  });
}

async function api<T>(
  baseUrl: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { 'x-functions-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 40_000,
): Promise<T> {
  const expired = deadlineAfter(timeoutMs);
  while (!expired()) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const viewOf = async (baseUrl: string, predicate: (view: MigrationView) => boolean): Promise<MigrationView> =>
  until('the migration status', async () => {
    const response = await api<MigrationView>(baseUrl, 'GET', `/api/migrations/${MIGRATION_ID}`);
    return response.status === 200 && predicate(response.json) ? response.json : undefined;
  });

const eventsOf = (received: ReceivedNotification[]): string[] => received.map((r) => r.json.event as string);

describe('notifications across a SIGKILL and restart of npm start', () => {
  let workDir: string;
  let sim: GraphSimulator;
  let receiver: WebhookReceiver;
  const launchers: Launcher[] = [];

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-notify-'));
    sim = await startGraphSimulator({
      profile: 'deterministic',
      scenario: generateScenario({ users: 160, seed: 5 }),
      latency: 'realistic',
      seed: 9,
    });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    for (const launcher of launchers) await launcher.kill();
    await receiver.stop();
    await sim.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('a local receiver gets awaitingApproval, waitingForLicenses and completed once each, each signed', async () => {
    sim.setSkuSeats('SPB', 10);
    const first = await launch(workDir, sim);
    launchers.push(first);
    const start = await api<{ id: string }>(first.baseUrl, 'POST', '/api/migrations', {
      id: MIGRATION_ID,
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
      requireApproval: true,
      notify: [{ url: receiver.url, format: 'json' }],
    });
    expect(start.status).toBe(202);
    await viewOf(first.baseUrl, (view) => view.status === 'awaitingApproval');
    await until('awaitingApproval', () =>
      eventsOf(receiver.received).includes('awaitingApproval') ? true : undefined,
    );
    expect(
      (await api(first.baseUrl, 'POST', `/api/migrations/${MIGRATION_ID}/approve`, { reason: 'test' })).status,
    ).toBe(202);
    const waiting = await viewOf(
      first.baseUrl,
      (view) => view.status === 'waitingForLicenses' && view.waitingFor !== undefined,
    );
    await until('waitingForLicenses', () =>
      eventsOf(receiver.received).includes('waitingForLicenses') ? true : undefined,
    );

    // The seats land; mid-reassignment everything npm start started is killed, then started again.
    sim.setSkuSeats('SPB', 400);
    expect((await api(first.baseUrl, 'POST', `/api/migrations/${MIGRATION_ID}/recheck`)).status).toBe(202);
    await viewOf(first.baseUrl, (view) => view.status === 'reassigning' || FINISHED.has(view.status));
    await until('license changes', () =>
      sim.events().filter((e) => e.kind === 'license').length >= 20 ? true : undefined,
    );
    await first.kill();
    const second = await launch(workDir, sim);
    launchers.push(second);
    const done = await viewOf(second.baseUrl, (view) => FINISHED.has(view.status));
    expect(done.status).toBe('completed');
    await until('completed', () => (eventsOf(receiver.received).includes('completed') ? true : undefined));
    // Anything still to arrive would come now.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    expect(eventsOf(receiver.received)).toEqual(['awaitingApproval', 'waitingForLicenses', 'completed']);
    for (const delivery of receiver.received) {
      const timestamp = delivery.headers['x-license-shift-timestamp'] as string;
      const signed = verifySignature({
        secret: SECRET,
        timestamp,
        body: delivery.body,
        header: delivery.headers['x-license-shift-signature'] as string,
        nowMs: Number(timestamp) * 1000,
      });
      expect(signed).toBe(true);
      expect(delivery.json.migration.id).toBe(MIGRATION_ID);
      expect(delivery.json.deliveryId).toBe(delivery.headers['x-license-shift-delivery']);
    }
    const [approval, wait] = receiver.received;
    expect(approval!.json.plan).toEqual(expect.objectContaining({ toChange: done.counts.toChange }));
    expect(approval!.json.links.approve).toMatch(new RegExp(`/api/migrations/${MIGRATION_ID}/approve$`));
    expect(wait!.json.migration.reason).toBe(waiting.waitingFor!.reason);
    expect(wait!.json.migration.reason).toMatch(/buy \d+ more Microsoft 365 Business Premium licenses/);
    const report = await api<{ notifications: { event: string; state: string }[] }>(
      second.baseUrl,
      'GET',
      `/api/migrations/${MIGRATION_ID}/report`,
    );
    expect(report.json.notifications.map((n) => [n.event, n.state])).toEqual([
      ['awaitingApproval', 'delivered'],
      ['waitingForLicenses', 'delivered'],
      ['completed', 'delivered'],
    ]);
  }, 150_000);
});
