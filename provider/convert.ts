/**
 * Config ⇄ Terraform value, walking a shape (see `shape.ts`). Pure functions:
 * lib/ uses `toTerraformValue` to write resource attributes at synth; the
 * provider uses all of them at plan, apply and read.
 */
import type { Field, ObjectLikeShape, ObjectShape, Shape, TaggedShape } from './shape';
import { attr, isTfObject, isUnknown, toJsNumber, type TfObject, type TfValue } from './tf-value';

/** One step of a Terraform attribute path. */
export type PathStep = { readonly attr: string } | { readonly key: string } | { readonly index: number };
export type AttrPath = readonly PathStep[];

export interface PathIssue {
  readonly path: AttrPath;
  readonly message: string;
}

type Json = unknown;
type JsonObject = Record<string, unknown>;

function isJsonObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// config → Terraform value

/** A config value as the Terraform value of its attribute (every attribute present, absent ones null). */
export function toTerraformValue(shape: Shape, value: Json): TfValue {
  if (value === undefined || value === null) return null;
  switch (shape.kind) {
    case 'string':
      return String(value);
    case 'number':
      return typeof value === 'bigint' ? value : Number(value);
    case 'bool':
      return Boolean(value);
    case 'list':
      return (value as Json[]).map((v) => toTerraformValue(shape.element, v));
    case 'map':
      return mapEntries(value as JsonObject, (v) => toTerraformValue(shape.element, v));
    case 'object':
      return objectToTf(shape, value as JsonObject);
    case 'objectList':
      return (value as Json[]).map((v) => toTerraformValue(shape.element, v));
    case 'objectMap': {
      const out: TfObject = {};
      for (const item of value as JsonObject[]) out[String(item[shape.keyField])] = objectToTf(shape.element, item);
      return out;
    }
    case 'tagged':
      return taggedToTf(shape, value as JsonObject);
    case 'oneOf': {
      const out: TfObject = {};
      for (const f of shape.fields) out[f.name] = toTerraformValue(f.shape, (value as JsonObject)[f.key]);
      return out;
    }
  }
}

function objectToTf(shape: ObjectShape, value: JsonObject): TfObject {
  const out: TfObject = {};
  for (const f of shape.fields)
    out[f.name] = toTerraformValue(f.shape, Object.hasOwn(value, f.key) ? value[f.key] : null);
  return out;
}

function taggedToTf(shape: TaggedShape, value: JsonObject): TfObject {
  const out: TfObject = { [shape.tagKey]: String(value[shape.tagKey]) };
  for (const v of shape.variants) {
    if (v.field) out[v.field.name] = v.tag === value[shape.tagKey] ? toTerraformValue(v.field.shape, value) : null;
  }
  return out;
}

function mapEntries(value: JsonObject, f: (v: Json) => TfValue): TfObject {
  const out: TfObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = f(v);
  return out;
}

// ---------------------------------------------------------------------------
// Terraform value → config

export interface FromTerraformResult {
  /** The config value; fields whose value is unknown or null are left out (or null where the schema says `T | null`). */
  readonly value: Json;
  /** JSON pointers (into the config) of values not known yet. */
  readonly unknown: readonly string[];
  /** Problems the Terraform form can have and the config cannot express (a variant set for another type...). */
  readonly issues: readonly PathIssue[];
}

export interface FromTerraformOptions {
  /** Order of the items of a keyed map (by JSON pointer of the array): the rest follow in sorted order. */
  readonly order?: (pointer: string) => readonly string[] | undefined;
}

/** A Terraform value as config. */
export function fromTerraformValue(
  shape: Shape,
  value: TfValue,
  options: FromTerraformOptions = {},
): FromTerraformResult {
  const unknown: string[] = [];
  const issues: PathIssue[] = [];
  const walk = (s: Shape, v: TfValue, pointer: string, path: AttrPath): Json => {
    if (isUnknown(v)) {
      unknown.push(pointer);
      return undefined;
    }
    if (v === null) return undefined;
    switch (s.kind) {
      case 'string':
        return v;
      case 'number':
        return toJsNumber(v as number);
      case 'bool':
        return v;
      case 'list':
        return (v as TfValue[]).map((x, i) => walk(s.element, x, `${pointer}/${i}`, [...path, { index: i }]) ?? null);
      case 'map': {
        const out: JsonObject = {};
        for (const [k, x] of Object.entries(v as TfObject))
          out[k] = walk(s.element, x, `${pointer}/${escapePointer(k)}`, [...path, { key: k }]) ?? null;
        return out;
      }
      case 'object':
        return objectFrom(s, v as TfObject, pointer, path);
      case 'objectList':
        return (v as TfValue[]).map((x, i) => walk(s.element, x, `${pointer}/${i}`, [...path, { index: i }]) ?? null);
      case 'objectMap': {
        const map = v as TfObject;
        const keys = orderKeys(Object.keys(map), options.order?.(pointer));
        return keys.map((k, i) => {
          const item = walk(s.element, attr(map, k), `${pointer}/${i}`, [...path, { key: k }]);
          return { [s.keyField]: k, ...(isJsonObject(item) ? item : {}) };
        });
      }
      case 'tagged':
        return taggedFrom(s, v as TfObject, pointer, path);
      case 'oneOf': {
        const obj = v as TfObject;
        const set = s.fields.filter((f) => attr(obj, f.name) !== null);
        if (set.length !== 1 && !set.some((f) => isUnknown(attr(obj, f.name))))
          issues.push({ path, message: `set exactly one of ${s.fields.map((f) => f.name).join(', ')}` });
        const out: JsonObject = {};
        for (const f of set)
          out[f.key] = walk(f.shape, attr(obj, f.name), `${pointer}/${f.key}`, [...path, { attr: f.name }]);
        return out;
      }
    }
  };
  const objectFrom = (s: ObjectShape, obj: TfObject, pointer: string, path: AttrPath): JsonObject => {
    const out: JsonObject = {};
    for (const [k, c] of Object.entries(s.constants)) out[k] = c;
    for (const f of s.fields) {
      const x = walk(f.shape, attr(obj, f.name), `${pointer}/${f.key}`, [...path, { attr: f.name }]);
      if (x !== undefined) out[f.key] = x;
      else if (f.nullable && attr(obj, f.name) === null) out[f.key] = null;
    }
    return out;
  };
  const taggedFrom = (s: TaggedShape, obj: TfObject, pointer: string, path: AttrPath): JsonObject => {
    const tag = attr(obj, s.tagKey);
    if (isUnknown(tag)) {
      unknown.push(`${pointer}/${s.tagKey}`);
      return {};
    }
    const out: JsonObject = tag === null ? {} : { [s.tagKey]: tag };
    for (const variant of s.variants) {
      if (!variant.field) continue;
      const x = attr(obj, variant.field.name);
      if (variant.tag === tag) {
        const inner = walk(variant.field.shape, x, pointer, [...path, { attr: variant.field.name }]);
        if (isJsonObject(inner)) Object.assign(out, inner);
      } else if (x !== null && tag !== null) {
        issues.push({
          path: [...path, { attr: variant.field.name }],
          message: `${variant.field.name} is set but ${s.tagKey} is "${String(tag)}"`,
        });
      }
    }
    return out;
  };
  const value2 = walk(shape, value, '', []);
  return { value: value2, unknown, issues };
}

function orderKeys(keys: string[], order: readonly string[] | undefined): string[] {
  const present = new Set(keys);
  const first = (order ?? []).filter((k) => present.has(k));
  const seen = new Set(first);
  return [...first, ...keys.filter((k) => !seen.has(k)).sort()];
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

// ---------------------------------------------------------------------------
// defaults

/**
 * Fills the defaults (and whole defaulted objects) wherever the Terraform
 * value holds null for an attribute with a default: what the provider plans
 * for optional+computed attributes the configuration leaves out.
 */
export function fillDefaults(shape: Shape, value: TfValue): TfValue {
  if (value === null || isUnknown(value)) return value;
  switch (shape.kind) {
    case 'object':
      return fillObject(shape, value as TfObject);
    case 'objectList':
      return (value as TfValue[]).map((v) => fillDefaults(shape.element, v));
    case 'objectMap': {
      const out: TfObject = {};
      for (const [k, v] of Object.entries(value as TfObject)) out[k] = fillDefaults(shape.element, v);
      return out;
    }
    case 'tagged': {
      const obj = value as TfObject;
      const tag = attr(obj, shape.tagKey);
      const out: TfObject = { ...obj };
      for (const v of shape.variants) {
        if (!v.field || v.tag !== tag) continue;
        const current = attr(obj, v.field.name);
        // A variant whose fields all have defaults may be left out: fill it.
        out[v.field.name] = fillDefaults(
          v.field.shape,
          current === null && v.field.computed ? emptyObject(v.field.shape) : current,
        );
      }
      return out;
    }
    case 'oneOf': {
      const obj = value as TfObject;
      const out: TfObject = { ...obj };
      for (const f of shape.fields) out[f.name] = fillDefaults(f.shape, attr(obj, f.name));
      return out;
    }
    default:
      return value;
  }
}

function fillObject(shape: ObjectShape, obj: TfObject): TfObject {
  const out: TfObject = { ...obj };
  for (const f of shape.fields) {
    let v = attr(obj, f.name);
    if (v === null && f.default !== undefined) v = toTerraformValue(f.shape, f.default);
    out[f.name] = fillDefaults(f.shape, v);
  }
  return out;
}

function emptyObject(shape: Shape): TfValue {
  if (shape.kind !== 'object') return null;
  const out: TfObject = {};
  for (const f of shape.fields) out[f.name] = null;
  return out;
}

// ---------------------------------------------------------------------------
// normalisation

/**
 * A value with exactly the attributes of the shape: missing ones null,
 * others dropped. Terraform refuses an object that lacks an attribute, and
 * state JSON written by an older provider may lack new ones.
 */
export function normalise(shape: Shape, value: TfValue): TfValue {
  if (value === null || isUnknown(value)) return value;
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' ? value : String(value);
    case 'number':
      return typeof value === 'string' && Number.isFinite(Number(value)) && String(Number(value)) === value
        ? Number(value)
        : value;
    case 'bool':
      return value;
    case 'list':
      return Array.isArray(value) ? value.map((v) => normalise(shape.element, v)) : null;
    case 'map':
    case 'objectMap': {
      if (!isTfObject(value)) return null;
      const out: TfObject = {};
      for (const [k, v] of Object.entries(value)) out[k] = normalise(shape.element, v);
      return out;
    }
    case 'objectList':
      return Array.isArray(value) ? value.map((v) => normalise(shape.element, v)) : null;
    case 'object':
    case 'tagged':
    case 'oneOf': {
      if (!isTfObject(value)) return null;
      const out: TfObject = {};
      for (const f of attributesOf(shape))
        out[f.name] = f.shape ? normalise(f.shape, attr(value, f.name)) : attr(value, f.name);
      return out;
    }
  }
}

/** The attributes of an object-like shape, in schema order (a tagged union's tag first). */
export function attributesOf(
  shape: ObjectLikeShape,
): ReadonlyArray<{ readonly name: string; readonly shape: Shape | undefined; readonly field?: Field }> {
  switch (shape.kind) {
    case 'object':
    case 'oneOf':
      return shape.fields.map((f) => ({ name: f.name, shape: f.shape, field: f }));
    case 'tagged':
      return [
        { name: shape.tagKey, shape: { kind: 'string' } },
        ...shape.variants.flatMap((v) =>
          v.field ? [{ name: v.field.name, shape: v.field.shape, field: v.field }] : [],
        ),
      ];
  }
}

// ---------------------------------------------------------------------------
// JSON pointer (config) → attribute path (Terraform)

/**
 * The Terraform attribute path of a JSON pointer into a config document
 * (`/apis/3/backend/timeoutMs` → `apis["getPet"].backend.http.timeout_ms`).
 * `doc` is the config the pointer points into (to find map keys and the
 * variant of a tagged union). Stops at the deepest attribute it can name.
 */
export function attributePathOf(shape: Shape, doc: Json, pointer: string): AttrPath {
  const segments = pointer === '' || pointer === '/' ? [] : pointer.slice(1).split('/').map(unescapePointer);
  const path: PathStep[] = [];
  let at: Position | undefined = { shape, value: doc };
  for (const seg of segments) {
    at = stepInto(at, seg, path);
    if (!at) break;
  }
  return path;
}

interface Position {
  readonly shape: Shape;
  readonly value: Json;
}

function stepInto(at: Position, seg: string, path: PathStep[]): Position | undefined {
  const { shape: s, value: v } = at;
  const child = (k: string): Json =>
    Array.isArray(v) ? v[Number(k)] : isJsonObject(v) && Object.hasOwn(v, k) ? v[k] : undefined;
  switch (s.kind) {
    case 'list':
    case 'objectList':
      if (!/^\d+$/.test(seg)) return undefined;
      path.push({ index: Number(seg) });
      return { shape: s.element, value: child(seg) };
    case 'map':
      path.push({ key: seg });
      return { shape: s.element, value: child(seg) };
    case 'objectMap': {
      const item = child(seg);
      if (!isJsonObject(item)) return undefined;
      // The item's key field is the map key: a pointer to it stops at the item.
      path.push({ key: String(item[s.keyField]) });
      return { shape: s.element, value: item };
    }
    case 'object':
    case 'oneOf': {
      const f = s.fields.find((x) => x.key === seg);
      if (!f) return undefined;
      path.push({ attr: f.name });
      return { shape: f.shape, value: child(seg) };
    }
    case 'tagged': {
      if (seg === s.tagKey) {
        path.push({ attr: s.tagKey });
        return { shape: { kind: 'string' }, value: child(seg) };
      }
      const variant = s.variants.find((x) => isJsonObject(v) && x.tag === v[s.tagKey]);
      if (!variant?.field) return undefined;
      path.push({ attr: variant.field.name });
      return stepInto({ shape: variant.field.shape, value: v }, seg, path);
    }
    default:
      return undefined;
  }
}
