import {
  disallowedTargets,
  finishedEvent,
  hostAllowed,
  notificationKey,
  notifyUrlProblem,
  parseNotifyList,
  redactUrl,
} from '../../src/domain/notify';
import { parseMigrationRequest } from '../../src/domain/request';

describe('notification targets', () => {
  it('only https, plus plain http to loopback; no credentials in the URL', () => {
    expect(notifyUrlProblem('https://prod-01.westeurope.logic.azure.com/workflows/x?sig=y')).toBeUndefined();
    expect(notifyUrlProblem('http://127.0.0.1:9000/hook')).toBeUndefined();
    expect(notifyUrlProblem('http://localhost/hook')).toBeUndefined();
    expect(notifyUrlProblem('http://[::1]/hook')).toBeUndefined();
    expect(notifyUrlProblem('http://hooks.example.com/x')).toMatch(/must use https/);
    expect(notifyUrlProblem('ftp://example.com/x')).toMatch(/must use https/);
    expect(notifyUrlProblem('https://user:pw@example.com/x')).toMatch(/user name or password/);
    expect(notifyUrlProblem('not a url')).toMatch(/absolute URL/);
  });

  it('allow-lists hosts exactly or by *.suffix; an empty list allows nothing', () => {
    expect(hostAllowed('https://prod-01.westeurope.logic.azure.com/x', ['*.logic.azure.com'])).toBe(true);
    expect(hostAllowed('https://logic.azure.com.evil.example/x', ['*.logic.azure.com'])).toBe(false);
    expect(hostAllowed('https://hooks.example.com/x', ['HOOKS.example.com'])).toBe(true);
    expect(hostAllowed('https://hooks.example.com/x', [])).toBe(false);
    expect(
      disallowedTargets([{ url: 'https://a.example/x', events: ['completed'], format: 'json' }], ['b.example']),
    ).toEqual([
      {
        field: 'notify[0].url',
        message: expect.stringMatching(/NOTIFY_ALLOWED_HOSTS app setting \(now: b\.example\)/),
      },
    ]);
  });

  it('never shows a query string (Teams Workflows URLs carry their key in sig=)', () => {
    expect(
      redactUrl('https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=SECRET'),
    ).not.toContain('SECRET');
  });

  it('validates the request field with defaults and names each problem', () => {
    const parsed = parseNotifyList([{ url: 'https://a.example/x' }]);
    expect(parsed).toEqual({
      ok: true,
      value: [
        {
          url: 'https://a.example/x',
          events: expect.arrayContaining(['completed', 'awaitingApproval']),
          format: 'json',
        },
      ],
    });
    const request = parseMigrationRequest({
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      notify: [{ url: 'http://a.example/x', events: ['done'], format: 'slack', extra: 1 }],
    });
    expect(request.ok ? [] : request.problems.map((p) => p.field).sort()).toEqual([
      'notify[0].events[0]',
      'notify[0].extra',
      'notify[0].format',
      'notify[0].url',
    ]);
  });

  it('keys: one per event, one per change of reason while waiting; rejected runs are not announced', () => {
    expect(notificationKey('completed')).toBe('completed');
    expect(notificationKey('waitingForLicenses', 2)).toBe('waitingForLicenses-2');
    expect(finishedEvent('completedWithErrors')).toBe('completedWithErrors');
    expect(finishedEvent('rejected')).toBeUndefined();
  });
});
