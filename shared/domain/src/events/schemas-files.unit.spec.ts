import { readFileSync, readdirSync } from 'node:fs';
import { eventJsonSchemas } from './validate.js';

const dir = new URL('../../schemas/', import.meta.url);

describe('published JSON Schemas', () => {
  it('match the contract in code (run node scripts/write-schemas.mjs after changing it)', () => {
    const schemas = eventJsonSchemas();
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files).toEqual(
      Object.keys(schemas)
        .map((t) => `${t}.json`)
        .sort(),
    );
    for (const [type, schema] of Object.entries(schemas)) {
      const published = JSON.parse(readFileSync(new URL(`${type}.json`, dir), 'utf8')) as Record<string, unknown>;
      expect(published).toEqual(JSON.parse(JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema })));
    }
  });
});
