/** zod schemas as JSON Schema 2020-12, the dialect of OpenAPI 3.1 (zod 4's own `z.toJSONSchema`). */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the `$schema` line. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete generated.$schema;
  return generated;
}

/** Query parameters from a zod object schema: one per property, each with the property's JSON Schema. */
export function queryParameters(
  schema: z.ZodType,
  docs: Record<string, string> = {},
  examples: Record<string, string | number> = {},
): JsonSchema[] {
  const generated = jsonSchema(schema);
  const properties = (generated.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    schema: property,
    ...(docs[name] ? { description: docs[name] } : {}),
    ...(examples[name] !== undefined ? { example: examples[name] } : {}),
  }));
}
