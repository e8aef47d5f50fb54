/**
 * Route lookup with the document's match rules, in one total order:
 *
 *   1. `=/p`   exact
 *   2. `^~/p`  prefix: plain string prefix, the longest wins
 *   3. `/p/{x}` dynamic: per segment, a literal beats a mixed segment beats a bare `{x}`
 *   4. `~re`   regular expressions, in declaration order
 *   5. `/p`    plain: exact first, then plain string prefix, the longest wins
 *
 * A route is (method, path): lookup finds the highest-priority path with a
 * route that takes the request's method and, at that path, the route the
 * method prefers (`routeMethodsFor` in model/methods.ts: the method's own,
 * for HEAD then GET, then ANY). When routes match the path but none takes the
 * method, the answer is "method not allowed" with the methods that would be.
 *
 * Every structure here is indexed (hash maps and tries keyed by the path), so
 * lookup cost grows with the path's length, not with the number of APIs.
 * Regular expressions are narrowed by literals before any pattern runs (see
 * `regex-routes.ts`); only regexes without a literal the router can read
 * (`~\d+$`) are tried for every path that reaches them, and the constructs
 * warn about those at synth.
 */
import { ANY_METHODS, routeMethodsFor, type ApiConfig, type HttpMethod } from '../model';
import { RegexRoutes } from './regex-routes';

export type RouteMatch =
  | { readonly kind: 'found'; readonly api: ApiConfig; readonly params: Record<string, string>; readonly rest: string }
  | { readonly kind: 'methodNotAllowed'; readonly allow: readonly string[] }
  | { readonly kind: 'notFound' };

const NOT_FOUND: RouteMatch = { kind: 'notFound' };
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** APIs of one path, by route method (`ANY` included). */
type MethodTable = Map<string, ApiConfig>;

/** The API of `table` that serves a request whose preferred route methods are `methods`. HOT PATH */
function pick(table: MethodTable, methods: readonly HttpMethod[]): ApiConfig | undefined {
  for (let i = 0; i < methods.length; i++) {
    const api = table.get(methods[i] as string);
    if (api) return api;
  }
  return undefined;
}

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

  /** The longest prefix of `path` with a route for `methods` (see `pick`). */
  longest(path: string, methods: readonly HttpMethod[]): { api: ApiConfig; length: number } | undefined {
    let node: TrieNode | undefined = this.root;
    let best: ApiConfig | undefined;
    let bestLength = 0;
    for (let i = 0; ; i++) {
      if (node.table) {
        const api = pick(node.table, methods);
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
  /** Regex routes, by the request method they serve (see `addRegexes`). */
  private readonly regex = new Map<string, RegexRoutes>();
  private readonly plainExact = new Map<string, MethodTable>();
  private readonly plainPrefix = new PrefixTrie();

  constructor(apis: readonly ApiConfig[]) {
    for (const api of apis) this.add(api);
    this.addRegexes(apis.filter((a) => a.frontend.match === 'regex'));
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
        break; // all at once, in addRegexes
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

  /**
   * Regexes are tried in declaration order, each a path of its own; one
   * pattern declared for several methods is one path, where the method's
   * preference picks the route. So each request method gets the list of the
   * regex routes that take it, in declaration order, with one route per
   * pattern: the preferred one, at the place of the pattern's first route.
   */
  private addRegexes(apis: readonly ApiConfig[]): void {
    if (apis.length === 0) return;
    const compiled = new Map<string, RegExp>();
    for (const method of ANY_METHODS) {
      const preference = routeMethodsFor(method);
      const chosen = new Map<string, ApiConfig>();
      for (const api of apis) {
        const rank = preference.indexOf(api.frontend.method);
        if (rank < 0) continue;
        const held = chosen.get(api.frontend.path);
        // A Map keeps the first insertion's place when a later route replaces the value.
        if (!held || rank < preference.indexOf(held.frontend.method)) chosen.set(api.frontend.path, api);
      }
      if (chosen.size === 0) continue;
      const routes = new RegexRoutes();
      for (const [pattern, api] of chosen) {
        let re = compiled.get(pattern);
        if (!re) compiled.set(pattern, (re = new RegExp(pattern)));
        routes.add(pattern, api, re);
      }
      this.regex.set(method, routes);
    }
  }

  /**
   * Finds the API for a request. `path` is the normalised path (see
   * `normalize.ts`). `rest` is the part of the path after the matched prefix
   * for prefix and plain routes (empty otherwise).
   */
  find(method: string, path: string): RouteMatch {
    const found = this.lookup(method, path);
    if (found) return found;
    const allow = this.allowedMethods(path);
    return allow.length > 0 ? { kind: 'methodNotAllowed', allow } : NOT_FOUND;
  }

  /** Methods some route takes for this path (HEAD wherever GET is, all of them where ANY is), in `Allow` order. */
  allowedMethods(path: string): string[] {
    return ANY_METHODS.filter((m) => this.lookup(m, path) !== undefined);
  }

  private lookup(method: string, path: string): RouteMatch | undefined {
    const methods = routeMethodsFor(method);
    if (methods.length === 0) return undefined;
    const exactTable = this.exact.get(path);
    const exact = exactTable && pick(exactTable, methods);
    if (exact) return { kind: 'found', api: exact, params: NO_PARAMS, rest: '' };

    const prefix = this.prefix.longest(path, methods);
    if (prefix) return { kind: 'found', api: prefix.api, params: NO_PARAMS, rest: path.slice(prefix.length) };

    if (this.hasDynamic) {
      const params: Record<string, string> = {};
      const api = matchSegments(this.dynamic, path, 1, methods, params);
      if (api) return { kind: 'found', api, params, rest: '' };
    }

    const regex = this.regex.size > 0 ? this.regex.get(method) : undefined;
    if (regex) {
      const hit = regex.match(path);
      if (hit) return { kind: 'found', api: hit.api, params: hit.groups ? { ...hit.groups } : NO_PARAMS, rest: '' };
    }

    const plainTable = this.plainExact.get(path);
    const plain = plainTable && pick(plainTable, methods);
    if (plain) return { kind: 'found', api: plain, params: NO_PARAMS, rest: '' };
    const plainPrefix = this.plainPrefix.longest(path, methods);
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
  methods: readonly HttpMethod[],
  params: Record<string, string>,
): ApiConfig | undefined {
  if (start > path.length) return node.table && pick(node.table, methods);
  let end = path.indexOf('/', start);
  if (end === -1) end = path.length;
  const segment = path.slice(start, end);
  const literal = node.literals.get(segment);
  if (literal) {
    const api = matchSegments(literal, path, end + 1, methods, params);
    if (api) return api;
  }
  if (segment.length === 0) return undefined;
  for (const pattern of node.patterns) {
    const m = pattern.re.exec(segment);
    if (!m) continue;
    const api = matchSegments(pattern.node, path, end + 1, methods, params);
    if (api) {
      pattern.names.forEach((name, i) => (params[name] = m[i + 1] as string));
      return api;
    }
  }
  if (node.param) {
    const api = matchSegments(node.param.node, path, end + 1, methods, params);
    if (api) {
      params[node.param.name] = segment;
      return api;
    }
  }
  return undefined;
}

export { anchoredLiteralPrefix } from '../model';
