import { readFileSync } from 'node:fs';
import { createUnitDirectory } from '@dvc/domain';
import { QUERY_PARAMETERS, parseEventsQuery } from './query.js';
import { OPENAPI_FILE } from './openapi.js';
import { createTokenCodec } from './token.js';

interface Parameter {
  name: string;
  in: string;
  description?: string;
}

const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
  openapi: string;
  paths: Record<string, { get?: { parameters?: Parameter[]; responses: Record<string, unknown> } }>;
};
const documented = (doc.paths['/v1/events']?.get?.parameters ?? []).filter((p) => p.in === 'query');

describe('openapi.json', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every query parameter the code accepts, and only those', () => {
    expect(documented.map((p) => p.name).sort()).toEqual([...QUERY_PARAMETERS].sort());
    for (const p of documented) expect(p.description?.length ?? 0).toBeGreaterThan(20);
  });

  it('every documented parameter passes the parser as a known name', () => {
    const tokens = createTokenCodec(['openapi-test-secret']);
    for (const p of documented) {
      const result = parseEventsQuery(new URLSearchParams({ [p.name]: 'x' }), tokens, { directory: createUnitDirectory([]), acceptUnknownUnits: false });
      const problems = result.ok ? [] : result.problems;
      expect(problems.filter((text) => text.startsWith('unknown query parameter'))).toEqual([]);
    }
  });

  it('documents every status GET /v1/events answers with', () => {
    expect(Object.keys(doc.paths['/v1/events']?.get?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '405', '429', '503']);
  });

  it('documents every path the service serves', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/readyz', '/v1/events', '/v1/openapi.json']);
  });
});
