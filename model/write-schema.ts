/** Build step: writes the JSON Schema derived from `schema.ts` to the given file. */
import { writeFileSync } from 'node:fs';
import { canonicalJson } from './canonical';
import { GatewayConfig } from './schema';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: write-schema <file>\n');
  process.exit(2);
}
writeFileSync(out, canonicalJson({ $schema: 'http://json-schema.org/draft-07/schema#', ...GatewayConfig }));
