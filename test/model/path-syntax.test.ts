import { formatPathSyntax, parsePathSyntax } from '../../model';

describe('parsePathSyntax', () => {
  test.each([
    ['=/user', 'exact', '/user'],
    ['^~/user', 'prefix', '/user'],
    ['/user/{id}', 'param', '/user/{id}'],
    ['/user', 'plain', '/user'],
    ['~^/user/[0-9]+$', 'regex', '^/user/[0-9]+$'],
  ])('%s is %s', (raw, match, path) => {
    expect(parsePathSyntax(raw)).toEqual({ match, path });
    expect(formatPathSyntax(parsePathSyntax(raw).match, path)).toBe(raw);
  });

  test('a path without a leading slash is refused', () => {
    expect(() => parsePathSyntax('user')).toThrow('"user" must start with "/"');
    expect(() => parsePathSyntax('=user')).toThrow('must start with "/"');
  });

  test('an empty regular expression is refused', () => {
    expect(() => parsePathSyntax('~')).toThrow('needs a regular expression');
  });
});
