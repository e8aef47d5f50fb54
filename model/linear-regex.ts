/**
 * Regular expressions written by users (route regexes, `pattern` in request
 * body schemas) run on V8, which the gateway lets switch to its linear-time
 * engine after too much backtracking (`runtime/regex-engine.ts`). That engine
 * takes no backreferences and no lookaround, and only patterns compiled
 * without the `u` flag; star height is checked as well, so that a pattern is
 * fast on honest input before any fallback.
 */
import safeRegex from 'safe-regex2';

/** Longest regular expression accepted; longer ones are refused as a ReDoS risk. */
export const MAX_REGEX_LENGTH = 512;

/**
 * Checks that a regular expression compiles and cannot backtrack
 * catastrophically; `what` names such patterns in the message (`route regexes`).
 */
export function checkLinearRegex(pattern: string, what: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) return `regular expression is longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `regular expression does not compile: ${(err as Error).message}`;
  }
  // The gateway bounds matching time with V8's linear-time engine, which has neither.
  if (/\\[1-9]|\\k<|\(\?<?[=!]/.test(pattern))
    return `regular expression uses a backreference or lookaround; ${what} must run in linear time`;
  if (!safeRegex(pattern)) return 'regular expression can backtrack catastrophically (nested quantifiers); rewrite it';
  return undefined;
}
