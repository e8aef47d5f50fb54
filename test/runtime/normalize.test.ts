import { normalizeTarget } from '../../runtime/normalize';

const path = (t: string): string => {
  const r = normalizeTarget(t);
  return r.ok ? r.path : `error: ${r.reason}`;
};

describe('normalizeTarget', () => {
  it.each([
    ['/a/b', '/a/b'],
    ['/a//b///c', '/a/b/c'],
    ['/a/./b/../c', '/a/c'],
    ['/prefix/../admin', '/admin'],
    ['/%2e%2e/%2E%2e/etc', '/etc'],
    ['/a/%7Euser', '/a/~user'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/A/B/', '/A/B/'],
    ['/../../x', '/x'],
    ['/a/b/..', '/a/'],
    ['/sp%20ace', '/sp%20ace'],
  ])('%s → %s', (target, expected) => {
    expect(path(target)).toBe(expected);
  });

  it('splits the query and keeps it raw', () => {
    expect(normalizeTarget('/a?x=1&y=%20')).toEqual({ ok: true, path: '/a', query: 'x=1&y=%20' });
  });

  it('accepts absolute-form targets and ignores their authority', () => {
    expect(normalizeTarget('http://evil.example/admin?q')).toEqual({ ok: true, path: '/admin', query: 'q' });
  });

  it.each(['*', 'a/b', '/a#frag', '/a%zz', '/a%2', '/a%2Fb', '/a%5c', '/a\\b', '/%c0%ae', '/%ff', '/a%00'])(
    'rejects %s',
    (target) => {
      const r = normalizeTarget(target);
      expect(r.ok).toBe(false);
      expect(r).not.toHaveProperty('location');
    },
  );

  it('with escapedSlashes: redirect, names the unescaped, normalised path', () => {
    expect(normalizeTarget('/a/..%2F..%5Cb\\c?q', 'redirect')).toMatchObject({ ok: false, location: '/b/c?q' });
  });
});
