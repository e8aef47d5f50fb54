/** Runs jobs one at a time, in arrival order: applies, reverts and reloads never interleave. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    // A failed job must not stop the ones queued after it.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
