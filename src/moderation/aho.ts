/**
 * Aho–Corasick automaton over UTF-16 code units: every term of every rule is found in one
 * linear pass over the comment, whatever the number of terms (a 5,000-word blocklist costs the
 * same scan as five words). Matching time is O(text length + matches), so it is bounded.
 */

export interface Hit {
  readonly pattern: number;
  /** [start, end) in code units. */
  readonly start: number;
  readonly end: number;
}

export class Automaton {
  /** Per state: code unit → next state. */
  private readonly next: Array<Map<number, number>> = [new Map()];
  private fail: Int32Array = new Int32Array(1);
  /** Per state: patterns ending here (own and via the dictionary suffix chain). */
  private out: Array<number[] | undefined> = [undefined];
  private readonly lengths: number[] = [];
  private built = false;

  /** Adds a pattern and returns its id (ids are dense, in insertion order). */
  add(pattern: string): number {
    if (this.built) throw new Error('Automaton already built');
    let state = 0;
    for (let i = 0; i < pattern.length; i++) {
      const code = pattern.charCodeAt(i);
      const transitions = this.next[state] as Map<number, number>;
      let to = transitions.get(code);
      if (to === undefined) {
        to = this.next.length;
        this.next.push(new Map());
        this.out.push(undefined);
        transitions.set(code, to);
      }
      state = to;
    }
    const id = this.lengths.length;
    this.lengths.push(pattern.length);
    const existing = this.out[state];
    if (existing) existing.push(id);
    else this.out[state] = [id];
    return id;
  }

  get size(): number {
    return this.lengths.length;
  }

  build(): this {
    const fail = new Int32Array(this.next.length);
    const queue: number[] = [];
    for (const to of (this.next[0] as Map<number, number>).values()) {
      fail[to] = 0;
      queue.push(to);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      for (const [code, to] of this.next[state] as Map<number, number>) {
        queue.push(to);
        let f = fail[state] as number;
        while (f !== 0 && !(this.next[f] as Map<number, number>).has(code)) f = fail[f] as number;
        const target = (this.next[f] as Map<number, number>).get(code);
        fail[to] = target !== undefined && target !== to ? target : 0;
        const inherited = this.out[fail[to] as number];
        if (inherited) {
          const own = this.out[to];
          this.out[to] = own ? own.concat(inherited) : inherited;
        }
      }
    }
    this.fail = fail;
    this.built = true;
    return this;
  }

  /**
   * Every occurrence of every pattern in `text`, appended to `out` as (pattern, start, end)
   * triples. No callback: the hot path allocates nothing but the hits.
   */
  searchInto(text: string, out: number[]): void {
    if (!this.built) throw new Error('Automaton not built');
    const next = this.next;
    const fail = this.fail;
    const outputs = this.out;
    const lengths = this.lengths;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      let to = (next[state] as Map<number, number>).get(code);
      while (to === undefined && state !== 0) {
        state = fail[state] as number;
        to = (next[state] as Map<number, number>).get(code);
      }
      state = to ?? 0;
      const hits = outputs[state];
      if (hits !== undefined) {
        for (const p of hits) out.push(p, i + 1 - (lengths[p] as number), i + 1);
      }
    }
  }

  /** Every occurrence of every pattern in `text`. */
  search(text: string, onHit: (pattern: number, start: number, end: number) => void): void {
    if (!this.built) throw new Error('Automaton not built');
    const next = this.next;
    const fail = this.fail;
    const out = this.out;
    const lengths = this.lengths;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      let to = (next[state] as Map<number, number>).get(code);
      while (to === undefined && state !== 0) {
        state = fail[state] as number;
        to = (next[state] as Map<number, number>).get(code);
      }
      state = to ?? 0;
      const hits = out[state];
      if (hits !== undefined) {
        for (const p of hits) onHit(p, i + 1 - (lengths[p] as number), i + 1);
      }
    }
  }
}
