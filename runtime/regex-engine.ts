/**
 * Route regular expressions run on V8's backtracking engine, which a hostile
 * path can drive into exponential time even for patterns that pass the
 * star-height check at synth (for example `(a|aa)+$`). V8 can switch a
 * regexp to its linear-time engine once it has backtracked too much; that
 * engine needs patterns without backreferences and lookaround, which the
 * config rules refuse in route regexes. Importing this module turns the
 * switch on for every regexp compiled afterwards.
 */
import { setFlagsFromString } from 'node:v8';

/** Backtracks allowed before the linear engine takes over: plenty for honest paths. */
export const BACKTRACKS_BEFORE_FALLBACK = 10_000;

setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
