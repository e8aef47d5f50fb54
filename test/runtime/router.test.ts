/** The match order of the README, pinned: exact, prefix, dynamic, regex, plain. */
import type { ApiConfig } from '../../model';
import { Router, anchoredLiteralPrefix } from '../../runtime/router';
import { api, mock } from '../helpers/config';

const route = (name: string, raw: string, method: ApiConfig['frontend']['method'] = 'GET'): ApiConfig => {
  const a = api(name, raw, mock(name));
  return { ...a, frontend: { ...a.frontend, method } };
};

function served(router: Router, path: string, method = 'GET'): string {
  const m = router.find(method, path);
  return m.kind === 'found' ? m.api.name : m.kind;
}

describe('Router match order', () => {
  const router = new Router([
    route('plain', '/user'),
    route('regex', '~^/user/[0-9]+$'),
    route('dynamic', '/user/{id}'),
    route('prefix', '^~/user'),
    route('exact', '=/user'),
    route('prefixLonger', '^~/user/admin'),
    route('regexLate', '~^/u'),
  ]);

  it('serves exact before every other mode', () => {
    expect(served(router, '/user')).toBe('exact');
  });

  it('serves the longest prefix before dynamic, regex and plain', () => {
    expect(served(router, '/user/42')).toBe('prefix');
    expect(served(router, '/user/admin/x')).toBe('prefixLonger');
    expect(served(router, '/usertest')).toBe('prefix');
  });

  it('serves dynamic before regex and plain, and regexes in declaration order before plain', () => {
    const r = new Router([
      route('plain', '/user'),
      route('re1', '~^/user/[0-9]+$'),
      route('re2', '~^/user/'),
      route('dyn', '/user/{id}'),
    ]);
    expect(served(r, '/user/42')).toBe('dyn');
    expect(served(r, '/user/42/x')).toBe('re2');
    expect(served(r, '/usertest')).toBe('plain');
    const byOrder = new Router([route('second', '~^/a/b'), route('first', '~^/a')]);
    expect(served(byOrder, '/a/b')).toBe('second');
  });

  it('matches plain paths exactly or as a plain string prefix, longest first', () => {
    const r = new Router([route('user', '/user'), route('userTest', '/user/test')]);
    expect(served(r, '/user')).toBe('user');
    expect(served(r, '/usertest')).toBe('user');
    expect(served(r, '/user/test/a')).toBe('userTest');
    expect(served(r, '/other')).toBe('notFound');
  });

  it('prefers a literal segment over a parameter, and backtracks on a dead end', () => {
    const r = new Router([
      route('byId', '/pets/{id}/toys'),
      route('mine', '/pets/mine'),
      route('ofOwner', '/pets/mine/{x}'),
    ]);
    expect(served(r, '/pets/mine')).toBe('mine');
    expect(served(r, '/pets/7/toys')).toBe('byId');
    expect(served(r, '/pets/mine/toys')).toBe('ofOwner');
    const m = r.find('GET', '/pets/7/toys');
    expect(m.kind === 'found' && m.params).toEqual({ id: '7' });
  });

  it('extracts mixed segments and regex named groups as parameters', () => {
    const r = new Router([route('file', '/files/{name}.json'), route('order', '~^/orders/(?<number>[0-9]+)$')]);
    const f = r.find('GET', '/files/report.json');
    expect(f.kind === 'found' && f.params).toEqual({ name: 'report' });
    const o = r.find('GET', '/orders/12');
    expect(o.kind === 'found' && o.params).toEqual({ number: '12' });
  });

  it('returns the rest of the path for prefix and plain routes', () => {
    const r = new Router([route('p', '^~/static/'), route('plain', '/api')]);
    const p = r.find('GET', '/static/a/b.css');
    expect(p.kind === 'found' && p.rest).toBe('a/b.css');
    const q = r.find('GET', '/api/v1');
    expect(q.kind === 'found' && q.rest).toBe('/v1');
  });

  it('falls through to a lower-priority route that takes the method, else answers 405 with the allowed methods', () => {
    const r = new Router([route('post', '=/login', 'POST'), route('all', '^~/', 'GET')]);
    expect(served(r, '/login', 'GET')).toBe('all');
    const only = new Router([route('post', '=/login', 'POST'), route('put', '/login', 'PUT')]);
    const m = only.find('DELETE', '/login');
    expect(m).toEqual({ kind: 'methodNotAllowed', allow: ['POST', 'PUT'] });
  });

  it('serves HEAD with the GET route and lists HEAD wherever GET is allowed', () => {
    const r = new Router([route('get', '=/x')]);
    expect(served(r, '/x', 'HEAD')).toBe('get');
    expect(r.find('POST', '/x')).toEqual({ kind: 'methodNotAllowed', allow: ['GET', 'HEAD'] });
  });

  it('serves every method of an ANY route, and TRACE or unknown methods from none', () => {
    const r = new Router([route('any', '=/x', 'ANY')]);
    for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
      expect(served(r, '/x', m)).toBe('any');
    expect(r.find('TRACE', '/x')).toEqual({
      kind: 'methodNotAllowed',
      allow: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    });
    expect(served(r, '/x', 'PROPFIND')).toBe('methodNotAllowed');
  });

  it.each([
    ['exact', '=/a/b'],
    ['prefix', '^~/a/'],
    ['dynamic', '/a/{id}'],
    ['regex', '~^/a/'],
    ['plain', '/a/b'],
  ])('prefers the route of the method to ANY at the same %s path, whichever is declared first', (_mode, raw) => {
    for (const routes of [
      [route('any', raw, 'ANY'), route('get', raw, 'GET'), route('patch', raw, 'PATCH')],
      [route('patch', raw, 'PATCH'), route('get', raw, 'GET'), route('any', raw, 'ANY')],
    ]) {
      const r = new Router(routes);
      expect(served(r, '/a/b', 'GET')).toBe('get');
      expect(served(r, '/a/b', 'PATCH')).toBe('patch');
      expect(served(r, '/a/b', 'DELETE')).toBe('any');
      expect(served(r, '/a/b', 'HEAD')).toBe('get');
    }
  });

  it('picks the path first and the method second: a higher-priority ANY route beats a lower GET one', () => {
    const r = new Router([
      route('prefixGet', '^~/x'),
      route('exactAny', '=/x', 'ANY'),
      route('allPost', '^~/', 'POST'),
    ]);
    expect(served(r, '/x', 'GET')).toBe('exactAny');
    expect(served(r, '/x/y', 'GET')).toBe('prefixGet');
    expect(served(r, '/x/y', 'POST')).toBe('allPost');
    // Regexes in declaration order, whatever their methods.
    const re = new Router([route('first', '~^/r', 'ANY'), route('second', '~^/r/s', 'GET')]);
    expect(served(re, '/r/s', 'GET')).toBe('first');
  });

  it('serves HEAD with the HEAD route, else the GET route, else ANY, at the highest-priority path', () => {
    expect(
      served(new Router([route('head', '=/h', 'HEAD'), route('get', '=/h'), route('any', '=/h', 'ANY')]), '/h', 'HEAD'),
    ).toBe('head');
    expect(served(new Router([route('any', '=/h', 'ANY'), route('get', '=/h')]), '/h', 'HEAD')).toBe('get');
    expect(served(new Router([route('get', '=/h'), route('all', '^~/', 'HEAD')]), '/h', 'HEAD')).toBe('get');
  });

  it('serves OPTIONS and PATCH routes, and lists them in Allow', () => {
    const r = new Router([route('options', '=/o', 'OPTIONS'), route('patch', '=/o', 'PATCH')]);
    expect(served(r, '/o', 'OPTIONS')).toBe('options');
    expect(r.find('GET', '/o')).toEqual({ kind: 'methodNotAllowed', allow: ['PATCH', 'OPTIONS'] });
  });

  it('finds the right route among thousands of each mode', () => {
    const apis: ApiConfig[] = [];
    for (let i = 0; i < 2000; i++) {
      apis.push(route(`e${i}`, `=/e/${i}`), route(`p${i}`, `^~/p/${i}/`), route(`d${i}`, `/d/${i}/{id}`));
      apis.push(route(`r${i}`, `~^/r/${i}/[a-z]+$`), route(`l${i}`, `/l/${i}`));
    }
    const r = new Router(apis);
    expect(served(r, '/e/1999')).toBe('e1999');
    expect(served(r, '/p/7/x')).toBe('p7');
    expect(served(r, '/d/1234/9')).toBe('d1234');
    expect(served(r, '/r/1500/abc')).toBe('r1500');
    expect(served(r, '/r/1500/123')).toBe('notFound');
    expect(served(r, '/l/42/more')).toBe('l42');
  });
});

describe('anchoredLiteralPrefix', () => {
  it.each([
    ['^/user/[0-9]+$', '/user/'],
    ['^/a\\.b/c', '/a.b/c'],
    ['^/users?', '/user'],
    ['^/x+', '/x'],
    ['/user', undefined],
    ['^/a|^/b', undefined],
  ])('%s → %s', (pattern, literal) => {
    expect(anchoredLiteralPrefix(pattern)).toBe(literal);
  });
});
