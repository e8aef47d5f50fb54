/**
 * 500 unanchored regex routes cut non-matching traffic to about a quarter of
 * the one-route rate: every request that reached the regex stage ran every
 * unanchored regex, although the README said lookup does not slow down as
 * APIs are added. Unanchored regexes are now indexed by a literal every match
 * must contain; the router runs only those whose literal the path contains.
 * (No timings here: the test counts the regexes a lookup runs, and checks the
 * index against a plain scan on generated patterns.)
 */
import { parsePathSyntax, requiredLiteral, routeRegexLiteral, type ApiConfig } from '../../model';
import { Router } from '../../runtime/router';
import { api, gatewayConfig, mock } from '../helpers/config';
import { startGateway } from '../helpers/servers';
import { send } from './raw';

const route = (name: string, raw: string, method: ApiConfig['frontend']['method'] = 'GET'): ApiConfig => {
  const { match, path } = parsePathSyntax(raw);
  return { ...api(name, raw, mock(`"${name}"`)), frontend: { type: 'http', rawPath: raw, match, path, method } };
};

/** Regex executions during `fn`. */
function execsDuring(fn: () => void): number {
  const exec = jest.spyOn(RegExp.prototype, 'exec');
  try {
    fn();
    return exec.mock.calls.length;
  } finally {
    exec.mockRestore();
  }
}

describe('500 unanchored regex routes', () => {
  const apis = [route('plain', '/plain'), route('exact', '=/exact')];
  for (let i = 0; i < 500; i++) apis.push(route(`r${i}`, `~/item${i}/(?<id>[0-9]+)$`));
  const router = new Router(apis);

  it.each([
    ['a path no regex can match', '/nothing/here', 'notFound'],
    ['a plain route after the regex stage', '/plain/sub', 'plain'],
  ])('%s runs no regex', (_name, path, served) => {
    let result: ReturnType<Router['find']> | undefined;
    const execs = execsDuring(() => (result = router.find('GET', path)));
    expect(result?.kind === 'found' ? result.api.name : result?.kind).toBe(served);
    expect(execs).toBe(0);
  });

  it('a path runs only the regexes whose literal it contains, and matches the right one', () => {
    let result: ReturnType<Router['find']> | undefined;
    const execs = execsDuring(() => (result = router.find('GET', '/shop/item250/42')));
    expect(result).toMatchObject({ kind: 'found', api: { name: 'r250' }, params: { id: '42' } });
    // `/item2`, `/item25` and `/item250` are all in the path; `/item2/`-style literals are not.
    expect(execs).toBeLessThanOrEqual(3);
  });

  it('through a running gateway: the regex and the plain route are served', async () => {
    const id = { name: 'id', in: 'path' as const, type: 'int' as const, required: true };
    const gw = await startGateway(
      gatewayConfig([
        api('plain', '/plain', mock('"plain"')),
        ...apis.slice(2).map((a) => ({ ...a, parameters: [id] })),
      ]),
    );
    try {
      const get = (p: string) => send(gw.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect((await get('/item499/7')).body).toBe('"r499"');
      expect((await get('/plain/x')).body).toBe('"plain"');
      expect((await get('/nothing')).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});

/** A seeded generator of small regexes with a string each regex matches. */
function generator(seed: number) {
  let s = seed >>> 0;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const chars = 'ab/-_.~';
  const atom = (depth: number): [string, () => string] => {
    switch (rnd(depth > 1 ? 4 : 7)) {
      case 0:
      case 1: {
        const c = chars[rnd(chars.length)] as string;
        return c === '.' ? ['\\.', () => '.'] : [c, () => c];
      }
      case 2:
        return ['[ab]', () => 'ab'[rnd(2)] as string];
      case 3:
        return ['\\d', () => String(rnd(10))];
      case 4:
        return ['.', () => 'xyz'[rnd(3)] as string];
      case 5: {
        const [p, g] = sequence(depth + 1);
        return [`(${p})`, g];
      }
      default: {
        const [p1, g1] = sequence(depth + 1);
        const [p2, g2] = sequence(depth + 1);
        return [`(?:${p1}|${p2})`, () => (rnd(2) ? g1() : g2())];
      }
    }
  };
  const quantified = (depth: number): [string, () => string] => {
    const [p, g] = atom(depth);
    const rep = (min: number, max: number) => () => Array.from({ length: min + rnd(max - min + 1) }, g).join('');
    switch (rnd(8)) {
      case 0:
        return [`${p}?`, rep(0, 1)];
      case 1:
        return [`${p}*`, rep(0, 2)];
      case 2:
        return [`${p}+`, rep(1, 2)];
      case 3:
        return [`${p}{2}`, rep(2, 2)];
      case 4:
        return [`${p}{0,2}`, rep(0, 2)];
      default:
        return [p, g];
    }
  };
  const sequence = (depth: number): [string, () => string] => {
    const parts = Array.from({ length: 1 + rnd(5) }, () => quantified(depth));
    return [parts.map((x) => x[0]).join(''), () => parts.map((x) => x[1]()).join('')];
  };
  return { sequence: () => sequence(0), rnd };
}

describe('the required literal is always required (generated patterns)', () => {
  it('for 3,000 patterns, every generated match contains the literal', () => {
    const g = generator(15);
    let withLiteral = 0;
    for (let i = 0; i < 3000; i++) {
      const [pattern, sample] = g.sequence();
      const literal = requiredLiteral(pattern);
      if (literal !== undefined) withLiteral++;
      const re = new RegExp(pattern);
      for (let k = 0; k < 5; k++) {
        const text = `x${sample()}y`;
        expect(re.test(text)).toBe(true);
        if (literal !== undefined && !text.includes(literal))
          throw new Error(`${pattern} → "${literal}" but matches "${text}"`);
      }
    }
    expect(withLiteral).toBeGreaterThan(1000);
  });

  it('the router finds what a plain scan in declaration order finds (300 anchored and unanchored patterns)', () => {
    const g = generator(7);
    // A third anchored (`^/...`), the rest unanchored; every seventh for another method.
    const patterns = Array.from({ length: 300 }, (_, i): [string, () => string] => {
      const [p, sample] = g.sequence();
      return [i % 3 === 0 ? `^/${p}` : p, sample];
    });
    const routes = patterns.map(([p], i) => route(`r${i}`, `~${p}`, i % 7 === 0 ? 'POST' : 'GET'));
    const router = new Router(routes);
    for (let i = 0; i < 2000; i++) {
      const [, sample] = patterns[g.rnd(patterns.length)] as [string, () => string];
      const path = `/${sample()}${g.rnd(2) ? '/z' : ''}`;
      const expected = routes.find((r) => r.frontend.method === 'GET' && new RegExp(r.frontend.path).test(path));
      const found = router.find('GET', path);
      expect(found.kind === 'found' ? found.api.name : undefined).toBe(expected?.name);
    }
  });
});

describe('requiredLiteral', () => {
  it.each([
    ['/item(?<id>[0-9]+)$', '/item'],
    ['/a/b\\.json', '/a/b.json'],
    ['/users?/x', '/user'], // `s` is optional: `/user` and `/x` are the runs, the longer wins
    ['/ab+c', '/ab'],
    ['\\d+/orders/\\d+', '/orders/'],
    ['ab{0,3}cd', 'cd'],
    ['/x\\x41yz', '/x'],
    ['[a-z]+', undefined],
    ['/a|/b', undefined],
    ['(foo|bar)baz', 'baz'],
  ])('%s → %s', (pattern, literal) => {
    expect(requiredLiteral(pattern)).toBe(literal);
  });
});

describe('routeRegexLiteral (what the router indexes; the constructs warn when undefined)', () => {
  it.each([
    ['^/user/[0-9]+$', { kind: 'prefix', literal: '/user/' }],
    ['^/[a-z]+/orders/\\d+', { kind: 'contains', literal: '/orders/' }],
    ['/item(?<id>\\d+)$', { kind: 'contains', literal: '/item' }],
    ['\\d+$', undefined],
    ['^/[a-z]+$', undefined],
    ['/a|/b', undefined],
  ])('%s → %j', (pattern, index) => {
    expect(routeRegexLiteral(pattern)).toEqual(index);
  });
});
