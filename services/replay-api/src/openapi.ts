import { fileURLToPath } from 'node:url';

/** The OpenAPI 3.1 document of this service, kept next to package.json (the same path from src/ and dist/). */
export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.json', import.meta.url));
