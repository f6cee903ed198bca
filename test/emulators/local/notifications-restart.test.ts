import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateScenario, startGraphSimulator, type GraphSimulator } from '../../../emulators/graph';
import { isFinished } from '../../../src/domain/status';
import type { MigrationView } from '../../../src/migrations/view';
import { verifySignature } from '../../../src/notifications/sign';
import { startWebhookReceiver, type ReceivedNotification, type WebhookReceiver } from '../../support/webhook-receiver';
import { keyedApi, launchOnTenant, pollUntil, waitForMigrationView, type Launcher } from './launcher';

/**
 * Notifications across a crash: `npm start` (launcher, runtime and Azurite) is SIGKILLed mid-reassignment and started
 * again; a local webhook receiver must get each event of the run exactly once, each with a valid signature.
 */
const MIGRATION_ID = 'notify-after-sigkill';
const KEY = 'notify-restart-test-fixed-key-0123456789';
const SECRET = 'notify-restart-test-secret';

function launch(workDir: string, sim: GraphSimulator): Promise<Launcher> {
  return launchOnTenant(workDir, sim.baseUrl, KEY, {
    GRAPH_WRITE_BUDGET: '4800',
    NOTIFY_ALLOWED_HOSTS: '127.0.0.1',
    NOTIFY_SIGNING_SECRET: SECRET,
  });
}

const api = keyedApi(KEY);

const viewOf = (baseUrl: string, predicate: (view: MigrationView) => boolean, timeoutMs = 40_000) =>
  waitForMigrationView(KEY, baseUrl, MIGRATION_ID, predicate, timeoutMs);

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
    await pollUntil('awaitingApproval', () =>
      eventsOf(receiver.received).includes('awaitingApproval') ? true : undefined,
    );
    expect(
      (await api(first.baseUrl, 'POST', `/api/migrations/${MIGRATION_ID}/approve`, { reason: 'test' })).status,
    ).toBe(202);
    const waiting = await viewOf(
      first.baseUrl,
      (view) => view.status === 'waitingForLicenses' && view.waitingFor !== undefined,
    );
    await pollUntil('waitingForLicenses', () =>
      eventsOf(receiver.received).includes('waitingForLicenses') ? true : undefined,
    );

    // The seats land; mid-reassignment everything npm start started is killed, then started again.
    sim.setSkuSeats('SPB', 400);
    expect((await api(first.baseUrl, 'POST', `/api/migrations/${MIGRATION_ID}/recheck`)).status).toBe(202);
    await viewOf(first.baseUrl, (view) => view.status === 'reassigning' || isFinished(view.status));
    await pollUntil('license changes', () =>
      sim.events().filter((e) => e.kind === 'license').length >= 20 ? true : undefined,
    );
    await first.kill();
    const second = await launch(workDir, sim);
    launchers.push(second);
    const done = await viewOf(second.baseUrl, (view) => isFinished(view.status));
    expect(done.status).toBe('completed');
    await pollUntil('completed', () => (eventsOf(receiver.received).includes('completed') ? true : undefined));
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
