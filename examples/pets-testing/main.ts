/** Synthesizes the pets stack (`cdktf synth`), as a user's `main.ts` would. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { PetsStack } from './stack';

// From the sources, or from the compiled copy in dist/ (tsc does not copy the key).
const keyFile = [
  join(__dirname, 'token-public.pem'),
  join(__dirname, '..', '..', '..', 'examples', 'pets-testing', 'token-public.pem'),
].find(existsSync);

const app = new App();
new PetsStack(app, 'pets', { tokenPublicKeyPem: readFileSync(keyFile ?? 'token-public.pem', 'utf8') });
app.synth();
