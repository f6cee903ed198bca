/**
 * Building OData filters from untrusted values. Every value goes through one of these functions, so no input
 * (an apostrophe in a UPN, `&`, `#`, `+`, `%`, non-ASCII letters) can change a filter's meaning or the query string.
 */
import { isGuid } from '../domain/values';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The content of an OData string literal: single quotes are doubled, nothing else needs escaping. */
export function escapeODataString(value: string): string {
  return value.replace(/'/g, "''");
}

/** A complete OData string literal, quotes included. */
export function odataStringLiteral(value: string): string {
  return `'${escapeODataString(value)}'`;
}

/** Strings that cannot travel in a URL (lone UTF-16 surrogates make `encodeURIComponent` throw). */
export function isEncodable(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** A GUID checked and lower-cased, or an error naming the argument: GUIDs are placed unquoted in filters and paths. */
export function requireGuid(value: string, what: string): string {
  if (!isGuid(value)) throw new TypeError(`${what} must be a GUID, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

/** `$filter=<expression>` with the expression percent-encoded for the query string. */
export function filterParam(expression: string): string {
  return `$filter=${encodeURIComponent(expression)}`;
}

/** `property in ('a','b')` for string values. */
export function inStrings(property: string, values: readonly string[]): string {
  return `${property} in (${values.map(odataStringLiteral).join(',')})`;
}

/**
 * Splits values into chunks of at most `maxValues` whose encoded `in (...)` list stays under `maxEncodedChars`,
 * so every request URL stays well below Graph's URL length limit.
 */
export function chunkForFilter(values: readonly string[], maxValues: number, maxEncodedChars: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const value of values) {
    const cost = encodeURIComponent(odataStringLiteral(value)).length + 3;
    if (current.length > 0 && (current.length >= maxValues || length + cost > maxEncodedChars)) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(value);
    length += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
