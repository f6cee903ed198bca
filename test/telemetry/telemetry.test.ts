import { dirname, join } from 'node:path';
import { ManagedIdentityCredential } from '@azure/identity';
import { InvocationContext } from '@azure/functions';
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import {
  TelemetryEvents,
  TelemetryMetrics,
  invocationLogger,
  setupTelemetry,
  userIdentity,
  type BatchCompletedProperties,
  type Telemetry,
  type UserFailedProperties,
} from '../../src/telemetry';
import { readAppSettings } from '../../src/config/settings';
import { ingestionCredential } from '../../src/telemetry/telemetry';
import { inMemoryTelemetry, type InMemoryTelemetry } from './in-memory-telemetry';

// Stand-in for the Azure Monitor distro: records its options and installs in-memory providers globally, as the real
// useAzureMonitor installs providers whose exporters post to Application Insights.
const distro = { options: [] as unknown[], flushes: 0, memory: undefined as InMemoryTelemetry | undefined };
jest.mock('applicationinsights', () => ({
  useAzureMonitor: (options: unknown) => {
    distro.options.push(options);
    distro.memory = inMemoryTelemetry();
    logs.setGlobalLoggerProvider(distro.memory.loggerProvider);
    metrics.setGlobalMeterProvider(distro.memory.meterProvider);
  },
  flushAzureMonitor: async () => {
    distro.flushes += 1;
    await distro.memory?.loggerProvider.forceFlush();
  },
}));

const CONNECTION_STRING =
  'InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/';

afterEach(async () => {
  logs.disable();
  metrics.disable();
  await distro.memory?.shutdown();
  distro.options = [];
  distro.flushes = 0;
  distro.memory = undefined;
});

describe('setupTelemetry', () => {
  it('is a no-op with one clear log line when no connection string is set', () => {
    const lines: string[] = [];
    const telemetry = setupTelemetry({}, (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/telemetry is off: APPLICATIONINSIGHTS_CONNECTION_STRING is not set/);
    expect(distro.options).toHaveLength(0);
    const started = {
      migrationId: 'm1',
      origin: 'http',
      dryRun: false,
      mode: 'swap',
      strategy: 'atomic',
      moves: 1,
    } as const;
    expect(() => telemetry.event(TelemetryEvents.MigrationStarted, started)).not.toThrow();
  });

  it('starts the Azure Monitor distro with the managed identity for Entra-only ingestion', async () => {
    const env = { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING, AZURE_CLIENT_ID: 'client-1' };
    const lines: string[] = [];
    const telemetry = setupTelemetry(env, (line) => lines.push(line));

    expect(distro.options).toHaveLength(1);
    const options = distro.options[0] as {
      azureMonitorExporterOptions: { connectionString: string; credential?: unknown };
      samplingRatio: number;
    };
    expect(options.azureMonitorExporterOptions.connectionString).toBe(CONNECTION_STRING);
    expect(options.azureMonitorExporterOptions.credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(options.samplingRatio).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/telemetry is on: .*Entra/)]);

    telemetry.event(TelemetryEvents.BatchCompleted, {
      migrationId: 'mig-1',
      batch: 3,
      moved: 18,
      failed: 1,
      skipped: 1,
      throttled: 4,
      durationMs: 2100,
    } satisfies BatchCompletedProperties);
    await telemetry.flush();

    expect(distro.flushes).toBe(1);
    expect(distro.memory?.events()).toEqual([
      {
        name: 'Migration.BatchCompleted',
        properties: {
          migrationId: 'mig-1',
          batch: 3,
          moved: 18,
          failed: 1,
          skipped: 1,
          throttled: 4,
          durationMs: 2100,
        },
      },
    ]);
  });
});

describe('ingestionCredential', () => {
  it('uses the identity named by the authentication string the host also reads', () => {
    const credential = ingestionCredential({
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc;Authorization=AAD',
      GRAPH_AUTH: 'clientSecret',
    });
    expect(credential).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('uses no token when AZURE_CLIENT_ID belongs to an app registration rather than a managed identity', () => {
    expect(ingestionCredential({ AZURE_CLIENT_ID: 'app-1', GRAPH_AUTH: 'clientSecret' })).toBeUndefined();
    expect(ingestionCredential({})).toBeUndefined();
  });
});

describe('OpenTelemetry-backed telemetry', () => {
  let memory: InMemoryTelemetry;
  let telemetry: Telemetry;
  beforeEach(() => {
    memory = inMemoryTelemetry();
    telemetry = memory.telemetry;
  });
  afterEach(() => memory.shutdown());

  it('sends each event once with its documented properties and leaves out undefined ones', () => {
    telemetry.event(TelemetryEvents.UserFailed, {
      migrationId: 'mig-2',
      ...userIdentity(false, { id: 'u-1', userPrincipalName: 'adele@contoso.com' }),
      errorClass: 'userFixable',
      graphCode: 'Request_BadRequest',
      requestId: 'req-9',
      durationMs: undefined,
    } satisfies UserFailedProperties);

    expect(memory.events()).toEqual([
      {
        name: 'Migration.UserFailed',
        properties: {
          migrationId: 'mig-2',
          userId: 'u-1',
          errorClass: 'userFixable',
          graphCode: 'Request_BadRequest',
          requestId: 'req-9',
        },
      },
    ]);
  });

  it('adds up metric values per name and dimension', async () => {
    telemetry.metric(TelemetryMetrics.UsersMoved, 20, { migrationId: 'mig-3' });
    telemetry.metric(TelemetryMetrics.UsersMoved, 15, { migrationId: 'mig-3' });
    telemetry.metric(TelemetryMetrics.Throttled, 2, { migrationId: 'mig-3' });

    expect(await memory.metrics(TelemetryMetrics.UsersMoved)).toEqual([
      { name: 'licenseShift.usersMoved', sum: 35, count: 2, attributes: { migrationId: 'mig-3' } },
    ]);
    expect(await memory.metrics(TelemetryMetrics.Throttled)).toEqual([
      { name: 'licenseShift.throttled', sum: 2, count: 1, attributes: { migrationId: 'mig-3' } },
    ]);
  });

  it("becomes a customEvents row and a customMetrics row in the Azure Monitor exporter's wire format", async () => {
    telemetry.event(TelemetryEvents.MigrationFinished, {
      migrationId: 'mig-4',
      outcome: 'completed',
      total: 5,
      moved: 5,
      skipped: 0,
      failed: 0,
      blocked: 0,
    });
    telemetry.metric(TelemetryMetrics.UsersMoved, 5, { migrationId: 'mig-4' });
    await memory.telemetry.flush();

    // The exporter's own conversion (not part of its public exports, hence the file path), so the test shows what
    // Application Insights stores without sending anything over the network.
    const exporterDir = dirname(require.resolve('@azure/monitor-opentelemetry-exporter'));
    /* eslint-disable @typescript-eslint/no-require-imports -- internal modules of the exporter, see above */
    const { logToEnvelope } = require(join(exporterDir, 'utils', 'logUtils.js')) as {
      logToEnvelope: (log: unknown, ikey: string) => { data: { baseType: string; baseData: Record<string, unknown> } };
    };
    const { resourceMetricsToEnvelope } = require(join(exporterDir, 'utils', 'metricUtils.js')) as {
      resourceMetricsToEnvelope: (
        metrics: unknown,
        ikey: string,
      ) => { data: { baseType: string; baseData: { metrics: { name: string; value: number }[] } } }[];
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const [record] = memory.logExporter.getFinishedLogRecords();
    const envelope = logToEnvelope(record, 'ikey');
    expect(envelope.data.baseType).toBe('EventData');
    expect(envelope.data.baseData).toMatchObject({
      name: 'Migration.Finished',
      properties: { migrationId: 'mig-4', outcome: 'completed', total: '5', moved: '5' },
    });

    const resourceMetrics = await memory.exportedMetrics();
    const metricEnvelopes = resourceMetricsToEnvelope(resourceMetrics, 'ikey');
    expect(metricEnvelopes.map((e) => e.data.baseData.metrics[0])).toContainEqual(
      expect.objectContaining({ name: 'licenseShift.usersMoved', value: 5 }),
    );
  });
});

describe('invocationLogger', () => {
  it('writes one JSON line per message carrying the invocation and what the caller fixed (the migration id)', () => {
    const lines: { level: string; text: string }[] = [];
    const context = new InvocationContext({
      invocationId: 'inv-1',
      functionName: 'reassignBatch',
      logHandler: (level, ...args) => lines.push({ level, text: String(args[0]) }),
    });
    const log = invocationLogger(context, { migrationId: 'mig-5' });
    log.info('batch done', { batch: 2, moved: 20 });
    log.error('user failed', { userId: 'u-7' });

    expect(lines.map((line) => line.level)).toEqual(['information', 'error']);
    expect(lines.map((line) => JSON.parse(line.text) as unknown)).toEqual([
      {
        level: 'info',
        message: 'batch done',
        batch: 2,
        moved: 20,
        migrationId: 'mig-5',
        invocationId: 'inv-1',
        functionName: 'reassignBatch',
      },
      {
        level: 'error',
        message: 'user failed',
        userId: 'u-7',
        migrationId: 'mig-5',
        invocationId: 'inv-1',
        functionName: 'reassignBatch',
      },
    ]);
  });
});

describe('userIdentity', () => {
  const user = { id: 'u-1', userPrincipalName: 'adele@contoso.com' };
  it('names users by object id only, unless TELEMETRY_INCLUDE_UPN=true', () => {
    expect(userIdentity(readAppSettings({}).includeUpnInTelemetry, user)).toEqual({ userId: 'u-1' });
    expect(userIdentity(readAppSettings({ TELEMETRY_INCLUDE_UPN: 'false' }).includeUpnInTelemetry, user)).toEqual({
      userId: 'u-1',
    });
    expect(userIdentity(readAppSettings({ TELEMETRY_INCLUDE_UPN: 'true' }).includeUpnInTelemetry, user)).toEqual({
      userId: 'u-1',
      userPrincipalName: 'adele@contoso.com',
    });
  });
});
