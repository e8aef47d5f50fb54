/**
 * The document `apigw docs` renders: the service's OpenAPI document
 * (review/openapi.ts, the source) with what a reader needs that a renderer
 * would not show on its own:
 *
 * - the routes OpenAPI cannot express (`x-apigw-routes`: prefix, regular
 *   expression and WebSocket APIs) become operations under their path as
 *   written (`^~/static/`, `~^/orders/(?<id>[0-9]+)$`), so every API is on
 *   the page, each saying how it matches;
 * - operations are grouped by kind (tags);
 * - the introduction explains authentication with a worked signed request
 *   (key pairs) and a bearer example (OAuth 2.0), and lists the gateway's
 *   error codes and the service's declared ones.
 *
 * Only for rendering: the document `apigw openapi` writes stays strict OpenAPI.
 */
import { ANY_METHODS, type ApiConfig, type GatewayConfig, type MatchMode } from '../model';
import { signRequest } from '../runtime/auth/sign';
import { REQUEST_TARGET, requestTargetValue, stringToSign } from '../runtime/auth/signature';
import { Errors } from '../runtime/errors';
import { toOpenApi } from './openapi';

type Json = Record<string, unknown>;

/** The tag (menu section) of each kind of API. */
export const DOC_TAGS = {
  http: 'HTTP APIs',
  prefix: 'Prefix routes',
  regex: 'Regular-expression routes',
  websocket: 'WebSocket APIs',
} as const;

/** The date and secret of the worked signing example: fixed, so the page does not change between runs. */
const EXAMPLE_DATE = new Date('2026-12-01T10:00:00Z');
const EXAMPLE_SECRET = 'example-secret';

interface ExtraRoute {
  readonly api: string;
  readonly method: string;
  readonly rawPath: string;
  readonly operation: Json;
}

export function docsDocument(config: GatewayConfig): Json {
  const doc = toOpenApi(config);
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const byName = new Map(config.apis.map((a) => [a.name, a]));
  const used = new Set<string>();
  const tagged = (op: Json, api: ApiConfig | undefined): Json => {
    const tag = api ? tagOf(api) : DOC_TAGS.http;
    used.add(tag);
    const description = [api ? matchNote(api) : undefined, op.description, api ? samples(api) : undefined]
      .filter(Boolean)
      .join('\n\n');
    return { ...op, tags: [tag], ...(description ? { description } : {}) };
  };
  for (const item of Object.values(paths))
    for (const [method, op] of Object.entries(item))
      item[method] = tagged(op, byName.get(String(op['x-apigw-api'] ?? op.operationId)));

  for (const route of (doc['x-apigw-routes'] ?? []) as ExtraRoute[]) {
    const api = byName.get(route.api);
    // Shown as written (`^~/static/`, `~^/orders/(?<id>[0-9]+)$`): the match note says what it serves.
    let key = route.rawPath;
    const methods = route.method === 'ANY' ? ANY_METHODS.map((m) => m.toLowerCase()) : [route.method.toLowerCase()];
    if (methods.some((m) => paths[key]?.[m])) key = `${key} (${route.api})`;
    for (const m of methods) {
      const op: Json = { ...route.operation, 'x-apigw-path': route.rawPath };
      if (route.method === 'ANY') {
        op.operationId = `${route.api}.${m}`;
        op['x-apigw-api'] = route.api;
        op['x-apigw-method'] = 'ANY';
      }
      (paths[key] ??= {})[m] = tagged(op, api);
    }
  }
  delete doc['x-apigw-routes'];
  doc.paths = paths;
  doc.tags = Object.values(DOC_TAGS)
    .filter((t) => used.has(t))
    .map((name) => ({ name, description: TAG_DESCRIPTIONS[name] }));
  const info = doc.info as Json;
  info.description = introduction(config, info.description as string | undefined);
  return doc;
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  [DOC_TAGS.http]: 'APIs at a literal path or a path template (`/pets/{petId}`).',
  [DOC_TAGS.prefix]:
    'Each serves every path that starts with its path (written `^~/path`); the longest matching prefix wins.',
  [DOC_TAGS.regex]:
    'Each serves the paths its regular expression (written `~pattern`) matches; named groups are path parameters. They are tried in the order listed.',
  [DOC_TAGS.websocket]:
    'Connect with a WebSocket client (`ws://` or `wss://` and the path); text and binary messages pass both ways.',
};

function tagOf(api: ApiConfig): string {
  if (api.frontend.type === 'websocket') return DOC_TAGS.websocket;
  if (api.frontend.match === 'prefix') return DOC_TAGS.prefix;
  if (api.frontend.match === 'regex') return DOC_TAGS.regex;
  return DOC_TAGS.http;
}

const MATCH_WORDS: Record<MatchMode, (path: string) => string> = {
  exact: (p) => `exact match: only \`${p}\``,
  param: (p) => `path template: \`${p}\`, one segment per \`{parameter}\``,
  plain: (p) => `\`${p}\` exactly, else every path that starts with \`${p}\` (lowest priority)`,
  prefix: (p) => `prefix match: every path that starts with \`${p}\``,
  regex: (p) => `regular expression: paths matching \`${p}\``,
};

/** `**Route** \`^~/static/\` (GET): prefix match: every path that starts with `/static/`.` */
function matchNote(api: ApiConfig): string {
  const { method, match, path, rawPath, type } = api.frontend;
  const ws = type === 'websocket' ? ' WebSocket: open it with a `GET` upgrade (`ws://host:port` and the path).' : '';
  return `**Route** \`${rawPath}\` (${method}): ${MATCH_WORDS[match](path)}.${ws}`;
}

/** The API's success and failure samples as code blocks: visible with the operation, not only in a response tab. */
function samples(api: ApiConfig): string | undefined {
  const { successSample, failureSample, contentType } = api.response;
  const block = (title: string, sample: string): string => {
    const lang = /json/.test(contentType ?? 'application/json') ? 'json' : '';
    let text = sample;
    try {
      text = JSON.stringify(JSON.parse(sample), null, 2);
    } catch {
      // not JSON: shown as written
    }
    return `**${title}**\n\n\`\`\`${lang}\n${text}\n\`\`\``;
  };
  const parts = [
    successSample !== undefined ? block('Success sample', successSample) : '',
    failureSample !== undefined ? block('Failure sample', failureSample) : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

function introduction(config: GatewayConfig, description: string | undefined): string {
  const parts = [
    description ?? '',
    `Served by the gateway of service \`${config.service.name}\`, stage \`${config.service.stage.name}\`. ` +
      'Every API is listed on this page with its route as written in the gateway config: ' +
      '`=/path` exact, `/path/{param}` template, `/path` plain (also a prefix), `^~/path` prefix, `~regex` regular expression.',
    authentication(config),
    errorCodes(config),
  ];
  return parts.filter((p) => p !== '').join('\n\n');
}

function authentication(config: GatewayConfig): string {
  const keyPairApi = config.apis.find((a) => a.auth.type === 'keyPair');
  const oauthApi = config.apis.find((a) => a.auth.type === 'oauth2');
  const out: string[] = [];
  if (!keyPairApi && !oauthApi) return '';
  out.push('# Authentication');
  if (keyPairApi) {
    const id = config.service.keyPairs[0]?.secretId ?? 'your-key-id';
    const method = keyPairApi.frontend.method === 'ANY' ? 'GET' : keyPairApi.frontend.method;
    const path = samplePath(keyPairApi);
    const headers = signRequest({
      secretId: id,
      secretKey: EXAMPLE_SECRET,
      date: EXAMPLE_DATE,
      requestTarget: { method, path },
    });
    const names = [REQUEST_TARGET, 'x-date'];
    const text = stringToSign(names, (n) => (n === REQUEST_TARGET ? requestTargetValue(method, path) : headers[n]));
    out.push(
      '## Key pairs (signed requests)',
      'APIs marked with the `keyPair` scheme take requests signed with an HMAC of your key pair: send `X-Date` ' +
        "(the current time, RFC 7231 form, within 15 minutes of the gateway's clock) and an `Authorization` header " +
        'listing the signed headers. Sign `(request-target)` too (the lower-case method, a space, the path and query ' +
        'exactly as sent), so that the signature is valid for this request only.',
      `**Worked example**: \`${method} ${path}\` with key id \`${id}\` and the secret \`${EXAMPLE_SECRET}\`, at ${headers['x-date']}. The string to sign is each signed header as \`name: value\`, joined by newlines:`,
      '```\n' + text + '\n```',
      'Its HMAC-SHA256 with the secret, base64-encoded, is the signature. The request:',
      '```http\n' +
        `${method} ${path} HTTP/1.1\nHost: localhost\nX-Date: ${headers['x-date']}\nAuthorization: ${headers.authorization}\n` +
        '```',
      "With the gateway's command line (the secret from the environment, never the command line):",
      '```sh\n' +
        `export API_SECRET=...   # your secret\n` +
        `eval curl $(npx apigw sign --id ${id} --secret-env API_SECRET --request-target '${method} ${path}') http://localhost${path}\n` +
        '```',
      'Or in code, with `signRequest` from `cdktf-apigw/sign`, which returns the headers to send.',
      'A missing, malformed, stale or wrong signature is answered `401 Unauthorized`; a key that is not allowed to call the API `403 Forbidden`.',
    );
  }
  if (oauthApi && oauthApi.auth.type === 'oauth2') {
    const v = oauthApi.auth.verifier;
    const where =
      v.tokenLocation.from === 'header'
        ? `the \`${v.tokenLocation.name}\` header${v.tokenLocation.scheme ? ` as \`${v.tokenLocation.scheme} <token>\`` : ''}`
        : `the \`${v.tokenLocation.name}\` ${v.tokenLocation.from === 'query' ? 'query parameter' : 'cookie'}`;
    const path = samplePath(oauthApi);
    const header = v.tokenLocation.name.replace(
      /(^|-)([a-z])/g,
      (_m, dash: string, c: string) => dash + c.toUpperCase(),
    );
    const curl =
      v.tokenLocation.from === 'header'
        ? `curl -H '${header}: ${v.tokenLocation.scheme ? `${v.tokenLocation.scheme} ` : ''}'"$TOKEN" http://localhost${path}`
        : v.tokenLocation.from === 'query'
          ? `curl "http://localhost${path}?${v.tokenLocation.name}=$TOKEN"`
          : `curl --cookie "${v.tokenLocation.name}=$TOKEN" http://localhost${path}`;
    out.push(
      '## OAuth 2.0 (bearer tokens)',
      `APIs marked with the \`oauth2\` scheme take a JWT access token in ${where}, signed with ${v.algorithms.join(' or ')}` +
        `${v.issuer ? `, issued by \`${v.issuer}\`` : ''}${v.audience ? `, for the audience ${v.audience.map((a) => `\`${a}\``).join(' or ')}` : ''}` +
        `${v.requireExp === false ? '' : ', with an `exp` claim'}. Example:`,
      '```sh\n' + `TOKEN=eyJhbGciOi...   # an access token from your identity provider\n${curl}\n` + '```',
      'An expired, unsigned or otherwise invalid token is answered `401 Unauthorized` with `WWW-Authenticate: Bearer error="invalid_token"`.',
    );
  }
  return out.join('\n\n');
}

/** A path a client could send to the API: its path with each `{param}` replaced by the parameter's sample. */
function samplePath(api: ApiConfig): string {
  const { match, path } = api.frontend;
  if (match === 'regex') return '/...';
  const sample = (name: string): string => {
    const p = api.parameters.find((x) => x.in === 'path' && x.name === name);
    return p?.sample ?? p?.default ?? (p && p.type !== 'string' && p.type !== 'boolean' ? '1' : name);
  };
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(sample(name)));
}

function errorCodes(config: GatewayConfig): string {
  const rows = Object.values(Errors)
    .map((e) => `| \`${e.code}\` | ${e.status} | ${e.message} |`)
    .join('\n');
  const declared = config.apis.flatMap((a) =>
    a.response.errorCodes.map((c) => `| ${a.name} | \`${c.code}\` | ${c.message} | ${c.description ?? ''} |`),
  );
  return [
    '# Error codes',
    'Everything the gateway answers itself has a JSON body `{"code", "message", "requestId"}` and an `x-api-requestid` header:',
    `| Code | Status | Message |\n|---|---|---|\n${rows}`,
    ...(declared.length > 0
      ? [
          'Error codes the APIs declare (answered by their backends):',
          `| API | Code | Message | Description |\n|---|---|---|---|\n${declared.join('\n')}`,
        ]
      : []),
  ].join('\n\n');
}
