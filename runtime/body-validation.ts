/**
 * Request body validation of an API with a `bodySchema`: the body is read
 * (bounded by `limits.maxBodyBytes`), decoded as UTF-8, parsed as JSON and
 * checked against the schema compiled at load, before the backend is called.
 * Only these APIs buffer their bodies; the backend then receives exactly the
 * bytes that were checked (`ctx.body`).
 *
 * - no body: `400 InvalidBody`; a body that is not `application/json` (or
 *   `application/*+json`): `415 UnsupportedMediaType`;
 * - not UTF-8 (a byte order mark included), not JSON, nested too deeply for
 *   the schema, or not matching it: `400 InvalidBody` with `fields`, the
 *   failing JSON pointers (at most `MAX_LISTED_FIELDS`; only the first for
 *   bodies over `ALL_ERRORS_MAX_BODY_BYTES`, see `model/body-schema.ts`).
 */
import { ALL_ERRORS_MAX_BODY_BYTES, bodyFieldErrors, compileBodySchema, type BodySchema } from '../model';
import { Errors, GatewayError, sendError } from './errors';
import type { HttpBackendHandler, RequestContext } from './pipeline';
import { readBody } from './read-body';
// Schema patterns must be compiled after V8's linear-time fallback is on.
import './regex-engine';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Wraps an API's backend so that it only sees bodies its schema accepts. */
export function withBodyValidation(
  inner: HttpBackendHandler,
  schemaText: string,
  maxBodyBytes: number,
): HttpBackendHandler {
  const schema = compileBodySchema(schemaText);
  const refuse = (ctx: RequestContext, err: GatewayError): void => {
    const { req, res } = ctx;
    req.resume();
    sendError(res, ctx.requestId, err, req.method === 'HEAD', ctx.extraResponseHeaders);
  };
  return {
    handle(ctx: RequestContext): void {
      const { headers } = ctx.req;
      const length = headers['content-length'];
      if (headers['transfer-encoding'] === undefined && (length === undefined || length === '0'))
        return refuse(ctx, new GatewayError(Errors.InvalidBody, 'the request needs a JSON body'));
      if (!isJsonMediaType(headers['content-type'])) return refuse(ctx, new GatewayError(Errors.UnsupportedMediaType));
      readBody(ctx.req, maxBodyBytes).then(
        (body) => {
          const problem = check(schema, body);
          if (problem) return refuse(ctx, problem);
          ctx.body = body;
          inner.handle(ctx);
        },
        (err: unknown) => refuse(ctx, err instanceof GatewayError ? err : new GatewayError(Errors.BadRequest)),
      );
    },
    close: () => inner.close(),
  };
}

/** `application/json` or `application/<anything>+json`, any parameters. */
function isJsonMediaType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The refusal for a body, or undefined when the schema accepts it. */
function check(schema: BodySchema, body: Buffer): GatewayError | undefined {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return new GatewayError(Errors.InvalidBody, 'the request body is not UTF-8');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return new GatewayError(Errors.InvalidBody, 'the request body is not valid JSON');
  }
  try {
    if (schema.check(data)) return undefined;
    // The first failure costs nothing more; the full list only for small bodies (see body-schema.ts).
    const errors =
      body.length <= ALL_ERRORS_MAX_BODY_BYTES && !schema.explain(data) ? schema.explain.errors : schema.check.errors;
    const fields = bodyFieldErrors(errors);
    const first = fields[0];
    const message = first ? `${Errors.InvalidBody.message}: ${first.field} ${first.message}` : undefined;
    return new GatewayError(Errors.InvalidBody, message, {}, fields);
  } catch {
    // A recursive schema over hostile nesting overflows the stack: refused, never a crash.
    return new GatewayError(Errors.InvalidBody, 'the request body is nested too deeply');
  }
}
