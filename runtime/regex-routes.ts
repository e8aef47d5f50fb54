/**
 * The regular-expression routes of one request method, tried in declaration order,
 * but narrowed before any pattern runs:
 *
 * - an anchored pattern (`^/user/...`) only for paths that start with its
 *   literal prefix (a character trie walked along the path);
 * - a pattern with a literal every match must contain (`/item(?<id>\d+)$` →
 *   `/item`; also `^/[a-z]+/orders/`, whose prefix is only `/`) only for paths
 *   that contain it (one Aho–Corasick pass over the path);
 * - a pattern with neither (`\d+$`) for every path that reaches this stage
 *   (the constructs warn about those at synth). See `routeRegexLiteral`.
 *
 * So the cost of a lookup grows with the path and the patterns it could
 * match, not with the number of regex routes.
 */
import './regex-engine';
import { routeRegexLiteral, type ApiConfig } from '../model';
import { SubstringIndex } from './substring-index';

interface RegexRoute {
  readonly order: number;
  readonly re: RegExp;
  readonly api: ApiConfig;
}

interface PrefixNode {
  readonly children: Map<number, PrefixNode>;
  routes: RegexRoute[] | undefined;
}

export class RegexRoutes {
  private count = 0;
  private readonly prefixes: PrefixNode = { children: new Map(), routes: undefined };
  private hasPrefixes = false;
  private readonly required = new SubstringIndex<RegexRoute[]>();
  private readonly always: RegexRoute[] = [];
  /** Scratch list of narrowed candidates, reused by every lookup (lookups are synchronous). */
  private readonly narrowed: RegexRoute[][] = [];

  /** `re` is the compiled `pattern` (one RegExp may serve several lists: `exec` without flags keeps no state). */
  add(pattern: string, api: ApiConfig, re = new RegExp(pattern)): void {
    const route: RegexRoute = { order: this.count++, re, api };
    const index = routeRegexLiteral(pattern);
    if (index === undefined) {
      this.always.push(route);
    } else if (index.kind === 'contains') {
      const routes = this.required.get(index.literal);
      if (routes) routes.push(route);
      else this.required.set(index.literal, [route]);
    } else {
      let node = this.prefixes;
      for (let i = 0; i < index.literal.length; i++) {
        const code = index.literal.charCodeAt(i);
        let next = node.children.get(code);
        if (!next) {
          next = { children: new Map(), routes: undefined };
          node.children.set(code, next);
        }
        node = next;
      }
      (node.routes ??= []).push(route);
      this.hasPrefixes = true;
    }
  }

  /** The first route (in declaration order) whose pattern matches `path`, with its named groups. HOT PATH */
  match(path: string): { api: ApiConfig; groups: Record<string, string> | undefined } | undefined {
    const narrowed = this.narrowed;
    narrowed.length = 0;
    if (this.hasPrefixes) {
      let node: PrefixNode | undefined = this.prefixes;
      for (let i = 0; node; i++) {
        if (node.routes) narrowed.push(node.routes);
        if (i === path.length) break;
        node = node.children.get(path.charCodeAt(i));
      }
    }
    if (this.required.size > 0) this.required.collect(path, narrowed);
    let candidates = this.always;
    if (narrowed.length === 1 && candidates.length === 0) candidates = narrowed[0] as RegexRoute[];
    else if (narrowed.length > 0) {
      candidates = candidates.concat(...narrowed);
      if (candidates.length > 1) candidates.sort(byOrder);
    }
    for (const route of candidates) {
      const m = route.re.exec(path);
      if (m) return { api: route.api, groups: m.groups };
    }
    return undefined;
  }
}

const byOrder = (a: RegexRoute, b: RegexRoute): number => a.order - b.order;
