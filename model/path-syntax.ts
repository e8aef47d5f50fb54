/**
 * The document's path syntax: `=/user` exact, `^~/user` prefix, `/user/{id}`
 * dynamic, `/user` plain (exact or string prefix) and `~<regex>` regular
 * expression. Parsed once, at synth and at config load.
 */
import type { MatchMode } from './schema';

export interface ParsedPath {
  readonly match: MatchMode;
  /** The path without its marker; for `regex`, the pattern. */
  readonly path: string;
}

const PARAM = /\{([^{}/]+)\}/g;

/** Parses the document's path syntax. Throws with a readable message when the path is not valid. */
export function parsePathSyntax(raw: string): ParsedPath {
  if (raw.startsWith('=')) return { match: 'exact', path: requireSlash(raw.slice(1), raw) };
  if (raw.startsWith('^~')) return { match: 'prefix', path: requireSlash(raw.slice(2), raw) };
  if (raw.startsWith('~')) {
    const pattern = raw.slice(1);
    if (pattern.length === 0) throw new Error(`"${raw}" needs a regular expression after "~"`);
    return { match: 'regex', path: pattern };
  }
  const path = requireSlash(raw, raw);
  return { match: pathParamNames(path).length > 0 ? 'param' : 'plain', path };
}

/** Writes a path back in the document's syntax. */
export function formatPathSyntax(match: MatchMode, path: string): string {
  switch (match) {
    case 'exact':
      return `=${path}`;
    case 'prefix':
      return `^~${path}`;
    case 'regex':
      return `~${path}`;
    default:
      return path;
  }
}

/** Names of the `{param}` placeholders of a path template, in order. */
export function pathParamNames(template: string): string[] {
  return [...template.matchAll(PARAM)].map((m) => m[1] as string);
}

function requireSlash(path: string, raw: string): string {
  if (!path.startsWith('/')) throw new Error(`"${raw}" must start with "/" (after its match marker, if any)`);
  if (/[\s?#]/.test(path)) throw new Error(`"${raw}" must not contain spaces, "?" or "#"`);
  return path;
}
