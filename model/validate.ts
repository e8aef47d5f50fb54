/**
 * Validates a gateway config document: the JSON Schema (compiled once, all
 * errors) and then the rules of `rules.ts`. The runtime refuses to start on a
 * document this rejects, and the constructs refuse to synthesize it.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { checkConfigRules, type ConfigIssue } from './rules';
import { GatewayConfig } from './schema';

export type ValidationResult =
  | { readonly ok: true; readonly config: GatewayConfig; readonly issues: readonly [] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

let compiled: ReturnType<Ajv['compile']> | undefined;

function schemaValidator(): ReturnType<Ajv['compile']> {
  // Compiled on first use, not at import: the CLI's other commands should not pay for it.
  compiled ??= new Ajv({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    // The validator runs once per config load; optimising its code costs more start-up time (~50 ms) than it saves.
    code: { optimize: false },
  }).compile(GatewayConfig);
  return compiled;
}

/** Validates an unknown value as a gateway config document. */
export function validateConfig(doc: unknown): ValidationResult {
  const validate = schemaValidator();
  if (!validate(doc)) {
    const issues = narrowUnions(validate.errors ?? []).map((e) => ({
      field: e.instancePath || '/',
      message:
        e.keyword === 'additionalProperties'
          ? `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : (e.message ?? 'is invalid'),
    }));
    return { ok: false, issues: dedupe(issues) };
  }
  const config = doc as GatewayConfig;
  const issues = checkConfigRules(config);
  return issues.length === 0 ? { ok: true, config, issues: [] } : { ok: false, issues };
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
  let out = errors;
  for (;;) {
    const first = out.find((e) => /\/anyOf\/\d+\//.test(e.schemaPath));
    if (!first) return out;
    const prefix = first.schemaPath.slice(0, first.schemaPath.search(/\/anyOf\/\d+\//) + '/anyOf/'.length);
    const inUnion = (e: ErrorObject): boolean => e.schemaPath.startsWith(prefix);
    const branchOf = (e: ErrorObject): string => e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
    const members = out.filter(inUnion);
    const tagMiss = new Set(
      members.filter((e) => e.keyword === 'const' && e.instancePath.endsWith('/type')).map(branchOf),
    );
    const branches = new Set(members.map(branchOf));
    const matching = [...branches].filter((b) => !tagMiss.has(b));
    const unionError = (e: ErrorObject): boolean => e.keyword === 'anyOf' && e.schemaPath === prefix.slice(0, -1);
    if (tagMiss.size === 0) {
      // Not a tagged union: keep everything but mark these as handled.
      out = out.map((e) => (inUnion(e) ? { ...e, schemaPath: e.schemaPath.replace('/anyOf/', '/any-of/') } : e));
      continue;
    }
    let kept: ErrorObject[];
    if (matching.length === 1) kept = members.filter((e) => branchOf(e) === matching[0]);
    else {
      const at = first.instancePath.replace(/\/type$/, '');
      kept = [
        { ...first, instancePath: `${at}/type`, keyword: 'enum', schemaPath: '#', message: 'has an unknown type' },
      ];
    }
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
