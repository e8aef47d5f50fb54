import { Messages } from './messages';

type DurationUnit = 'millisecond' | 'second' | 'minute';

const MS_PER: Record<DurationUnit, number> = { millisecond: 1, second: 1000, minute: 60_000 };

/**
 * A length of time, for timeouts and grace periods.
 *
 * A negative or non-finite amount can never be a duration: the factory
 * throws at once, naming the call. Whether a duration fits a prop (a timeout
 * of at most 30 minutes) is checked at synth and reported with the construct.
 *
 * @example Duration.seconds(15)
 */
export class Duration {
  /** A duration of `n` milliseconds. */
  static millis(n: number): Duration {
    return new Duration(n, 'millisecond', 'Duration.millis');
  }
  /** A duration of `n` seconds. */
  static seconds(n: number): Duration {
    return new Duration(n, 'second', 'Duration.seconds');
  }
  /** A duration of `n` minutes. */
  static minutes(n: number): Duration {
    return new Duration(n, 'minute', 'Duration.minutes');
  }

  private constructor(
    private readonly amount: number,
    private readonly unit: DurationUnit,
    factory: string,
  ) {
    if (typeof amount !== 'number' || !Number.isFinite(amount))
      throw new Error(Messages.durationNotFinite(factory, amount));
    if (amount < 0) throw new Error(Messages.durationNegative(factory, amount));
  }

  /** The duration in whole milliseconds (rounded). */
  toMilliseconds(): number {
    return Math.round(this.amount * MS_PER[this.unit]);
  }

  /** The duration as written, for messages: `31 minutes`, `1 second`. */
  toString(): string {
    return Messages.quantity(this.amount, this.unit);
  }
}
