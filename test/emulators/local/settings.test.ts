import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  chooseGraph,
  chooseLocalAuth,
  chooseStorage,
  launcherOptions,
  mergeSettings,
  readLocalSettingsFile,
  withAppDefaults,
} from '../../../emulators/local/settings';
import { APP_SETTINGS } from '../../../src/config/settings';

describe('npm start settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-settings-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('local.settings.json', () => {
    it('is optional', () => {
      expect(readLocalSettingsFile(dir)).toEqual({});
    });

    it('gives its Values as strings', () => {
      fs.writeFileSync(
        path.join(dir, 'local.settings.json'),
        JSON.stringify({ IsEncrypted: false, Values: { GRAPH_AUTH: 'none', GRAPH_WRITE_BUDGET: 1000, FLAG: true } }),
      );
      expect(readLocalSettingsFile(dir)).toEqual({ GRAPH_AUTH: 'none', GRAPH_WRITE_BUDGET: '1000', FLAG: 'true' });
    });

    it('names the file when it is not JSON', () => {
      fs.writeFileSync(path.join(dir, 'local.settings.json'), '{ "Values": { ');
      expect(() => readLocalSettingsFile(dir)).toThrow(/local\.settings\.json is not valid JSON/);
    });

    it('loses to the environment', () => {
      const merged = mergeSettings({ GRAPH_AUTH: 'none', TASKHUB_NAME: 'fromfile' }, { GRAPH_AUTH: 'clientSecret' });
      expect(merged).toEqual({ GRAPH_AUTH: 'clientSecret', TASKHUB_NAME: 'fromfile' });
    });
  });

  describe('storage', () => {
    it('starts Azurite when nothing or the development storage is configured', () => {
      expect(chooseStorage({})).toEqual({ kind: 'azurite' });
      expect(chooseStorage({ AzureWebJobsStorage: '' })).toEqual({ kind: 'azurite' });
      expect(chooseStorage({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toEqual({ kind: 'azurite' });
    });

    it('uses a real account given by connection string or by identity-based connection', () => {
      expect(
        chooseStorage({ AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey=abc' }),
      ).toEqual({ kind: 'external', description: 'AzureWebJobsStorage (account prodstore)' });
      expect(chooseStorage({ AzureWebJobsStorage__blobServiceUri: 'https://prodstore.blob.core.windows.net' })).toEqual(
        {
          kind: 'external',
          description: 'https://prodstore.blob.core.windows.net (identity-based connection)',
        },
      );
    });
  });

  describe('Graph', () => {
    it('embeds the demo tenant when GRAPH_BASE_URL is not set', () => {
      expect(chooseGraph({})).toEqual({ kind: 'embedded', notes: [] });
      expect(chooseGraph({ GRAPH_BASE_URL: ' ', GRAPH_AUTH: 'none' })).toEqual({ kind: 'embedded', notes: [] });
    });

    it('says that credentials without GRAPH_BASE_URL do not reach a real tenant', () => {
      const choice = chooseGraph({ GRAPH_AUTH: 'clientSecret' });
      expect(choice.kind).toBe('embedded');
      expect(choice.kind === 'embedded' && choice.notes[0]).toMatch(
        /GRAPH_AUTH=clientSecret is ignored.*GRAPH_BASE_URL=https:\/\/graph\.microsoft\.com\/v1\.0/,
      );
    });

    it('uses the Graph GRAPH_BASE_URL names, knowing whether it is a local simulator', () => {
      expect(chooseGraph({ GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0' })).toEqual({
        kind: 'external',
        baseUrl: 'https://graph.microsoft.com/v1.0',
        loopback: false,
      });
      expect(chooseGraph({ GRAPH_BASE_URL: 'http://127.0.0.1:4000/v1.0' })).toEqual({
        kind: 'external',
        baseUrl: 'http://127.0.0.1:4000/v1.0',
        loopback: true,
      });
    });
  });

  describe('app settings handed to the runtime', () => {
    it('include the default of every setting that has one, so %MIGRATION_SCHEDULE% resolves unset', () => {
      const handed = withAppDefaults({});
      const withDefault = APP_SETTINGS.filter((setting) => setting.defaultValue !== undefined);
      expect(withDefault.map((setting) => setting.name)).toContain('MIGRATION_SCHEDULE');
      for (const setting of withDefault) expect(handed[setting.name]).toBe(setting.defaultValue);
      expect(Object.keys(handed).sort()).toEqual(withDefault.map((setting) => setting.name).sort());
    });

    it('keep what was set, and treat an empty value as unset (as the app does)', () => {
      const handed = withAppDefaults({ MIGRATION_SCHEDULE: '0 0 * * * *', TASKHUB_NAME: ' ', EXTRA: 'x' });
      expect(handed).toMatchObject({ MIGRATION_SCHEDULE: '0 0 * * * *', TASKHUB_NAME: 'licenseshift', EXTRA: 'x' });
    });
  });

  describe('function key', () => {
    it('is new and random at each start unless LICENSE_SHIFT_LOCAL_KEY fixes it', () => {
      const first = chooseLocalAuth({}, { noAuth: false });
      const second = chooseLocalAuth({}, { noAuth: false });
      expect(first).toMatchObject({ kind: 'key', source: 'generated' });
      expect(first.kind === 'key' && first.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first).not.toEqual(second);
      const fixed = 'my-script-key-0123456789';
      expect(chooseLocalAuth({ LICENSE_SHIFT_LOCAL_KEY: ` ${fixed} ` }, { noAuth: false })).toEqual({
        kind: 'key',
        key: fixed,
        source: 'LICENSE_SHIFT_LOCAL_KEY',
      });
    });

    it('refuses a short key or one that would need encoding in ?code=', () => {
      expect(() => chooseLocalAuth({ LICENSE_SHIFT_LOCAL_KEY: 'secret' }, { noAuth: false })).toThrow(
        /LICENSE_SHIFT_LOCAL_KEY must be at least 16 characters/,
      );
      expect(() => chooseLocalAuth({ LICENSE_SHIFT_LOCAL_KEY: 'a key with spaces in it' }, { noAuth: false })).toThrow(
        /LICENSE_SHIFT_LOCAL_KEY/,
      );
    });

    it('is off only with --no-auth, which also ignores a fixed key', () => {
      expect(chooseLocalAuth({}, { noAuth: true })).toEqual({ kind: 'none', ignoredKey: false });
      expect(chooseLocalAuth({ LICENSE_SHIFT_LOCAL_KEY: 'my-script-key-0123456789' }, { noAuth: true })).toEqual({
        kind: 'none',
        ignoredKey: true,
      });
    });
  });

  describe('port and data folder', () => {
    it('take --port, then PORT, then 7071; --data, then LICENSE_SHIFT_DATA_DIR, then .data', () => {
      expect(launcherOptions({}, {}, dir)).toEqual({ port: 7071, dataDir: path.join(dir, '.data') });
      expect(launcherOptions({}, { PORT: '8080', LICENSE_SHIFT_DATA_DIR: 'state' }, dir)).toEqual({
        port: 8080,
        dataDir: path.join(dir, 'state'),
      });
      expect(launcherOptions({ port: '0', data: '/var/ls' }, { PORT: '8080' }, dir)).toEqual({
        port: 0,
        dataDir: '/var/ls',
      });
    });

    it('refuse a port that is not a number in range', () => {
      expect(() => launcherOptions({ port: 'http' }, {}, dir)).toThrow(/Invalid port "http"/);
      expect(() => launcherOptions({}, { PORT: '70000' }, dir)).toThrow(/Invalid port "70000"/);
    });
  });
});
