import type { LogProperties, StructuredLogger, Telemetry, TelemetryEventName } from '../../src/telemetry';
import type { TelemetryEventProperties } from '../../src/telemetry/names';

export interface RecordedTelemetryEvent {
  name: TelemetryEventName;
  properties: Record<string, unknown>;
}

export interface RecordedTelemetryMetric {
  name: string;
  value: number;
  properties?: Record<string, string>;
}

/** Telemetry that keeps every event and metric in memory, in order. */
export class RecordingTelemetry implements Telemetry {
  readonly events: RecordedTelemetryEvent[] = [];
  readonly metrics: RecordedTelemetryMetric[] = [];

  event<N extends TelemetryEventName>(name: N, properties: TelemetryEventProperties[N]): void {
    this.events.push({ name, properties: { ...properties } });
  }

  metric(name: string, value: number, properties?: Record<string, string>): void {
    this.metrics.push(properties ? { name, value, properties } : { name, value });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** The properties of every event with this name, in order. */
  named(name: TelemetryEventName): Record<string, unknown>[] {
    return this.events.filter((event) => event.name === name).map((event) => event.properties);
  }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  properties?: LogProperties;
}

/** A structured logger that keeps its lines. */
export function recordingLogger(): StructuredLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, properties?: LogProperties): void => {
      lines.push(properties ? { level, message, properties } : { level, message });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
