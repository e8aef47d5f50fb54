/**
 * The schema docs table. Here it is extracted from the sources on first
 * use (tests); the provider bundle replaces this module with the table
 * extracted at build time (scripts/bundle-provider.mjs).
 */
import { join } from 'node:path';
import type { SchemaDocs } from './schema-docs';

export function schemaDocs(): SchemaDocs {
  // Required here, not imported: the TypeScript parser is a build-time dependency.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { extractSchemaDocs } = require('./schema-docs') as typeof import('./schema-docs');
  const model = join(__dirname, '..', 'model');
  return extractSchemaDocs([join(model, 'schema.ts'), join(model, 'admin.ts')]);
}
