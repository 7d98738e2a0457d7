import { readFileSync } from 'node:fs';
import { DOSSIER_STATES, DOSSIERS_QUERY_PARAMETERS } from './app.js';
import { OPENAPI_FILE } from './assets.js';

interface Parameter {
  name: string;
  in: string;
  description?: string;
  schema?: { enum?: string[] };
}

const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
  openapi: string;
  paths: Record<string, { get?: { parameters?: Parameter[]; responses: Record<string, unknown> } }>;
};
const dossiers = doc.paths['/v1/units/{unit}/dossiers']?.get;

describe('openapi.json of the board', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every query parameter of the dossier lists, and only those, with the states the code accepts', () => {
    const query = (dossiers?.parameters ?? []).filter((p) => p.in === 'query');
    expect(query.map((p) => p.name).sort()).toEqual([...DOSSIERS_QUERY_PARAMETERS].sort());
    for (const p of query) expect(p.description?.length ?? 0).toBeGreaterThan(20);
    expect(query.find((p) => p.name === 'state')?.schema?.enum).toEqual([...DOSSIER_STATES]);
  });

  it('documents every status the dossier lists answer with', () => {
    expect(Object.keys(dossiers?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '405']);
  });

  it('documents the 400 of every keyed route: each refuses a parameter it does not take, or one given twice', () => {
    const keyed = Object.entries(doc.paths).filter(([path]) => path.startsWith('/v1/') && path !== '/v1/openapi.json');
    expect(keyed.filter(([, item]) => item.get?.responses['400'] === undefined).map(([path]) => path)).toEqual([]);
  });

  it('documents the 404 of the routes of a window: a period the exporters no longer export', () => {
    for (const path of ['/v1/overview', '/v1/ranking', '/v1/report', '/v1/units/{unit}/kpis']) expect(doc.paths[path]?.get?.responses['404']).toBeDefined();
  });

  it('documents every API path the service serves', () => {
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/context',
      '/v1/openapi.json',
      '/v1/overview',
      '/v1/ranking',
      '/v1/report',
      '/v1/trend',
      '/v1/units',
      '/v1/units/{unit}/dossiers',
      '/v1/units/{unit}/kpis',
    ]);
  });
});
