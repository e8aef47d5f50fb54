/** The frontend path of an API and how it is matched. */
import { formatPathSyntax, parsePathSyntax, type MatchMode } from '../model';

/**
 * A frontend path. Write it in the document's syntax with {@link ApiPath.parse}
 * (or pass the string straight to `path`), or say the match mode explicitly:
 *
 * | syntax              | typed                         | matches                                |
 * |---------------------|-------------------------------|----------------------------------------|
 * | `=/user`            | `ApiPath.exact('/user')`      | only `/user` (highest priority)        |
 * | `^~/user`           | `ApiPath.prefix('/user')`     | paths starting with `/user` (second)   |
 * | `/user/{id}`        | `ApiPath.template('/user/{id}')` | `/user/42`, one segment per param (third) |
 * | `~^/user/[0-9]+$`   | `ApiPath.regex('^/user/[0-9]+$')` | the regular expression (fourth)   |
 * | `/user`             | `ApiPath.plain('/user')`      | `/user`, `/usertest`, `/user/a` (last) |
 */
export class ApiPath {
  /** Parses the document's syntax. Errors are reported at synth, with the API's path. */
  static parse(raw: string): ApiPath {
    return new ApiPath(raw);
  }
  /** Exact match (`=/user`). */
  static exact(path: string): ApiPath {
    return new ApiPath(formatPathSyntax('exact', path));
  }
  /** Prefix match (`^~/user`); the longest prefix wins. */
  static prefix(path: string): ApiPath {
    return new ApiPath(formatPathSyntax('prefix', path));
  }
  /** A path with `{param}` segments (`/user/{id}`). */
  static template(path: string): ApiPath {
    return new ApiPath(path);
  }
  /** A JavaScript regular expression over the normalised path; named groups become path parameters. */
  static regex(pattern: string): ApiPath {
    return new ApiPath(formatPathSyntax('regex', pattern));
  }
  /** Exact-or-prefix match (`/user` also serves `/usertest`). */
  static plain(path: string): ApiPath {
    return new ApiPath(path);
  }

  private constructor(
    /** The path in the document's syntax. */
    readonly raw: string,
  ) {}

  /** The match mode and bare path, or the reason the syntax is invalid. */
  resolve(): { match: MatchMode; path: string } | { error: string } {
    try {
      return parsePathSyntax(this.raw);
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
}
