/**
 * Validates a gateway config document: the JSON Schema (compiled once, all
 * errors) and the rules of `rules.ts`, in one pass. The rules run on every
 * part of the document the schema accepts, so a mistake in one API or field
 * hides no mistake elsewhere. The runtime refuses to start (or reload) on a
 * document this rejects, and the constructs refuse to synthesize it.
 * `validateAppliedConfig` does the same for the live part of a config (what
 * the admin API applies and the Terraform provider plans).
 */
import Ajv, { type ErrorObject } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { AppliedConfig } from './admin';
import {
  checkAppliedConfigRules,
  checkConfigRules,
  checkConfigWarnings,
  type ConfigIssue,
  type PartIsValid,
} from './rules';
import { GatewayConfig } from './schema';

export type ValidationResult<T = GatewayConfig> =
  | {
      readonly ok: true;
      readonly config: T;
      readonly issues: readonly [];
      /** Legal but suspicious (a route the gateway's own endpoints shadow). */
      readonly warnings: readonly ConfigIssue[];
    }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[]; readonly warnings: readonly ConfigIssue[] };

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

/** Validates an unknown value as a gateway config document; every issue, sorted by field. */
export function validateConfig(doc: unknown): ValidationResult {
  return validateWith(GatewayConfig, doc, checkConfigRules, checkConfigWarnings);
}

/** Validates an unknown value as an applied config (the config without its start-bound fields). */
export function validateAppliedConfig(doc: unknown): ValidationResult<AppliedConfig> {
  return validateWith(AppliedConfig, doc, checkAppliedConfigRules, (config, valid) =>
    checkConfigWarnings(config as unknown as GatewayConfig, valid),
  );
}

/** Schema issues only (no rules): for a document with parts not known yet. */
export function schemaIssues(schema: TSchema, doc: unknown): ConfigIssue[] {
  const validate = schemaValidator(schema);
  return validate(doc) ? [] : issuesOf(narrowUnions(validate.errors ?? []));
}

function validateWith<T>(
  schema: TSchema,
  doc: unknown,
  rules: (config: T, valid: PartIsValid) => ConfigIssue[],
  warn: (config: T, valid: PartIsValid) => ConfigIssue[],
): ValidationResult<T> {
  const validate = schemaValidator(schema);
  const errors = validate(doc) ? [] : narrowUnions(validate.errors ?? []);
  const valid = partValidity(errors);
  const config = doc as T;
  const issues = sortByField([...issuesOf(errors), ...rules(config, valid)]);
  const warnings = sortByField(warn(config, valid));
  return issues.length === 0 ? { ok: true, config, issues: [], warnings } : { ok: false, issues, warnings };
}

function issuesOf(errors: readonly ErrorObject[]): ConfigIssue[] {
  return dedupe(
    errors.map((e) => ({
      field: e.instancePath || '/',
      message:
        e.keyword === 'additionalProperties'
          ? `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : (e.message ?? 'is invalid'),
    })),
  );
}

/** One line per issue, for logs and CLI output. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${i.field}: ${i.message}`).join('\n');
}

/**
 * The parts of a document the rules may read: a pointer is usable when no
 * schema error is at it, above it or below it. A missing property breaks only
 * itself, an unknown property only itself (the rules never read it).
 */
function partValidity(errors: readonly ErrorObject[]): PartIsValid {
  const broken = errors.map((e) => {
    const params = e.params as { missingProperty?: string; additionalProperty?: string };
    if (e.keyword === 'required') return `${e.instancePath}/${params.missingProperty ?? ''}`;
    if (e.keyword === 'additionalProperties') return `${e.instancePath}/${params.additionalProperty ?? ''}`;
    return e.instancePath;
  });
  if (broken.length === 0) return () => true;
  return (pointer) => !broken.some((b) => b === pointer || b.startsWith(`${pointer}/`) || pointer.startsWith(`${b}/`));
}

function sortByField(issues: ConfigIssue[]): ConfigIssue[] {
  // Stable, and numeric within pointers: /apis/2 before /apis/10, schema issues before rule issues of a field.
  return issues.sort((a, b) => a.field.localeCompare(b.field, 'en', { numeric: true }));
}

/**
 * A value that matches no branch of a union fails in every branch; report the
 * branch the user meant. A tagged union (`type: 'http' | 'mock' | ...`): the
 * branch whose `type` matches, so a user sees "timeoutMs is missing" rather
 * than the fields of every other backend kind. A union of literals: one
 * "must be one of" line. Any other union: the one branch whose shape fits.
 */
function narrowUnions(errors: ErrorObject[]): ErrorObject[] {
  let out = errors;
  for (;;) {
    const first = out.find((e) => /\/anyOf\/\d+\//.test(e.schemaPath));
    if (!first) return out;
    const prefix = first.schemaPath.slice(0, first.schemaPath.search(/\/anyOf\/\d+\//) + '/anyOf/'.length);
    // The union's own error at the value `first` belongs to: every API of the document shares the schema path.
    const union = out
      .filter(
        (e) =>
          e.keyword === 'anyOf' &&
          e.schemaPath === prefix.slice(0, -1) &&
          (first.instancePath === e.instancePath || first.instancePath.startsWith(`${e.instancePath}/`)),
      )
      .sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
    const at = union?.instancePath ?? first.instancePath;
    const inUnion = (e: ErrorObject): boolean =>
      e.schemaPath.startsWith(prefix) && (e.instancePath === at || e.instancePath.startsWith(`${at}/`));
    const branchOf = (e: ErrorObject): string => e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
    const members = out.filter(inUnion);
    const others = out.filter((e) => !inUnion(e) && e !== union);
    const keep = (kept: ErrorObject[]): ErrorObject[] => [
      ...others,
      ...kept.map((e) => ({ ...e, schemaPath: e.schemaPath.replace(prefix, '#/') })),
    ];
    const atUnion = (e: ErrorObject): boolean => e.instancePath === at;
    const branches = [...new Set(members.map(branchOf))];

    if (union && members.every((e) => e.keyword === 'const' && atUnion(e))) {
      // A union of literals (`'GET' | 'POST' | ...`): one sentence listing them.
      const allowed = members.map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue));
      out = [
        ...others,
        { ...union, keyword: 'enum', schemaPath: '#', message: `must be one of ${allowed.join(', ')}` },
      ];
      continue;
    }
    // A tagged union: the tag is the union's own `type`, not a `type` further down (a function source has one too).
    const tagMiss = new Set(
      members.filter((e) => e.keyword === 'const' && e.instancePath === `${at}/type`).map(branchOf),
    );
    if (tagMiss.size > 0) {
      const matching = branches.filter((b) => !tagMiss.has(b));
      out =
        matching.length === 1
          ? keep(members.filter((e) => branchOf(e) === matching[0]))
          : keep([
              {
                ...first,
                instancePath: `${at}/type`,
                keyword: 'enum',
                schemaPath: '#',
                message: 'has an unknown type',
              },
            ]);
      continue;
    }
    // Any other union: when the value has the shape of one branch only (`Cors | null` given an object,
    // `{env} | {file}` given `{env}`), that branch's errors are the mistake; the others' are noise.
    const shapeMiss = new Set(
      members
        .filter((e) => ['type', 'required', 'additionalProperties'].includes(e.keyword) && atUnion(e))
        .map(branchOf),
    );
    const fitting = branches.filter((b) => !shapeMiss.has(b));
    if (union && shapeMiss.size > 0 && fitting.length === 1) {
      out = keep(members.filter((e) => branchOf(e) === fitting[0]));
      continue;
    }
    // Otherwise keep everything but mark these as handled.
    out = out.map((e) => (inUnion(e) ? { ...e, schemaPath: e.schemaPath.replace('/anyOf/', '/any-of/') } : e));
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
