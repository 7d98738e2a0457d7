#!/usr/bin/env node
// Writes the JSON Schema of every event type (derived from the TypeBox contract in
// shared/domain) to shared/domain/schemas/, the files published for integrators.
// A unit test fails when the committed files differ from the code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventJsonSchemas } from '@dvc/domain';

if (process.argv.includes('--help')) {
  console.log('usage: node scripts/write-schemas.mjs   regenerates shared/domain/schemas/*.json from the domain contract');
  process.exit(0);
}
const dir = fileURLToPath(new URL('../shared/domain/schemas/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [type, schema] of Object.entries(eventJsonSchemas())) {
  const document = { $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema };
  writeFileSync(`${dir}${type}.json`, `${JSON.stringify(document, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(eventJsonSchemas()).length} schemas to shared/domain/schemas/`);
