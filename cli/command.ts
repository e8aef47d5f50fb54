/** One `apigw` command. */
export interface Command {
  /** Runs with the arguments after the command name; resolves to the exit code, or -1 to keep running. */
  run(args: string[]): Promise<number>;
}
