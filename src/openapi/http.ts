/** `GET /api/openapi.json`: the document for the origin it was asked at, built once per origin. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ApiAuthMode } from '../config/settings';
import { requestOrigin } from '../http/body';
import { openApiDocument } from './document';

/** The app's version from its package.json (next to dist/ when deployed, at the root in the repository). */
export function packageVersion(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'license-shift' && manifest.version) return manifest.version;
    } catch {
      // not here: look one folder up
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

const documents = new Map<string, string>();

export function openApiHandler(request: HttpRequest, auth: ApiAuthMode): HttpResponseInit {
  const origin = requestOrigin(request);
  let text = documents.get(`${auth}|${origin}`);
  if (!text) {
    text = JSON.stringify(openApiDocument({ serverUrl: `${origin}/api`, version: packageVersion(), auth }));
    if (documents.size > 16) documents.clear();
    documents.set(`${auth}|${origin}`, text);
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' },
    body: text,
  };
}
