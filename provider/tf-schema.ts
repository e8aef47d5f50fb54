/**
 * A shape as Terraform's provider schema (tfplugin6 `Schema.Attribute`):
 * primitives and collections of primitives get a type; objects, lists and
 * maps of objects become nested attributes, so plans show each field.
 */
import { attributesOf } from './convert';
import type { Field, ObjectLikeShape, Shape } from './shape';

export enum Nesting {
  SINGLE = 1,
  LIST = 2,
  MAP = 4,
}

/** The protobuf message `tfplugin6.Schema.Attribute`, as plain data. */
export interface SchemaAttribute {
  readonly name: string;
  /** JSON of the type constraint; empty for nested attributes. */
  readonly type?: Uint8Array;
  readonly nested_type?: { readonly attributes: SchemaAttribute[]; readonly nesting: Nesting };
  readonly description: string;
  readonly required: boolean;
  readonly optional: boolean;
  readonly computed: boolean;
  readonly sensitive: boolean;
}

/** Terraform's type constraint of a primitive or a collection of primitives. */
export function typeOf(shape: Shape): unknown {
  switch (shape.kind) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'bool':
      return 'bool';
    case 'list':
      return ['list', typeOf(shape.element)];
    case 'map':
      return ['map', typeOf(shape.element)];
    default:
      return undefined;
  }
}

/** The Terraform flags of a field: what the configuration must, may, or cannot set. */
export function flagsOf(field: Field): { required: boolean; optional: boolean; computed: boolean } {
  if (field.readOnly) return { required: false, optional: false, computed: true };
  const required = !field.optional && !field.nullable && !field.computed;
  return { required, optional: !required, computed: field.computed };
}

export function schemaAttribute(field: Field): SchemaAttribute {
  const base = {
    name: field.name,
    description: field.description ?? '',
    ...flagsOf(field),
    sensitive: field.sensitive ?? false,
  };
  const type = typeOf(field.shape);
  if (type !== undefined) return { ...base, type: Buffer.from(JSON.stringify(type)) };
  return { ...base, nested_type: nestedType(field.shape) };
}

function nestedType(shape: Shape): { attributes: SchemaAttribute[]; nesting: Nesting } {
  switch (shape.kind) {
    case 'object':
    case 'tagged':
    case 'oneOf':
      return { attributes: objectAttributes(shape), nesting: Nesting.SINGLE };
    case 'objectList':
      return { attributes: objectAttributes(shape.element), nesting: Nesting.LIST };
    case 'objectMap':
      return { attributes: objectAttributes(shape.element), nesting: Nesting.MAP };
    default:
      throw new Error(`${shape.kind} is not a nested attribute`);
  }
}

export function objectAttributes(shape: ObjectLikeShape): SchemaAttribute[] {
  return attributesOf(shape).map((a) =>
    a.field
      ? schemaAttribute(a.field)
      : {
          // A tagged union's tag.
          name: a.name,
          type: Buffer.from(JSON.stringify('string')),
          description: `One of ${shape.kind === 'tagged' ? shape.variants.map((v) => `"${v.tag}"`).join(', ') : ''}.`,
          required: true,
          optional: false,
          computed: false,
          sensitive: false,
        },
  );
}
