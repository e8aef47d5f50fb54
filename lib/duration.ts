/**
 * A length of time, for timeouts and grace periods.
 *
 * @example Duration.seconds(15)
 */
export class Duration {
  /** A duration of `n` milliseconds. */
  static millis(n: number): Duration {
    return new Duration(n);
  }
  /** A duration of `n` seconds. */
  static seconds(n: number): Duration {
    return new Duration(n * 1000);
  }
  /** A duration of `n` minutes. */
  static minutes(n: number): Duration {
    return new Duration(n * 60_000);
  }

  private constructor(private readonly ms: number) {}

  /** The duration in whole milliseconds (rounded). */
  toMilliseconds(): number {
    return Math.round(this.ms);
  }
}
