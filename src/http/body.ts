/**
 * Reading request bodies at the edge: only JSON is accepted, within a size limit, and every refusal names what to
 * fix. Accepting only `application/json` means a cross-site form or a "simple" cross-origin request (which browsers
 * send without asking the server first) can never act on the API.
 */
import { errorMessage } from '../domain/values';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { problemResponse, validationProblemResponse, type ValidationProblemOptions } from './problem';

export type BodyResult = { ok: true; value: unknown } | { ok: false; response: HttpResponseInit };

/** `application/json`, or a `+json` type such as `application/merge-patch+json`, with any parameters. */
export function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;
  const mediaType = header.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

function unsupportedMediaType(header: string | null): HttpResponseInit {
  const sent = header === null ? 'no Content-Type' : `Content-Type ${header}`;
  return problemResponse(
    415,
    'Unsupported media type',
    `The body was sent with ${sent}; this API accepts only JSON. Send the header "Content-Type: application/json".`,
  );
}

function tooLarge(bytes: number | undefined, maxBytes: number, advice: string): HttpResponseInit {
  const size = bytes === undefined ? 'too large' : `${bytes} bytes`;
  return problemResponse(
    413,
    'Request body too large',
    `The body is ${size}; at most ${maxBytes} bytes are accepted. ${advice}`.trim(),
  );
}

export interface ReadJsonOptions {
  maxBytes: number;
  /** Said with a 413 ("Split the users into several migrations."). */
  tooLargeAdvice: string;
  /** How to describe a missing or unparsable body in the 400 answer. */
  invalid: ValidationProblemOptions;
  /** An empty body reads as `{}` instead of a 400 (action endpoints whose body is optional). */
  optional?: boolean;
}

/**
 * The JSON body of a POST or PUT. A body must come as JSON; only an empty body may come without a Content-Type
 * (and only where `optional`).
 */
export async function readJsonBody(request: HttpRequest, options: ReadJsonOptions): Promise<BodyResult> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > options.maxBytes) {
    return { ok: false, response: tooLarge(declared, options.maxBytes, options.tooLargeAdvice) };
  }
  const contentType = request.headers.get('content-type');
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > options.maxBytes) {
    return { ok: false, response: tooLarge(undefined, options.maxBytes, options.tooLargeAdvice) };
  }
  const empty = text.trim() === '';
  if (!isJsonContentType(contentType) && !(empty && contentType === null)) {
    return { ok: false, response: unsupportedMediaType(contentType) };
  }
  if (empty) {
    if (options.optional) return { ok: true, value: {} };
    return { ok: false, response: invalidBody('is empty: send a JSON document', options.invalid) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const detail = errorMessage(error);
    return { ok: false, response: invalidBody(`is not valid JSON: ${detail}`, options.invalid) };
  }
}

function invalidBody(message: string, options: ValidationProblemOptions): HttpResponseInit {
  return validationProblemResponse([{ field: 'body', message }], options);
}

/** The origin the caller used, for absolute links in answers. */
export function requestOrigin(request: HttpRequest): string {
  return new URL(request.url).origin;
}
