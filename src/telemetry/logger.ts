import type { InvocationContext } from '@azure/functions';

export type LogProperties = Record<string, string | number | boolean | null | undefined>;

export interface MigrationLogger {
  info(message: string, properties?: LogProperties): void;
  warn(message: string, properties?: LogProperties): void;
  error(message: string, properties?: LogProperties): void;
}

/**
 * Structured logs for one migration: each line is one JSON object carrying `migrationId` (and the invocation id), so
 * `traces | where message has '<id>'` or `parse_json(message).migrationId` finds every line of a run in the portal.
 */
export function migrationLogger(context: InvocationContext, migrationId: string): MigrationLogger {
  const line = (level: 'info' | 'warn' | 'error', message: string, properties: LogProperties = {}): string =>
    JSON.stringify({
      level,
      message,
      ...properties,
      migrationId,
      invocationId: context.invocationId,
      functionName: context.functionName,
    });
  return {
    info: (message, properties) => context.info(line('info', message, properties)),
    warn: (message, properties) => context.warn(line('warn', message, properties)),
    error: (message, properties) => context.error(line('error', message, properties)),
  };
}
