/** Every error code the gateway answers is documented in the README table. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errors } from '../../runtime/errors';

it('documents every error code with its status', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  for (const def of Object.values(Errors)) {
    expect(readme).toContain(`| \`${def.code}\` | ${def.status} |`);
  }
});
