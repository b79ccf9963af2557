import { describe, expect, it } from 'vitest';
import { answerHandshake, timingSafeEqualStrings } from '../../src/webhook/handshake.js';

describe('answerHandshake', () => {
  it('echoes the challenge exactly when mode and token are right', () => {
    expect(
      answerHandshake({ mode: 'subscribe', verifyToken: 'tok', challenge: '1158201444' }, 'tok'),
    ).toEqual({
      ok: true,
      challenge: '1158201444',
    });
    // Not parsed as a number: leading zeros and huge values survive.
    expect(
      answerHandshake({ mode: 'subscribe', verifyToken: 'tok', challenge: '00012345678901234567890' }, 'tok'),
    ).toEqual({
      ok: true,
      challenge: '00012345678901234567890',
    });
  });

  it('refuses a wrong token, wrong mode, missing challenge, or no configured token', () => {
    expect(answerHandshake({ mode: 'subscribe', verifyToken: 'nope', challenge: '1' }, 'tok').ok).toBe(false);
    expect(answerHandshake({ mode: 'unsubscribe', verifyToken: 'tok', challenge: '1' }, 'tok').ok).toBe(
      false,
    );
    expect(answerHandshake({ mode: 'subscribe', verifyToken: 'tok' }, 'tok').ok).toBe(false);
    expect(answerHandshake({ mode: 'subscribe', challenge: '1' }, 'tok').ok).toBe(false);
    expect(answerHandshake({ mode: 'subscribe', verifyToken: '', challenge: '1' }, undefined).ok).toBe(false);
  });

  it('compares strings exactly', () => {
    expect(timingSafeEqualStrings('abc', 'abc')).toBe(true);
    expect(timingSafeEqualStrings('abc', 'abd')).toBe(false);
    expect(timingSafeEqualStrings('abc', 'abcd')).toBe(false);
    expect(timingSafeEqualStrings('é', 'e')).toBe(false);
  });
});
