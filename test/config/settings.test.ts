import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_SETTINGS, readSetting } from '../../src/config/settings';

describe('app settings', () => {
  it('lists every setting once', () => {
    const names = APP_SETTINGS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('local.settings.sample.json lists every non-secret setting with its safe local value and no secret', () => {
    const sample = JSON.parse(readFileSync(join(__dirname, '../../local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    for (const setting of APP_SETTINGS) {
      if (setting.secret) expect(sample.Values).not.toHaveProperty(setting.name);
      else expect(sample.Values[setting.name]).toBe(setting.localValue);
    }
  });

  it('the README documents every setting', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    for (const setting of APP_SETTINGS) expect(readme).toContain(`| \`${setting.name}\` |`);
  });

  it('falls back to the default when a setting is empty and refuses unknown names', () => {
    expect(readSetting({ GRAPH_BASE_URL: '' }, 'GRAPH_BASE_URL')).toBe('https://graph.microsoft.com/v1.0');
    expect(readSetting({ GRAPH_BASE_URL: 'http://127.0.0.1:1/v1.0' }, 'GRAPH_BASE_URL')).toBe(
      'http://127.0.0.1:1/v1.0',
    );
    expect(() => readSetting({}, 'NOT_A_SETTING')).toThrow(/Unknown app setting NOT_A_SETTING/);
  });
});
