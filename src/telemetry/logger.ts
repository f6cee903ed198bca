import type { InvocationContext } from '@azure/functions';

export type LogProperties = Record<string, unknown>;

export interface StructuredLogger {
  info(message: string, properties?: LogProperties): void;
  warn(message: string, properties?: LogProperties): void;
  error(message: string, properties?: LogProperties): void;
}

/**
 * Structured logs for one invocation: each line is one JSON object carrying the invocation id, the function name and
 * whatever the caller fixes (a migration id, say), so `parse_json(message).migrationId` finds every line of a run in
 * the portal.
 */
export function invocationLogger(context: InvocationContext, fixed: LogProperties = {}): StructuredLogger {
  const line = (level: 'info' | 'warn' | 'error', message: string, properties: LogProperties = {}): string =>
    JSON.stringify({
      level,
      message,
      ...properties,
      ...fixed,
      invocationId: context.invocationId,
      functionName: context.functionName,
    });
  return {
    info: (message, properties) => context.info(line('info', message, properties)),
    warn: (message, properties) => context.warn(line('warn', message, properties)),
    error: (message, properties) => context.error(line('error', message, properties)),
  };
}
