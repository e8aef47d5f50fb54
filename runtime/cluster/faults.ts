/**
 * Fault injection for the tests of a multi-worker process: `APIGW_TEST_FAULTS`
 * (comma-separated; never set it in production):
 *
 * - `crash-on-sigusr2`: SIGUSR2 makes worker 0 throw an uncaught error, the
 *   crash the coordinator must log and replace;
 * - `crash-on-prepare:N`: worker N throws an uncaught error when it is asked
 *   to compile a config change (not its first config), so the change fails
 *   on one worker only.
 */
export interface Faults {
  readonly crashOnSigusr2: boolean;
  readonly crashOnPrepare: number | undefined;
}

export function parseFaults(env: NodeJS.ProcessEnv): Faults {
  const names = (env.APIGW_TEST_FAULTS ?? '').split(',').map((f) => f.trim());
  const prepare = names.find((n) => n.startsWith('crash-on-prepare:'));
  return {
    crashOnSigusr2: names.includes('crash-on-sigusr2'),
    crashOnPrepare: prepare === undefined ? undefined : Number(prepare.slice('crash-on-prepare:'.length)),
  };
}
