/**
 * Validates a gateway config document: the JSON Schema (compiled once, all
 * errors) and then the rules of `rules.ts`. The runtime refuses to start on a
 * document this rejects, and the constructs refuse to synthesize it.
 * `validateAppliedConfig` does the same for the live part of a config (what
 * the admin API applies and the Terraform provider plans).
 */
import Ajv, { type ErrorObject } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { AppliedConfig } from './admin';
import { checkAppliedConfigRules, checkConfigRules, type ConfigIssue } from './rules';
import { GatewayConfig } from './schema';

export type ValidationResult<T = GatewayConfig> =
  | { readonly ok: true; readonly config: T; readonly issues: readonly [] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

type Validator = ReturnType<Ajv['compile']>;
const compiled = new Map<TSchema, Validator>();
let ajv: Ajv | undefined;

function schemaValidator(schema: TSchema): Validator {
  // Compiled on first use, not at import: the CLI's other commands should not pay for it.
  let validate = compiled.get(schema);
  if (!validate) {
    ajv ??= new Ajv({
      allErrors: true,
      strict: true,
      allowUnionTypes: true,
      // The validator runs once per config load; optimising its code costs more start-up time (~50 ms) than it saves.
      code: { optimize: false },
    });
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Validates an unknown value as a gateway config document. */
export function validateConfig(doc: unknown): ValidationResult {
  return validateWith(GatewayConfig, doc, checkConfigRules);
}

/** Validates an unknown value as an applied config (the config without its start-bound listeners). */
export function validateAppliedConfig(doc: unknown): ValidationResult<AppliedConfig> {
  return validateWith(AppliedConfig, doc, checkAppliedConfigRules);
}

/** Schema issues only (no rules): for a document with parts not known yet. */
export function schemaIssues(schema: TSchema, doc: unknown): ConfigIssue[] {
  const validate = schemaValidator(schema);
  return validate(doc) ? [] : issuesOf(validate.errors ?? []);
}

function validateWith<T>(schema: TSchema, doc: unknown, rules: (config: T) => ConfigIssue[]): ValidationResult<T> {
  const schemaProblems = schemaIssues(schema, doc);
  if (schemaProblems.length > 0) return { ok: false, issues: schemaProblems };
  const config = doc as T;
  const issues = rules(config);
  return issues.length === 0 ? { ok: true, config, issues: [] } : { ok: false, issues };
}

function issuesOf(errors: ErrorObject[]): ConfigIssue[] {
  const issues = narrowUnions(errors).map((e) => ({
    field: e.instancePath || '/',
    message:
      e.keyword === 'additionalProperties'
        ? `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : (e.message ?? 'is invalid'),
  }));
  return dedupe(issues);
}

/** One line per issue, for logs and CLI output. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${i.field}: ${i.message}`).join('\n');
}

/**
 * A tagged union (`type: 'http' | 'mock' | ...`) fails in every branch; report
 * only the branch whose `type` matches, so a user sees "timeoutMs is missing"
 * rather than the fields of every other backend kind.
 */
function narrowUnions(errors: ErrorObject[]): ErrorObject[] {
  const within = (path: string, base: string): boolean => path === base || path.startsWith(`${base}/`);
  let out = errors;
  for (;;) {
    const first = out.find((e) => /\/anyOf\/\d+\//.test(e.schemaPath));
    if (!first) return out;
    const prefix = first.schemaPath.slice(0, first.schemaPath.search(/\/anyOf\/\d+\//) + '/anyOf/'.length);
    const unionPath = prefix.slice(0, -1);
    // The same union schema is checked once per API: narrow one place in the document at a time,
    // the one the union's own error names (else two broken backends read as "unknown type").
    const at =
      out
        .filter(
          (e) => e.keyword === 'anyOf' && e.schemaPath === unionPath && within(first.instancePath, e.instancePath),
        )
        .map((e) => e.instancePath)
        .sort((a, b) => b.length - a.length)[0] ?? first.instancePath.replace(/\/type$/, '');
    const inUnion = (e: ErrorObject): boolean => e.schemaPath.startsWith(prefix) && within(e.instancePath, at);
    const branchOf = (e: ErrorObject): string => e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
    const members = out.filter(inUnion);
    const tagMiss = new Set(
      members.filter((e) => e.keyword === 'const' && e.instancePath.endsWith('/type')).map(branchOf),
    );
    const branches = new Set(members.map(branchOf));
    const matching = [...branches].filter((b) => !tagMiss.has(b));
    const unionError = (e: ErrorObject): boolean =>
      e.keyword === 'anyOf' && e.schemaPath === unionPath && e.instancePath === at;
    if (tagMiss.size === 0) {
      // Not a tagged union: keep everything but mark these as handled.
      out = out.map((e) => (inUnion(e) ? { ...e, schemaPath: e.schemaPath.replace('/anyOf/', '/any-of/') } : e));
      continue;
    }
    let kept: ErrorObject[];
    if (matching.length === 1) kept = members.filter((e) => branchOf(e) === matching[0]);
    else
      kept = [
        { ...first, instancePath: `${at}/type`, keyword: 'enum', schemaPath: '#', message: 'has an unknown type' },
      ];
    out = [
      ...out.filter((e) => !inUnion(e) && !unionError(e)),
      ...kept.map((e) => ({ ...e, schemaPath: e.schemaPath.replace(prefix, '#/') })),
    ];
  }
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.field}\0${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
