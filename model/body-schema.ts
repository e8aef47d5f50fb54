/**
 * Request body schemas: an API's `bodySchema` is a JSON Schema (2020-12, the
 * dialect of OpenAPI 3.1) written by the user, compiled once with ajv — at
 * synth and at config load, both through `compileBodySchema` — and run on
 * every JSON body of the API. A schema is user input and the bodies are
 * hostile, so:
 *
 * - `strict: true`: an unknown keyword, a misplaced one (`properties` without
 *   `type: "object"`, which would let a JSON string through) or an unknown
 *   format is a compile error, reported at synth; `allowUnionTypes` still
 *   allows `type: ["string", "null"]`;
 * - no remote references (ajv never loads schemas: a `$ref` it cannot resolve
 *   inside the document fails compilation); no `$data`;
 * - patterns are compiled without the `u` flag and must run in linear time
 *   (`linear-regex.ts`), so V8's linear engine bounds them on hostile strings;
 * - nesting is bounded (ajv compiles recursively);
 * - two validators: `allErrors: false` on every body (stops at the first
 *   failure: cost and memory do not grow with the number of bad values), and
 *   `allErrors: true` only to list the failing fields of a body that failed
 *   and is small (`ALL_ERRORS_MAX_BODY_BYTES`), since every error is an object
 *   and a large hostile body can hold millions of them;
 * - bodies are validated as parsed (`JSON.parse`, no coercion, no defaults
 *   written into them), and the backend receives the bytes the client sent.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import AjvDraft07 from 'ajv';
import addFormats from 'ajv-formats';
import secureMetaSchema from 'ajv/dist/refs/json-schema-secure.json';
import { checkLinearRegex } from './linear-regex';

/** Bodies larger than this get their first failing field only (see above). */
export const ALL_ERRORS_MAX_BODY_BYTES = 64 * 1024;
/** Failing fields listed in a 400 answer at most. */
export const MAX_LISTED_FIELDS = 10;
/** Deepest nesting of objects and arrays in a schema. */
export const MAX_SCHEMA_DEPTH = 64;

export interface BodySchema {
  /** True when the data is valid. HOT PATH */
  readonly check: ValidateFunction;
  /** The same schema with every error collected: for listing failures of small bodies. */
  readonly explain: ValidateFunction;
}

/** One failing part of a body: a JSON pointer into it, and what is wrong. */
export interface BodyFieldError {
  readonly field: string;
  readonly message: string;
}

/** Schemas compiled lately, by text: a config load compiles each once for its rules and its runtime. */
const compiled = new Map<string, BodySchema | Error>();
const CACHE_SIZE = 128;

/** Compiles a schema's JSON text; throws an Error whose message says what is wrong, for `bodySchema: <message>`. */
export function compileBodySchema(text: string): BodySchema {
  let entry = compiled.get(text);
  if (entry === undefined) {
    try {
      entry = compile(text);
    } catch (err) {
      entry = err as Error;
    }
    if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
    compiled.set(text, entry);
  }
  if (entry instanceof Error) throw entry;
  return entry;
}

/** What is wrong with a schema, or undefined when it compiles. */
export function bodySchemaProblem(text: string): string | undefined {
  try {
    compileBodySchema(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function compile(text: string): BodySchema {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    throw new Error('is not valid JSON');
  }
  if (typeof schema !== 'boolean' && !isObject(schema)) throw new Error('must be a JSON Schema object');
  const problem = walkProblem(schema);
  if (problem) throw new Error(problem);
  validators ??= { check: validator(false), explain: validator(true) };
  return { check: compileAlone(validators.check, schema), explain: compileAlone(validators.explain, schema) };
}

/** The two ajv instances, made once (their meta-schema and formats cost ~50 ms each). */
let validators: { check: Ajv2020; explain: Ajv2020 } | undefined;

/** Compiles a schema and takes it out of the instance again, so that `$id`s of different APIs never meet. */
function compileAlone(ajv: Ajv2020, schema: object | boolean): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw new Error(`does not compile: ${(err as Error).message}`);
  } finally {
    if (typeof schema === 'object') ajv.removeSchema(schema);
  }
}

function validator(allErrors: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    allowUnionTypes: true,
    allErrors,
    // Patterns without `u`: V8's linear-time fallback only takes such regexps.
    unicodeRegExp: false,
    ownProperties: true,
    logger: false,
    validateFormats: true,
  });
  addFormats(ajv, { mode: 'fast' });
  return ajv;
}

/** Depth and every `pattern` / `patternProperties` key, before ajv sees the schema. */
function walkProblem(schema: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: schema, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (depth > MAX_SCHEMA_DEPTH) return `is nested deeper than ${MAX_SCHEMA_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const v of value) stack.push({ value: v, depth: depth + 1 });
      continue;
    }
    if (!isObject(value)) continue;
    for (const [key, v] of Object.entries(value)) {
      // Values, not schemas: a `pattern` field in them is data.
      if (key === 'const' || key === 'enum' || key === 'examples' || key === 'default') continue;
      if (key === 'pattern' && typeof v === 'string') {
        const problem = patternProblem(v);
        if (problem) return `pattern "${v}": ${problem}`;
      }
      if (key === 'patternProperties' && isObject(v)) {
        for (const p of Object.keys(v)) {
          const problem = patternProblem(p);
          if (problem) return `patternProperties "${p}": ${problem}`;
        }
      }
      stack.push({ value: v, depth: depth + 1 });
    }
  }
  return undefined;
}

function patternProblem(pattern: string): string | undefined {
  // Without the `u` flag these are other, literal, patterns (`\p{L}` matches "p{L}").
  if (/\\[pPu]\{/.test(pattern))
    return 'uses \\p{...}, \\P{...} or \\u{...}, which need the u flag; body schema patterns run without it (in linear time)';
  return checkLinearRegex(pattern, 'body schema patterns');
}

let secure: ValidateFunction | undefined;

/**
 * Keywords that make validation slow on large hostile bodies unless bounded
 * (ajv's own assessment, `json-schema-secure.json`): `pattern` or `format`
 * without `maxLength`, `uniqueItems` over objects without `maxItems`,
 * `patternProperties` without a bounded `propertyNames`. Warnings: the body
 * size limit still bounds them.
 */
export function bodySchemaWarnings(text: string): string[] {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    return [];
  }
  secure ??= new AjvDraft07({ allErrors: true, strict: false, logger: false }).compile(secureMetaSchema);
  if (secure(schema)) return [];
  const seen = new Set<string>();
  for (const e of secure.errors ?? []) {
    if (e.keyword !== 'required') continue;
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const at = e.instancePath || '/';
    seen.add(`${missing} is not bounded at ${at}`);
  }
  return [...seen].map(
    (s) => `${s}: validating large hostile bodies may be slow (ajv's security assessment); set maxLength or maxItems`,
  );
}

/** The failing fields of an invalid body, at most `MAX_LISTED_FIELDS`, as a client reads them. */
export function bodyFieldErrors(errors: readonly ErrorObject[] | null | undefined): BodyFieldError[] {
  const out: BodyFieldError[] = [];
  for (const e of errors ?? []) {
    if (out.length >= MAX_LISTED_FIELDS) break;
    const params = e.params as { missingProperty?: string; additionalProperty?: string };
    // Pointers to what the client must change: the missing or unexpected property itself.
    const field =
      e.keyword === 'required'
        ? `${e.instancePath}/${escapePointer(params.missingProperty ?? '')}`
        : e.keyword === 'additionalProperties'
          ? `${e.instancePath}/${escapePointer(params.additionalProperty ?? '')}`
          : e.instancePath || '/';
    const message =
      e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not allowed' : e.message;
    // Property names come from the client: bounded in the answer.
    out.push({ field: field.length > 200 ? `${field.slice(0, 200)}...` : field, message: message ?? 'is invalid' });
  }
  return out;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
