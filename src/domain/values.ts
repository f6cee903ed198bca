/** Helpers for values whose shape is not known yet: parsed JSON, caught errors, identifiers. */
import { z } from 'zod';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message of anything thrown, for logs and reports. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A GUID in any letter case (Graph object, SKU and service plan ids). */
export const guidSchema = z.guid();

export function isGuid(value: string): boolean {
  return guidSchema.safeParse(value).success;
}
