/**
 * Finds which of many literals occur in a string in one pass over the string
 * (Aho–Corasick): the cost grows with the string's length, not with the number
 * of literals. The router uses it to pick the regex routes whose required
 * literal the path contains, instead of running every regex.
 */
/** Up to this many literals, a lookup tries each with `includes` instead of the automaton (measured: faster below ~16). */
const FEW = 8;

export class SubstringIndex<T> {
  private readonly goto: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** Literal ids that end at each state, including those reached through failure links. */
  private readonly out: number[][] = [[]];
  private readonly values: T[] = [];
  private readonly ids = new Map<string, number>();
  /** The literals by id, for the few-literals path. */
  private readonly literals: string[] = [];
  private built = false;
  /** Per-scan stamps, so that a literal found twice is reported once. */
  private marks = new Uint32Array(0);
  private stamp = 0;

  get size(): number {
    return this.values.length;
  }

  /** The value stored for `literal`, or undefined. */
  get(literal: string): T | undefined {
    const id = this.ids.get(literal);
    return id === undefined ? undefined : this.values[id];
  }

  /** Stores `value` for a non-empty `literal`; call before the first scan. */
  set(literal: string, value: T): void {
    if (this.built) throw new Error('SubstringIndex is read-only once scanned');
    const known = this.ids.get(literal);
    if (known !== undefined) {
      this.values[known] = value;
      return;
    }
    const id = this.values.length;
    this.values.push(value);
    this.literals.push(literal);
    this.ids.set(literal, id);
    let state = 0;
    for (let i = 0; i < literal.length; i++) {
      const code = literal.charCodeAt(i);
      let next = this.goto[state]?.get(code);
      if (next === undefined) {
        next = this.goto.length;
        this.goto.push(new Map());
        this.fail.push(0);
        this.out.push([]);
        this.goto[state]?.set(code, next);
      }
      state = next;
    }
    this.out[state]?.push(id);
  }

  /** Appends to `into` the value of every stored literal that occurs in `text`, once each. HOT PATH */
  collect(text: string, into: T[]): void {
    // A few literals: `includes` (vectorised in V8) beats walking the automaton.
    if (this.values.length <= FEW) {
      for (let id = 0; id < this.literals.length; id++) {
        if (text.includes(this.literals[id] as string)) into.push(this.values[id] as T);
      }
      return;
    }
    if (!this.built) this.build();
    if (++this.stamp === 0xffffffff) {
      this.marks.fill(0);
      this.stamp = 1;
    }
    const { goto, fail, out, marks, values, stamp } = this;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      let next = (goto[state] as Map<number, number>).get(code);
      while (next === undefined && state !== 0) {
        state = fail[state] as number;
        next = (goto[state] as Map<number, number>).get(code);
      }
      state = next ?? 0;
      const ids = out[state] as number[];
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k] as number;
        if (marks[id] === stamp) continue;
        marks[id] = stamp;
        into.push(values[id] as T);
      }
    }
  }

  /** Failure links, breadth first (the classic construction). */
  private build(): void {
    this.built = true;
    this.marks = new Uint32Array(this.values.length);
    const queue: number[] = [];
    for (const child of (this.goto[0] as Map<number, number>).values()) {
      this.fail[child] = 0;
      queue.push(child);
    }
    for (let q = 0; q < queue.length; q++) {
      const state = queue[q] as number;
      for (const [code, child] of this.goto[state] as Map<number, number>) {
        queue.push(child);
        let f = this.fail[state] as number;
        while (f !== 0 && !(this.goto[f] as Map<number, number>).has(code)) f = this.fail[f] as number;
        const target = (this.goto[f] as Map<number, number>).get(code);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        (this.out[child] as number[]).push(...(this.out[this.fail[child] as number] as number[]));
      }
    }
  }
}
