import { parseNotifyList } from '../../src/domain/notify';
import { verifySignature } from '../../src/notifications/sign';
import type { NotifyInput } from '../../src/domain/workflow';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { FIXED, world, type World } from './support/world';

const SECRET = 'test-signing-secret-not-a-real-one';
const ENV = { NOTIFY_ALLOWED_HOSTS: '127.0.0.1', NOTIFY_SIGNING_SECRET: SECRET };

const completed = (w: World): NotifyInput => ({
  migrationId: w.migrationId,
  event: 'completed',
  key: 'completed',
  status: 'completed',
  counts: { total: 3, toChange: 3, done: 3, moved: 3, skipped: 0, failed: 0, blocked: 0 },
  message: '3 moved, 0 failed, 0 skipped, 0 blocked.',
});

describe('notifyRun (fake store, a receiver on 127.0.0.1)', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(() => receiver.stop());

  /** A run whose stored request names these targets, validated as the API validates them (defaults applied). */
  async function runWith(targets: unknown[], env: Record<string, string> = ENV): Promise<World> {
    const w = world({}, env);
    const parsed = parseNotifyList(targets);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    await w.request({}, { notify: parsed.value, baseUrl: 'http://127.0.0.1:7071' });
    return w;
  }

  it('sends a signed JSON payload once; a re-run of the activity (a retry, a replay, a restart) sends nothing again', async () => {
    const w = await runWith([{ url: receiver.url, events: ['completed'], format: 'json' }]);
    const first = await w.activities.notifyRun(completed(w), w.log);
    const again = await w.activities.notifyRun(completed(w), w.log);
    expect(first).toEqual({ delivered: 1, failed: 0, alreadyHandled: 0 });
    expect(again).toEqual({ delivered: 0, failed: 0, alreadyHandled: 1 });
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    const headers = delivery!.headers;
    expect(
      verifySignature({
        secret: SECRET,
        timestamp: headers['x-license-shift-timestamp'] as string,
        body: delivery!.body,
        header: headers['x-license-shift-signature'] as string,
        nowMs: FIXED,
      }),
    ).toBe(true);
    expect(
      verifySignature({
        secret: 'wrong',
        timestamp: headers['x-license-shift-timestamp'] as string,
        body: delivery!.body,
        header: headers['x-license-shift-signature'] as string,
        nowMs: FIXED,
      }),
    ).toBe(false);
    expect(delivery!.json).toEqual(
      expect.objectContaining({
        specVersion: '1',
        event: 'completed',
        deliveryId: headers['x-license-shift-delivery'],
        migration: expect.objectContaining({ id: w.migrationId, status: 'completed', message: expect.any(String) }),
        links: expect.objectContaining({ status: `http://127.0.0.1:7071/api/migrations/${w.migrationId}` }),
      }),
    );
    const [record] = await w.docs.notifications();
    expect(record).toEqual(
      expect.objectContaining({ state: 'delivered', attempts: 1, target: receiver.url, lastResult: 'HTTP 200' }),
    );
  });

  it('retries a receiver that answers 503 with back-off, with the same delivery id, and records the attempts', async () => {
    receiver.script([503, 500]);
    const w = await runWith([{ url: receiver.url, events: ['completed'], format: 'json' }]);
    expect(await w.activities.notifyRun(completed(w), w.log)).toEqual({ delivered: 1, failed: 0, alreadyHandled: 0 });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['x-license-shift-delivery'])).size).toBe(1);
    expect(w.clock.sleeps).toEqual([1_000, 4_000]);
    const [record] = await w.docs.notifications();
    expect(record).toEqual(expect.objectContaining({ state: 'delivered', attempts: 3 }));
  });

  it('gives up after five attempts, and does not retry a 4xx answer', async () => {
    receiver.script([500, 500, 500, 500, 500, 500]);
    const w = await runWith([{ url: receiver.url, format: 'json' }]);
    expect(await w.activities.notifyRun(completed(w), w.log)).toEqual({ delivered: 0, failed: 1, alreadyHandled: 0 });
    expect(receiver.received).toHaveLength(5);
    receiver.script([404]);
    const other = await runWith([{ url: receiver.url, format: 'json' }]);
    expect(await other.activities.notifyRun(completed(other), other.log)).toEqual({
      delivered: 0,
      failed: 1,
      alreadyHandled: 0,
    });
    expect(receiver.received).toHaveLength(6);
  });

  it('does not resend after the app stopped mid-attempt (the receiver may have it), and records why', async () => {
    const w = await runWith([{ url: receiver.url, format: 'json' }]);
    await w.docs.claimNotification({
      key: 'completed.0',
      event: 'completed',
      target: receiver.url,
      format: 'json',
      deliveryId: 'x',
      state: 'sending',
      attempts: 1,
      createdAt: new Date(FIXED).toISOString(),
      updatedAt: new Date(FIXED).toISOString(),
    });
    expect(await w.activities.notifyRun(completed(w), w.log)).toEqual({ delivered: 0, failed: 0, alreadyHandled: 1 });
    expect(receiver.received).toHaveLength(0);
    expect((await w.docs.notification('completed.0'))?.lastResult).toMatch(/stopped while sending: not sent again/);
  });

  it('sends only the events a target asked for, refuses hosts no longer allowed, and json without a secret', async () => {
    const w = await runWith([
      { url: receiver.url, events: ['failed'], format: 'json' },
      { url: 'https://hooks.example.com/x?sig=secret', events: ['completed'], format: 'teams' },
    ]);
    expect(await w.activities.notifyRun(completed(w), w.log)).toEqual({ delivered: 0, failed: 1, alreadyHandled: 0 });
    const records = await w.docs.notifications();
    expect(records).toEqual([
      expect.objectContaining({
        state: 'refused',
        target: 'https://hooks.example.com/x',
        lastResult: expect.stringMatching(/NOTIFY_ALLOWED_HOSTS/),
      }),
    ]);
    const unsigned = await runWith([{ url: receiver.url, format: 'json' }], { NOTIFY_ALLOWED_HOSTS: '127.0.0.1' });
    expect(await unsigned.activities.notifyRun(completed(unsigned), unsigned.log)).toEqual({
      delivered: 0,
      failed: 1,
      alreadyHandled: 0,
    });
    expect(receiver.received).toHaveLength(0);
  });

  it('sends a Teams message with the plan summary for awaitingApproval', async () => {
    const w = await runWith([{ url: receiver.url, format: 'teams' }]);
    const input: NotifyInput = {
      ...completed(w),
      event: 'awaitingApproval',
      key: 'awaitingApproval',
      status: 'awaitingApproval',
    };
    expect(await w.activities.notifyRun(input, w.log)).toEqual({ delivered: 1, failed: 0, alreadyHandled: 0 });
    const [message] = receiver.received;
    expect(message!.json.type).toBe('message');
    expect(message!.json.attachments[0].content.type).toBe('AdaptiveCard');
    expect(message!.headers['x-license-shift-signature']).toBeUndefined();
  });
});
