import { describe, expect, it } from 'vitest';
import { TextsInFlight } from '../../src/pipeline/batch/texts-in-flight.js';

/** Whether `p` has resolved by the time everything already queued has run. */
const isSettled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('texts in flight', () => {
  it('a batch waits, for a text it shares, until the earlier batch holding it is stored', async () => {
    const texts = new TextsInFlight();
    const first = texts.enter(['acct\0spam', 'acct\0hello']);
    const second = texts.enter(['acct\0spam', 'acct\0other']);
    expect(await isSettled(first.before('acct\0spam'))).toBe(true); // nobody before it
    const waits = second.before('acct\0spam');
    expect(await isSettled(waits)).toBe(false);
    expect(await isSettled(second.before('acct\0other'))).toBe(true); // not shared: no wait
    first.settled();
    expect(await isSettled(waits)).toBe(true);
    second.settled();
    await new Promise((r) => setImmediate(r));
    expect(texts.size).toBe(0);
  });

  it('waiting for the latest holder is waiting for all earlier ones, asked or not', async () => {
    const texts = new TextsInFlight();
    const a = texts.enter(['k']);
    const b = texts.enter(['k']); // never asks for a count, and is stored before a
    const c = texts.enter(['k']);
    b.settled();
    const waits = c.before('k');
    expect(await isSettled(waits)).toBe(false); // a is still in flight
    a.settled();
    expect(await isSettled(waits)).toBe(true);
    c.settled();
  });
});
