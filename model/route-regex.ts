/**
 * What a route regex's source says about every path it can match, so that
 * the router can skip a regex without running it: the literal an anchored
 * pattern starts with, and a literal any match must contain. Both read the
 * source conservatively: whatever they do not understand ends the literal, so
 * a literal they return is always required (they may miss one, never invent
 * one). Shared by the runtime's router and by the constructs, which warn at
 * synth about regexes that give the router nothing to index.
 */

/**
 * How the router narrows a regex route: by the literal every matching path
 * starts with, or by one it contains, whichever is longer; undefined when the
 * pattern offers neither (beyond a lone `/`, which every path has), and the
 * route is tried for every path that reaches the regex stage.
 */
export function routeRegexLiteral(pattern: string): { kind: 'prefix' | 'contains'; literal: string } | undefined {
  const prefix = anchoredLiteralPrefix(pattern) ?? '';
  const contained = requiredLiteral(pattern) ?? '';
  if (Math.max(prefix.length, contained.length) < 2) return undefined;
  return prefix.length >= contained.length
    ? { kind: 'prefix', literal: prefix }
    : { kind: 'contains', literal: contained };
}

/**
 * The literal text an anchored pattern (`^/user/...`) requires at the start of
 * the path, or undefined when the pattern is not anchored or starts with an
 * alternation that could match elsewhere.
 */
export function anchoredLiteralPrefix(pattern: string): string | undefined {
  if (!pattern.startsWith('^') || pattern.includes('|')) return undefined;
  let literal = '';
  for (let i = 1; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    const next = pattern[i + 1];
    // A quantifier after this character makes it optional or repeated: stop before it.
    if (next === '*' || next === '?' || next === '{') break;
    if (ch === '\\') {
      const escaped = pattern[i + 1];
      if (escaped !== undefined && /[/.\-_~]/.test(escaped) && !/[*?{+]/.test(pattern[i + 2] ?? '')) {
        literal += escaped;
        i++;
        continue;
      }
      break;
    }
    if (/[A-Za-z0-9/_~-]/.test(ch)) {
      if (next === '+') {
        literal += ch;
        break;
      }
      literal += ch;
      continue;
    }
    break;
  }
  return literal;
}

/**
 * The longest run of literal characters that every match of `pattern` must
 * contain, or undefined when there is none the reading below can prove (a
 * top-level `|`, or nothing but classes, groups and escapes).
 *
 * Only top-level atoms count: a group or a class ends the run, a character
 * made optional by `?`, `*` or `{0,...}` is dropped, one repeated by `+` or
 * `{n,...}` ends the run after it. An escape that is not a plain escaped
 * punctuation character (`\x41`, `\u0041`, `\p{L}`, `\k<n>`, `\c`) ends the
 * reading altogether.
 */
export function requiredLiteral(pattern: string): string | undefined {
  if (hasTopLevelAlternation(pattern)) return undefined;
  let best = '';
  let run = '';
  const commit = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) break;
      if (/[A-Za-z0-9]/.test(e)) {
        if (/[xupPkc]/.test(e)) {
          commit();
          return best || undefined; // escapes with arguments: stop reading
        }
        commit(); // \d, \w, \s, \b, \n ...: not one known character
        i += 2;
        i = skipQuantifier(pattern, i);
        continue;
      }
      run += e;
      i += 2;
    } else if (ch === '(' || ch === '[') {
      commit();
      i = ch === '(' ? skipGroup(pattern, i) : skipClass(pattern, i);
      if (i < 0) return best || undefined;
      i = skipQuantifier(pattern, i);
      continue;
    } else if ('.^$)]|'.includes(ch)) {
      commit();
      i++;
      i = ch === '.' ? skipQuantifier(pattern, i) : i;
      continue;
    } else if (ch === '*' || ch === '?' || ch === '+' || ch === '{') {
      // A quantifier not consumed above: it applies to the last character of the run.
      const q = quantifierAt(pattern, i);
      if (!q) {
        commit(); // a `{` that is not a quantifier: leave it out
        i++;
        continue;
      }
      if (q.min === 0) run = run.slice(0, -1);
      commit();
      i = q.end;
      continue;
    } else {
      run += ch;
      i++;
    }
  }
  commit();
  return best || undefined;
}

function hasTopLevelAlternation(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if (ch === '[') {
      i = skipClass(pattern, i) - 1;
      if (i < 0) return true; // unreadable: assume the worst
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) return true;
  }
  return false;
}

/** Index after the class starting at `start` (`[`), or -1. */
function skipClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++; // `[]]` is not a thing in JS, but never read past an unclosed class
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i + 1;
  }
  return -1;
}

/** Index after the group starting at `start` (`(`), or -1. */
function skipGroup(pattern: string, start: number): number {
  let depth = 0;
  for (let i = start; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if (ch === '[') {
      i = skipClass(pattern, i) - 1;
      if (i < 0) return -1;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

function quantifierAt(pattern: string, i: number): { min: number; end: number } | undefined {
  const ch = pattern[i];
  let min: number;
  let end: number;
  if (ch === '*' || ch === '?') [min, end] = [0, i + 1];
  else if (ch === '+') [min, end] = [1, i + 1];
  else if (ch === '{') {
    const m = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
    if (!m) return undefined;
    [min, end] = [Number(m[1]), i + m[0].length];
  } else return undefined;
  if (pattern[end] === '?') end++; // lazy
  return { min, end };
}

function skipQuantifier(pattern: string, i: number): number {
  return quantifierAt(pattern, i)?.end ?? i;
}
