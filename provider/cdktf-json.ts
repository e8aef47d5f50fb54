/**
 * The attributes of an `apigw_service` resource in Terraform JSON syntax
 * (what a cdktf `TerraformResource.synthesizeAttributes()` returns): the
 * config's fields as snake_case attributes, nested objects, maps and lists
 * as JSON, `api_order` in the config's order.
 *
 * Terraform reads `${` and `%{` in JSON strings (values and object keys) as
 * template syntax; config text is escaped (`$${`, `%%{`) so it arrives as
 * written. `secrets` values are written as given: they are normally
 * references to variables (`${var.admin_token}`), not literal text.
 */
import type { AppliedConfig } from '../model';
import { toTerraformValue } from './convert';
import { serviceShapes, type ServiceShapes } from './service-resource';
import { isTfObject, type TfValue } from './tf-value';

let shapes: ServiceShapes | undefined;

export interface ServiceAttributesOptions {
  /** `secrets` (name → value or reference). */
  readonly secrets?: Readonly<Record<string, string>>;
}

export function serviceResourceAttributes(
  config: AppliedConfig,
  options: ServiceAttributesOptions = {},
): Record<string, unknown> {
  shapes ??= serviceShapes();
  const value = toTerraformValue(shapes.config, config);
  const out = toJson(value, true) as Record<string, unknown>;
  out.api_order = config.apis.map((a) => escapeTemplate(a.name));
  if (options.secrets) out.secrets = { ...options.secrets };
  return out;
}

/** Escapes Terraform template sequences so a string is taken literally. */
export function escapeTemplate(text: string): string {
  // A function, not a replacement string: in those, `$$` itself means `$`.
  return text.replace(/[$%]\{/g, (m) => `${m[0]}${m}`);
}

function toJson(value: TfValue, escape: boolean): unknown {
  if (value === null || typeof value === 'symbol') return undefined;
  if (typeof value === 'string') return escape ? escapeTemplate(value) : value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map((v) => toJson(v, escape) ?? null);
  if (isTfObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const json = toJson(v, escape);
      if (json !== undefined) out[escape ? escapeTemplate(k) : k] = json;
    }
    return out;
  }
  return value;
}
