/**
 * The Terraform shape of a TypeBox schema, derived once: which attribute
 * each config field becomes and how. Everything else — the provider schema,
 * value conversion in both directions, defaults, attribute paths of errors,
 * cdktf JSON — walks this tree, so there is no second copy of the config
 * schema to drift.
 *
 * Mapping (see README "Terraform provider"):
 *  - camelCase fields become snake_case attributes; map keys are user data.
 *  - objects → single nested attributes; arrays of objects → list nested.
 *  - an array of objects keyed by a field (`apis` by `name`) → map nested,
 *    the key field becoming the map key.
 *  - tagged unions (objects told apart by a `type` literal) → an object with
 *    `type` plus one nested attribute per variant that has other fields.
 *  - unions of objects without a tag (`{env}|{file}`) → one object, all
 *    fields optional, exactly one set.
 *  - unions of literals → string; `T | null` → optional T; records → map;
 *    integers → number; a single literal (`version: 1`) is a constant.
 *  - a `default` annotation makes the attribute optional+computed: the
 *    provider fills the default at plan.
 */
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';

export type Shape =
  PrimitiveShape | ListShape | MapShape | ObjectShape | ObjectListShape | ObjectMapShape | TaggedShape | OneOfShape;

export interface PrimitiveShape {
  readonly kind: 'string' | 'number' | 'bool';
}
/** list(T) of primitives. */
export interface ListShape {
  readonly kind: 'list';
  readonly element: PrimitiveShape;
}
/** map(T) of primitives. */
export interface MapShape {
  readonly kind: 'map';
  readonly element: PrimitiveShape;
}
export interface ObjectShape {
  readonly kind: 'object';
  readonly fields: readonly Field[];
  /** Single-literal fields (`version: 1`): not attributes; written back as they are. */
  readonly constants: Readonly<Record<string, unknown>>;
  /** The object schema it was derived from (to find, say, every bundled function source). */
  readonly schema?: TSchema;
}
export interface ObjectListShape {
  readonly kind: 'objectList';
  readonly element: ObjectLikeShape;
}
/** An array of objects held as a map keyed by one of their fields. */
export interface ObjectMapShape {
  readonly kind: 'objectMap';
  readonly keyField: string;
  /** The element without its key field. */
  readonly element: ObjectShape;
}
export interface TaggedShape {
  readonly kind: 'tagged';
  readonly tagKey: string;
  readonly variants: readonly Variant[];
}
export interface Variant {
  readonly tag: string;
  /** The variant's other fields; undefined when it has none (`{ type: 'none' }`). */
  readonly field: Field | undefined;
}
export interface OneOfShape {
  readonly kind: 'oneOf';
  readonly fields: readonly Field[];
}
export type ObjectLikeShape = ObjectShape | TaggedShape | OneOfShape;

export interface Field {
  /** The config field. */
  readonly key: string;
  /** The Terraform attribute. */
  readonly name: string;
  readonly shape: Shape;
  /** The config may leave the field out. */
  readonly optional: boolean;
  /** The config holds `null` for "none" (`T | null`). */
  readonly nullable: boolean;
  /** Filled by the provider at plan when the configuration leaves it null. */
  readonly computed: boolean;
  /** The schema's default (in config form), if any. */
  readonly default?: unknown;
  readonly description?: string;
  /** Set by the provider only (`id`, `etag`): computed, never configured. */
  readonly readOnly?: boolean;
  readonly sensitive?: boolean;
}

/** The attribute a config field becomes. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export interface ShapeOptions {
  /** Arrays whose items are this schema become maps keyed by that field (`[Api, 'name']`). */
  readonly keyedArrays?: ReadonlyArray<readonly [TSchema, string]>;
  /** Fields the provider fills at plan besides those with defaults: `(owner object schema, key) => boolean`. */
  readonly computedField?: (owner: TSchema, key: string) => boolean;
  /** Documentation of a field: (owner object schema, key, field schema). */
  readonly describe?: (owner: TSchema, key: string, schema: TSchema) => string | undefined;
}

/** Derives the shape of an object schema (the root of a resource). */
export function objectShape(schema: TSchema, options: ShapeOptions = {}): ObjectShape {
  if (schema[Kind] !== 'Object') throw new Error('the root of a resource shape must be an object schema');
  return buildObject(schema, options, new Set());
}

function buildObject(schema: TSchema, options: ShapeOptions, omit: ReadonlySet<string>): ObjectShape {
  const properties = schema.properties as Record<string, TSchema>;
  const required = new Set<string>((schema.required as string[] | undefined) ?? []);
  const fields: Field[] = [];
  const constants: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(properties)) {
    if (omit.has(key)) continue;
    if (prop[Kind] === 'Literal') {
      constants[key] = prop.const;
      continue;
    }
    const nullable = isNullable(prop);
    const inner = nullable ? nonNull(prop) : prop;
    const hasDefault = prop.default !== undefined;
    const description = [options.describe?.(schema, key, prop), inner.description].filter(Boolean).join(' — ');
    fields.push({
      key,
      name: snakeCase(key),
      shape: build(inner, options),
      optional: !required.has(key) || prop[OptionalKind] === 'Optional',
      nullable,
      computed: hasDefault || (options.computedField?.(schema, key) ?? false),
      ...(hasDefault ? { default: prop.default as unknown } : {}),
      ...(description ? { description } : {}),
    });
  }
  return { kind: 'object', fields, constants, schema };
}

function build(schema: TSchema, options: ShapeOptions): Shape {
  switch (schema[Kind]) {
    case 'String':
      return { kind: 'string' };
    case 'Integer':
    case 'Number':
      return { kind: 'number' };
    case 'Boolean':
      return { kind: 'bool' };
    case 'Literal':
      return primitiveOfLiteral(schema.const);
    case 'Record': {
      const element = build(Object.values(schema.patternProperties as Record<string, TSchema>)[0] as TSchema, options);
      if (!isPrimitive(element)) throw new Error('only records of primitives are supported');
      return { kind: 'map', element };
    }
    case 'Array': {
      const items = schema.items as TSchema;
      const keyField = options.keyedArrays?.find(([s]) => s === items)?.[1];
      if (keyField !== undefined)
        return { kind: 'objectMap', keyField, element: buildObject(items, options, new Set([keyField])) };
      const element = build(items, options);
      if (isPrimitive(element)) return { kind: 'list', element };
      if (element.kind === 'object' || element.kind === 'tagged' || element.kind === 'oneOf')
        return { kind: 'objectList', element };
      throw new Error('arrays of arrays are not supported');
    }
    case 'Object':
      return buildObject(schema, options, new Set());
    case 'Union':
      return buildUnion(schema.anyOf as TSchema[], options);
    default:
      throw new Error(`schema kind ${String(schema[Kind])} has no Terraform shape`);
  }
}

function buildUnion(members: TSchema[], options: ShapeOptions): Shape {
  if (members.every((m) => m[Kind] === 'Literal')) {
    const kinds = new Set(members.map((m) => primitiveOfLiteral(m.const).kind));
    if (kinds.size !== 1) throw new Error('a union of literals must have one primitive type');
    return primitiveOfLiteral(members[0]?.const);
  }
  if (!members.every((m) => m[Kind] === 'Object')) throw new Error('unions must be of literals or of objects');
  const tagKey = 'type';
  const tagged = members.every((m) => (m.properties as Record<string, TSchema>)[tagKey]?.[Kind] === 'Literal');
  if (tagged) {
    const variants: Variant[] = members.map((m) => {
      const tag = String((m.properties as Record<string, TSchema>)[tagKey]?.const);
      const object = buildObject(m, options, new Set([tagKey]));
      if (object.fields.length === 0) return { tag, field: undefined };
      const allOptional = object.fields.every((f) => f.optional || f.nullable || f.computed);
      return {
        tag,
        field: {
          key: tag,
          name: snakeCase(tag),
          shape: object,
          optional: true,
          nullable: false,
          // A variant whose fields all have defaults may be left out entirely: the provider fills it.
          computed: allOptional,
        },
      };
    });
    return { kind: 'tagged', tagKey, variants };
  }
  // Untagged: one object with every member's fields, each optional.
  const fields = new Map<string, Field>();
  for (const m of members) {
    for (const f of buildObject(m, options, new Set()).fields) fields.set(f.key, { ...f, optional: true });
  }
  return { kind: 'oneOf', fields: [...fields.values()] };
}

function isNullable(schema: TSchema): boolean {
  return schema[Kind] === 'Union' && (schema.anyOf as TSchema[]).some((m) => m[Kind] === 'Null');
}

function nonNull(schema: TSchema): TSchema {
  const rest = (schema.anyOf as TSchema[]).filter((m) => m[Kind] !== 'Null');
  if (rest.length !== 1) throw new Error('T | null must have exactly one T');
  return rest[0] as TSchema;
}

function primitiveOfLiteral(value: unknown): PrimitiveShape {
  if (typeof value === 'string') return { kind: 'string' };
  if (typeof value === 'number') return { kind: 'number' };
  if (typeof value === 'boolean') return { kind: 'bool' };
  throw new Error(`literal ${String(value)} has no Terraform type`);
}

export function isPrimitive(shape: Shape): shape is PrimitiveShape {
  return shape.kind === 'string' || shape.kind === 'number' || shape.kind === 'bool';
}
