/**
 * Finds the TSDoc of a config field (see `schema-docs.ts`) from the schema
 * objects themselves: each object schema is located by identity as an
 * exported constant or a property path inside one.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import type { SchemaDocs } from './schema-docs';

export type Describe = (owner: TSchema, key: string, schema: TSchema) => string | undefined;

interface Location {
  readonly constant: string;
  readonly path: readonly string[];
}

/**
 * @param exports the modules' exports (`import * as schema`), to name constants
 * @param aliases object schemas derived from another (`Type.Omit(Service)`) that share its docs
 */
export function describer(
  docs: SchemaDocs,
  exports: ReadonlyArray<Record<string, unknown>>,
  aliases: ReadonlyArray<readonly [TSchema, TSchema]> = [],
): Describe {
  const named = new Map<TSchema, string>();
  for (const mod of exports) {
    for (const [name, value] of Object.entries(mod)) {
      if (isSchema(value) && !named.has(value)) named.set(value, name);
    }
  }
  const locations = new Map<TSchema, Location>();
  const walk = (schema: TSchema, at: Location, root: boolean): void => {
    if (!root && named.has(schema)) return;
    switch (schema[Kind]) {
      case 'Object':
        if (!locations.has(schema)) locations.set(schema, at);
        for (const [key, prop] of Object.entries(schema.properties as Record<string, TSchema>))
          walk(prop, { constant: at.constant, path: [...at.path, key] }, false);
        return;
      case 'Union':
        for (const m of schema.anyOf as TSchema[]) walk(m, at, false);
        return;
      case 'Array':
        walk(schema.items as TSchema, at, false);
        return;
      default:
        return;
    }
  };
  for (const [schema, name] of named) walk(schema, { constant: name, path: [] }, true);
  for (const [alias, original] of aliases) {
    const at = locations.get(original);
    if (at) locations.set(alias, at);
  }
  return (owner, key, schema) => {
    const at = locations.get(owner);
    const own = at ? docs[at.constant]?.[[...at.path, key].join('.')] : undefined;
    if (own) return own;
    const constant = named.get(schema);
    return constant ? docs[constant]?.[''] : undefined;
  };
}

function isSchema(value: unknown): value is TSchema {
  return value !== null && typeof value === 'object' && Kind in value;
}
