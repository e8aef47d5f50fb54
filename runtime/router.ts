/**
 * Route lookup with the document's match rules, in one total order:
 *
 *   1. `=/p`   exact
 *   2. `^~/p`  prefix: plain string prefix, the longest wins
 *   3. `/p/{x}` dynamic: per segment, a literal beats a mixed segment beats a bare `{x}`
 *   4. `~re`   regular expressions, in declaration order
 *   5. `/p`    plain: exact first, then plain string prefix, the longest wins
 *
 * A route is (method, path): lookup finds the highest-priority route that
 * accepts the request's method (HEAD falls back to GET). When routes match the
 * path but none takes the method, the answer is "method not allowed" with the
 * methods that would be.
 *
 * Every structure here is indexed (hash maps and tries keyed by the path), so
 * lookup cost grows with the path's length, not with the number of APIs.
 * Regular expressions are narrowed by literals before any pattern runs (see
 * `regex-routes.ts`); only regexes without a literal the router can read
 * (`~\d+$`) are tried for every path that reaches them, and the constructs
 * warn about those at synth.
 */
import type { ApiConfig, HttpMethod } from '../model';
import { RegexRoutes } from './regex-routes';

export type RouteMatch =
  | { readonly kind: 'found'; readonly api: ApiConfig; readonly params: Record<string, string>; readonly rest: string }
  | { readonly kind: 'methodNotAllowed'; readonly allow: readonly string[] }
  | { readonly kind: 'notFound' };

const NOT_FOUND: RouteMatch = { kind: 'notFound' };
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'];

/** APIs of one path, by method. */
type MethodTable = Map<string, ApiConfig>;

/** A character trie: finds the longest stored prefix of a string. */
class PrefixTrie {
  private readonly root: TrieNode = { children: new Map(), table: undefined };

  add(prefix: string, method: string, api: ApiConfig): void {
    let node = this.root;
    for (let i = 0; i < prefix.length; i++) {
      const ch = prefix.charCodeAt(i);
      let next = node.children.get(ch);
      if (!next) {
        next = { children: new Map(), table: undefined };
        node.children.set(ch, next);
      }
      node = next;
    }
    node.table ??= new Map();
    if (!node.table.has(method)) node.table.set(method, api);
  }

  /** The longest prefix of `path` holding `method`; `anyMethod` is set when some prefix matched at all. */
  longest(path: string, method: string, seen: { anyMethod: boolean }): { api: ApiConfig; length: number } | undefined {
    let node: TrieNode | undefined = this.root;
    let best: ApiConfig | undefined;
    let bestLength = 0;
    for (let i = 0; ; i++) {
      if (node.table) {
        seen.anyMethod = true;
        const api = node.table.get(method);
        if (api) {
          best = api;
          bestLength = i;
        }
      }
      if (i === path.length) break;
      node = node.children.get(path.charCodeAt(i));
      if (!node) break;
    }
    return best ? { api: best, length: bestLength } : undefined;
  }

  /** Lengths of every stored key that is a prefix of `path`, shortest first. */
  prefixLengths(path: string): number[] {
    const lengths: number[] = [];
    let node: TrieNode | undefined = this.root;
    for (let i = 0; node; i++) {
      if (node.table) lengths.push(i);
      if (i === path.length) break;
      node = node.children.get(path.charCodeAt(i));
    }
    return lengths;
  }
}

interface TrieNode {
  readonly children: Map<number, TrieNode>;
  table: MethodTable | undefined;
}

/** One segment of a dynamic path: a literal, a mixed literal/param pattern, or a bare `{name}`. */
interface SegmentNode {
  readonly literals: Map<string, SegmentNode>;
  readonly patterns: { readonly re: RegExp; readonly names: readonly string[]; readonly node: SegmentNode }[];
  param: { readonly name: string; readonly node: SegmentNode } | undefined;
  table: MethodTable | undefined;
}

const newSegmentNode = (): SegmentNode => ({ literals: new Map(), patterns: [], param: undefined, table: undefined });

const BARE_PARAM = /^\{([^{}/]+)\}$/;
const PARAM = /\{([^{}/]+)\}/g;

export class Router {
  private readonly exact = new Map<string, MethodTable>();
  private readonly prefix = new PrefixTrie();
  private readonly dynamic = newSegmentNode();
  private hasDynamic = false;
  /** Regex routes by method. */
  private readonly regex = new Map<string, RegexRoutes>();
  private readonly plainExact = new Map<string, MethodTable>();
  private readonly plainPrefix = new PrefixTrie();

  constructor(apis: readonly ApiConfig[]) {
    for (const api of apis) this.add(api);
  }

  private add(api: ApiConfig): void {
    const { match, path, method } = api.frontend;
    switch (match) {
      case 'exact':
        addToTable(this.exact, path, method, api);
        break;
      case 'prefix':
        this.prefix.add(path, method, api);
        break;
      case 'param':
        this.addDynamic(path, method, api);
        break;
      case 'regex':
        this.addRegex(path, method, api);
        break;
      case 'plain':
        addToTable(this.plainExact, path, method, api);
        this.plainPrefix.add(path, method, api);
        break;
    }
  }

  private addDynamic(path: string, method: string, api: ApiConfig): void {
    this.hasDynamic = true;
    let node = this.dynamic;
    for (const segment of path.split('/').slice(1)) {
      const bare = BARE_PARAM.exec(segment);
      if (bare) {
        const name = bare[1] as string;
        node.param ??= { name, node: newSegmentNode() };
        // Two templates that differ only in a parameter's name share the node; the first name is kept.
        node = node.param.node;
      } else if (segment.includes('{')) {
        const source = segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(PARAM, '([^/]+?)');
        let entry = node.patterns.find((p) => p.re.source === `^${source}$`);
        if (!entry) {
          entry = {
            re: new RegExp(`^${source}$`),
            names: [...segment.matchAll(PARAM)].map((m) => m[1] as string),
            node: newSegmentNode(),
          };
          node.patterns.push(entry);
        }
        node = entry.node;
      } else {
        let next = node.literals.get(segment);
        if (!next) {
          next = newSegmentNode();
          node.literals.set(segment, next);
        }
        node = next;
      }
    }
    node.table ??= new Map();
    if (!node.table.has(method)) node.table.set(method, api);
  }

  private addRegex(pattern: string, method: string, api: ApiConfig): void {
    let routes = this.regex.get(method);
    if (!routes) {
      routes = new RegexRoutes();
      this.regex.set(method, routes);
    }
    routes.add(pattern, api);
  }

  /**
   * Finds the API for a request. `path` is the normalised path (see
   * `normalize.ts`). `rest` is the part of the path after the matched prefix
   * for prefix and plain routes (empty otherwise).
   */
  find(method: string, path: string): RouteMatch {
    const found = this.lookup(method, path);
    if (found) return found;
    if (method === 'HEAD') {
      const asGet = this.lookup('GET', path);
      if (asGet) return asGet;
    }
    const allow = this.allowedMethods(path);
    return allow.length > 0 ? { kind: 'methodNotAllowed', allow } : NOT_FOUND;
  }

  /** Methods some route accepts for this path (with HEAD wherever GET is). */
  allowedMethods(path: string): string[] {
    const allow: string[] = [];
    for (const m of METHODS) if (this.lookup(m, path)) allow.push(m);
    if (allow.includes('GET') && !allow.includes('HEAD')) allow.push('HEAD');
    return allow;
  }

  private lookup(method: string, path: string): RouteMatch | undefined {
    const exact = this.exact.get(path)?.get(method);
    if (exact) return { kind: 'found', api: exact, params: NO_PARAMS, rest: '' };

    const seen = { anyMethod: false };
    const prefix = this.prefix.longest(path, method, seen);
    if (prefix) return { kind: 'found', api: prefix.api, params: NO_PARAMS, rest: path.slice(prefix.length) };

    if (this.hasDynamic) {
      const params: Record<string, string> = {};
      const api = matchSegments(this.dynamic, path, 1, method, params);
      if (api) return { kind: 'found', api, params, rest: '' };
    }

    const regex = this.regex.size > 0 ? this.regex.get(method) : undefined;
    if (regex) {
      const hit = regex.match(path);
      if (hit) return { kind: 'found', api: hit.api, params: hit.groups ? { ...hit.groups } : NO_PARAMS, rest: '' };
    }

    const plain = this.plainExact.get(path)?.get(method);
    if (plain) return { kind: 'found', api: plain, params: NO_PARAMS, rest: '' };
    const plainPrefix = this.plainPrefix.longest(path, method, seen);
    if (plainPrefix) {
      return { kind: 'found', api: plainPrefix.api, params: NO_PARAMS, rest: path.slice(plainPrefix.length) };
    }
    return undefined;
  }
}

function addToTable(map: Map<string, MethodTable>, path: string, method: string, api: ApiConfig): void {
  let table = map.get(path);
  if (!table) {
    table = new Map();
    map.set(path, table);
  }
  if (!table.has(method)) table.set(method, api);
}

/** Depth-first over segments, literal before mixed before bare parameter, backtracking on a dead end. */
function matchSegments(
  node: SegmentNode,
  path: string,
  start: number,
  method: string,
  params: Record<string, string>,
): ApiConfig | undefined {
  if (start > path.length) return node.table?.get(method);
  let end = path.indexOf('/', start);
  if (end === -1) end = path.length;
  const segment = path.slice(start, end);
  const literal = node.literals.get(segment);
  if (literal) {
    const api = matchSegments(literal, path, end + 1, method, params);
    if (api) return api;
  }
  if (segment.length === 0) return undefined;
  for (const pattern of node.patterns) {
    const m = pattern.re.exec(segment);
    if (!m) continue;
    const api = matchSegments(pattern.node, path, end + 1, method, params);
    if (api) {
      pattern.names.forEach((name, i) => (params[name] = m[i + 1] as string));
      return api;
    }
  }
  if (node.param) {
    const api = matchSegments(node.param.node, path, end + 1, method, params);
    if (api) {
      params[node.param.name] = segment;
      return api;
    }
  }
  return undefined;
}

export { anchoredLiteralPrefix } from '../model';
