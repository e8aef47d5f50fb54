/**
 * Rules of the traffic policies beyond the schema (IP lists, request body
 * schemas, error-code conversion, OAuth 2.0 with a JWKS URL), called by
 * `rules.ts` for every API and for the service's `apiDefaults`. Like every
 * rule, each reads only the parts of the document the schema accepted.
 */
import { bodySchemaProblem, bodySchemaWarnings } from './body-schema';
import { parseIpBlock } from './ip-blocks';
import type { ApiConfig, IpAccessConfig, OAuthVerifierConfig } from './schema';

/** Backend kinds as a message names them. */
export const BACKEND_KIND: Record<ApiConfig['backend']['type'], string> = {
  http: 'an HTTP backend',
  scf: 'a function backend',
  mock: 'a mock backend',
  websocket: 'a WebSocket backend',
  websocketFunctions: 'a WebSocket function backend',
};

type Add = (field: string, message: string) => void;
type Usable = (...parts: string[]) => boolean;

/** Every entry of an IP allow/deny list must be an address or a CIDR block without host bits. */
export function checkIpAccess(
  access: IpAccessConfig,
  at: string,
  add: Add,
  usable: (pointer: string) => boolean,
): void {
  for (const list of ['allow', 'deny'] as const) {
    const entries = access[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry, j) => {
      const field = `${at}/${list}/${j}`;
      if (!usable(field)) return;
      const parsed = parseIpBlock(entry);
      if (typeof parsed === 'string') add(field, `"${entry}" ${parsed}`);
    });
  }
}

/** The request body schema: it compiles, and it is on an API that receives bodies. */
export function checkBodySchema(api: ApiConfig, at: string, add: Add, ok: Usable): void {
  if (api.bodySchema === undefined || !ok('bodySchema')) return;
  if (ok('frontend/type') && api.frontend.type === 'websocket') {
    add(`${at}/bodySchema`, 'a WebSocket API has no request body to validate');
    return;
  }
  if (ok('frontend/method') && (api.frontend.method === 'GET' || api.frontend.method === 'HEAD')) {
    add(`${at}/bodySchema`, `a ${api.frontend.method} API has no request body to validate`);
    return;
  }
  const problem = bodySchemaProblem(api.bodySchema);
  if (problem) add(`${at}/bodySchema`, problem);
}

/** Legal but slow on large hostile bodies: unbounded `pattern`, `format`, `uniqueItems`, `patternProperties`. */
export function bodySchemaSlowParts(api: ApiConfig, at: string): { field: string; message: string }[] {
  if (typeof api.bodySchema !== 'string') return [];
  return bodySchemaWarnings(api.bodySchema).map((message) => ({ field: `${at}/bodySchema`, message }));
}

/**
 * Declared error codes: unique per API; one that converts backend answers
 * (`from`) says the status the client gets, matches what its backend can
 * answer, and claims each backend status or function error code alone.
 */
export function checkErrorCodes(api: ApiConfig, at: string, add: Add, ok: Usable): void {
  const codes = api.response?.errorCodes;
  if (!Array.isArray(codes)) return;
  const backendOk = ok('backend/type', 'backend/responseIntegration');
  const seenCodes = new Map<string, number>();
  const claimed = new Map<string, string>();
  codes.forEach((e, j) => {
    const eat = `${at}/response/errorCodes/${j}`;
    if (!ok(`response/errorCodes/${j}`)) return;
    const first = seenCodes.get(e.code);
    if (first !== undefined) add(`${eat}/code`, `error code "${e.code}" is already declared by errorCodes[${first}]`);
    else seenCodes.set(e.code, j);
    const from = e.from;
    if (from === undefined) return;
    if (e.status === undefined)
      add(`${eat}/status`, `error code "${e.code}" converts backend answers, so it needs the status the client gets`);
    if (!backendOk) return;
    const b = api.backend;
    if (from.type === 'backendStatus') {
      const answers = b.type === 'http' || (b.type === 'scf' && b.responseIntegration);
      if (!answers) {
        add(
          `${eat}/from`,
          b.type === 'scf'
            ? 'a function without response integration always answers 200: convert its error codes (functionError) instead'
            : `${BACKEND_KIND[b.type]} has no statuses to convert`,
        );
        return;
      }
      for (const status of from.statuses) claim(claimed, `status ${status}`, e.code, `${eat}/from`, add);
    } else {
      if (b.type !== 'scf') {
        add(`${eat}/from`, `only a function backend has error codes to convert, not ${BACKEND_KIND[b.type]}`);
        return;
      }
      for (const code of from.errorCodes) claim(claimed, `function error code "${code}"`, e.code, `${eat}/from`, add);
    }
  });
}

function claim(claimed: Map<string, string>, what: string, code: string, field: string, add: Add): void {
  const owner = claimed.get(what);
  if (owner === undefined) claimed.set(what, code);
  else add(field, `${what} is already converted to "${owner}"`);
}

/** Exactly one source of verification keys; a JWKS URL that can be fetched. */
export function checkVerifierKeys(v: OAuthVerifierConfig, aat: string, add: Add): void {
  const given = [v.publicKeyPem, v.jwks, v.remoteJwks].filter((k) => k !== undefined).length;
  if (given !== 1) add(aat, 'give exactly one of publicKeyPem, jwks or remoteJwks');
  if (v.remoteJwks === undefined) return;
  const problem = jwksUrlProblem(v.remoteJwks.url);
  if (problem) add(`${aat}/remoteJwks/url`, problem);
}

function jwksUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${text}" must start with https:// or http://`;
  if (url.username || url.password) return `"${text}" must not carry a user name or password`;
  if (url.hash) return `"${text}" must not have a fragment`;
  return undefined;
}

/** Keys fetched over plain HTTP can be replaced by anyone on the path: legal (a sidecar on loopback), but said. */
export function jwksOverHttp(v: OAuthVerifierConfig, aat: string): { field: string; message: string } | undefined {
  const url = v.remoteJwks?.url;
  if (url === undefined || !url.startsWith('http://')) return undefined;
  return {
    field: `${aat}/remoteJwks/url`,
    message: `the signing keys are fetched over unencrypted http:// (${url}): anyone on the path could replace them; use https://`,
  };
}
