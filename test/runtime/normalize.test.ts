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
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
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

  it.each(['*', 'a/b', '/a#frag', '/a%zz', '/a%2'])('rejects %s', (target) => {
    expect(normalizeTarget(target).ok).toBe(false);
  });
});
