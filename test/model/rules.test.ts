import { checkRouteRegex } from '../../model/rules';

describe('route regular expressions', () => {
  it.each(['^/users/(?<id>\\d+)$', '^/r/(a|aa)+$', '^/files/.*\\.png$'])('accepts %s', (pattern) => {
    expect(checkRouteRegex(pattern)).toBeUndefined();
  });

  it.each([
    ['^/r/(a+)+$', 'catastrophically'],
    ['^/(\\w+)/\\1$', 'backreference or lookaround'],
    ['^/(?<a>\\w+)/\\k<a>$', 'backreference or lookaround'],
    ['^/a(?=b)', 'backreference or lookaround'],
    ['^/a(?!b)', 'backreference or lookaround'],
    ['^/(?<=a)b', 'backreference or lookaround'],
    ['^/(?<!a)b', 'backreference or lookaround'],
    ['^/(', 'does not compile'],
    ['^/' + 'a'.repeat(600), 'longer than'],
  ])('refuses %s (%s)', (pattern, problem) => {
    expect(checkRouteRegex(pattern)).toContain(problem);
  });
});
