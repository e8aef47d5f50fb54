/** The function event, in the shape of the document's API gateway trigger. */
import type { RequestContext } from '../pipeline';

export interface FunctionEvent {
  readonly requestContext: {
    readonly serviceId: string;
    readonly path: string;
    readonly httpMethod: string;
    readonly requestId: string;
    readonly identity: Record<string, string>;
    readonly sourceIp: string;
    readonly stage: string;
  };
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
  readonly pathParameters: Record<string, string>;
  readonly queryStringParameters: Record<string, string>;
  readonly headerParameters: Record<string, string>;
  readonly stageVariables: Record<string, string>;
  readonly path: string;
  readonly queryString: Record<string, string | string[]>;
  readonly httpMethod: string;
}

const TEXTUAL = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+(json|xml))/i;

export function buildEvent(ctx: RequestContext, body: Buffer): FunctionEvent {
  const { req, config } = ctx;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  headers['x-api-requestid'] = ctx.requestId;
  const contentType = headers['content-type'] ?? '';
  // Binary bodies travel base64-encoded; text (or no content type) as UTF-8.
  const binary = body.length > 0 && contentType !== '' && !TEXTUAL.test(contentType);
  const queryString: Record<string, string | string[]> = {};
  for (const [k, v] of ctx.query) {
    const prior = queryString[k];
    queryString[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  const identity: Record<string, string> = {};
  if (ctx.identity?.secretId) identity.secretId = ctx.identity.secretId;
  if (typeof ctx.identity?.claims?.sub === 'string') identity.sub = ctx.identity.claims.sub;
  return {
    requestContext: {
      serviceId: config.service.id,
      path: ctx.api.frontend.path,
      httpMethod: req.method ?? 'GET',
      requestId: ctx.requestId,
      identity,
      sourceIp: ctx.clientIp,
      stage: config.service.stage.name,
    },
    headers,
    body: binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: binary,
    pathParameters: { ...ctx.params.path },
    queryStringParameters: { ...ctx.params.query },
    headerParameters: { ...ctx.params.header },
    stageVariables: { stage: config.service.stage.name, ...config.service.stage.variables },
    path: ctx.path,
    queryString,
    httpMethod: req.method ?? 'GET',
  };
}
