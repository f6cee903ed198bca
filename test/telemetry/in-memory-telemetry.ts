import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  CUSTOM_EVENT_NAME_ATTRIBUTE,
  createOpenTelemetryTelemetry,
  type Telemetry,
} from '../../src/telemetry/telemetry';

export interface RecordedEvent {
  name: string;
  properties: Record<string, unknown>;
}

export interface RecordedMetric {
  name: string;
  sum: number;
  count: number;
  attributes: Record<string, unknown>;
}

/**
 * The real OpenTelemetry-backed telemetry over SDK providers with in-memory exporters: what would be sent to
 * Application Insights is kept in memory instead. Pass `memory.telemetry` to the app (`createApp`'s telemetry).
 */
export interface InMemoryTelemetry {
  telemetry: Telemetry;
  loggerProvider: LoggerProvider;
  meterProvider: MeterProvider;
  logExporter: InMemoryLogRecordExporter;
  /** Custom events emitted so far (log records marked as custom events). */
  events(name?: string): RecordedEvent[];
  /** Flushes metrics and returns the cumulative points recorded per metric name and attribute set. */
  metrics(name?: string): Promise<RecordedMetric[]>;
  /** Flushes metrics and returns the latest export as the SDK hands it to an exporter. */
  exportedMetrics(): Promise<ResourceMetrics | undefined>;
  shutdown(): Promise<void>;
}

export function inMemoryTelemetry(): InMemoryTelemetry {
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: points are exported only when a test flushes, never on a wall-clock timer.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const flush = async (): Promise<void> => {
    await loggerProvider.forceFlush();
    await meterProvider.forceFlush();
  };
  const telemetry = createOpenTelemetryTelemetry(
    loggerProvider.getLogger('license-shift'),
    meterProvider.getMeter('license-shift'),
    flush,
  );
  return {
    telemetry,
    loggerProvider,
    meterProvider,
    logExporter,
    events(name) {
      return logExporter
        .getFinishedLogRecords()
        .filter((record) => record.attributes[CUSTOM_EVENT_NAME_ATTRIBUTE] !== undefined)
        .map((record) => {
          const { [CUSTOM_EVENT_NAME_ATTRIBUTE]: eventName, ...properties } = record.attributes;
          return { name: eventName as string, properties };
        })
        .filter((event) => name === undefined || event.name === name);
    },
    async exportedMetrics() {
      await meterProvider.forceFlush();
      return metricExporter.getMetrics().at(-1);
    },
    async metrics(name) {
      const latest = await this.exportedMetrics();
      const points: RecordedMetric[] = [];
      for (const scope of latest?.scopeMetrics ?? []) {
        for (const metric of scope.metrics) {
          if (name !== undefined && metric.descriptor.name !== name) continue;
          for (const point of (metric as HistogramMetricData).dataPoints) {
            points.push({
              name: metric.descriptor.name,
              sum: point.value.sum ?? 0,
              count: point.value.count,
              attributes: { ...point.attributes },
            });
          }
        }
      }
      return points;
    },
    async shutdown() {
      await loggerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
