/**
 * Aho–Corasick automaton over UTF-16 code units: every term of every rule is found in one
 * linear pass over the comment, whatever the number of terms (a 5,000-word blocklist costs the
 * same scan as five words). Matching time is O(text length + matches), so it is bounded.
 */

/** The dense table's size limit in cells (4 bytes each): 16 MB; bigger automata use the Map form. */
const DENSE_MAX_CELLS = 4_000_000;

interface Dense {
  /** Code unit → character class (0: in no pattern). */
  readonly classOf: Uint16Array;
  readonly classes: number;
  /** state * classes + class → next state, failure links followed (16-bit when states fit). */
  readonly delta: Uint16Array | Int32Array;
  readonly outStart: Int32Array;
  readonly outIds: Int32Array;
  readonly lengths: Int32Array;
}

export class Automaton {
  /** Per state: code unit → next state. */
  private readonly next: Array<Map<number, number>> = [new Map()];
  private fail: Int32Array = new Int32Array(1);
  /** Per state: patterns ending here (own and via the dictionary suffix chain). */
  private out: Array<number[] | undefined> = [undefined];
  private readonly lengths: number[] = [];
  private built = false;
  private dense: Dense | null = null;

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

  /** `maxDenseCells`: the dense table's size limit (tests lower it to exercise the Map form). */
  build(maxDenseCells = DENSE_MAX_CELLS): this {
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
    this.buildDense(queue, maxDenseCells);
    this.built = true;
    return this;
  }

  /**
   * The dense form: code units used by any pattern get a small class number (0 for every other
   * unit: no pattern goes through it, so it leads back to the root), and every state gets a full
   * row of next states with the failure links already followed. Searching is then one table
   * read per code unit. Skipped (the Map form is used) when the table would be too big.
   */
  private buildDense(bfsOrder: readonly number[], maxCells: number): void {
    const classOf = new Uint16Array(65536);
    let classes = 1;
    for (const transitions of this.next) {
      for (const code of transitions.keys()) if (classOf[code] === 0) classOf[code] = classes++;
    }
    const states = this.next.length;
    if (classes > 65535 || states * classes > maxCells) return;
    // Half the memory (and cache misses) when the state numbers fit in 16 bits.
    const delta = states <= 0xffff ? new Uint16Array(states * classes) : new Int32Array(states * classes);
    // Root: its own transitions, every other class stays at the root (0).
    for (const [code, to] of this.next[0] as Map<number, number>) delta[classOf[code] as number] = to;
    // Breadth-first, so a state's failure row is complete before the state's own row is built.
    for (const state of bfsOrder) {
      const row = state * classes;
      const failRow = (this.fail[state] as number) * classes;
      delta.copyWithin(row, failRow, failRow + classes);
      for (const [code, to] of this.next[state] as Map<number, number>)
        delta[row + (classOf[code] as number)] = to;
    }
    // Outputs as one flat array: state s has patterns outIds[outStart[s] .. outStart[s + 1]).
    const outStart = new Int32Array(states + 1);
    let total = 0;
    for (let s = 0; s < states; s++) {
      outStart[s] = total;
      total += this.out[s]?.length ?? 0;
    }
    outStart[states] = total;
    const outIds = new Int32Array(total);
    for (let s = 0; s < states; s++) {
      const o = this.out[s];
      if (o) outIds.set(o, outStart[s] as number);
    }
    this.dense = { classOf, classes, delta, outStart, outIds, lengths: Int32Array.from(this.lengths) };
  }

  /**
   * Every occurrence of every pattern in `text`, appended to `out` as (pattern, start, end)
   * triples. No callback: the hot path allocates nothing but the hits.
   */
  searchInto(text: string, out: number[]): void {
    if (!this.built) throw new Error('Automaton not built');
    if (this.lengths.length === 0) return;
    const dense = this.dense;
    if (dense === null) {
      this.search(text, (p, start, end) => {
        out.push(p, start, end);
      });
      return;
    }
    const { classOf, classes, delta, outStart, outIds, lengths } = dense;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      state = delta[state * classes + (classOf[text.charCodeAt(i)] as number)] as number;
      const from = outStart[state] as number;
      const to = outStart[state + 1] as number;
      for (let k = from; k < to; k++) {
        const p = outIds[k] as number;
        out.push(p, i + 1 - (lengths[p] as number), i + 1);
      }
    }
  }

  /** Every occurrence of every pattern in `text` (the Map form; `searchInto` is the fast one). */
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
