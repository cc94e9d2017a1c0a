import { describe, expect, it } from 'vitest';
import { chooseRequest, fingerprintMatches, shellWord } from './approval';

const BOB = { name: 'Bob', fingerprint: '11111 22222 33333 44444 55555 66666 77777 88888 99999 00000 12345 67890' };
const EVE_AS_BOB = { name: 'Bob', fingerprint: '98765 43210 11111 22222 33333 44444 55555 66666 77777 88888 99999 24680' };
const CAROL = { name: 'Carol C.', fingerprint: '13579 24680 13579 24680 13579 24680 13579 24680 13579 24680 13579 24680' };

const refusal = (p: Promise<unknown>) => p.then(() => { throw new Error('approved'); }, (e: { code: string; message: string; details: unknown }) => e);

describe('choosing the join request to approve', () => {
  it('takes a fingerprint prefix as it is: the digits are the comparison', async () => {
    expect(await chooseRequest([BOB, CAROL], { who: '11111 22' }, 'Team')).toBe(BOB);
    expect(await chooseRequest([BOB, CAROL], { who: '1357924680' }, 'Team')).toBe(CAROL);
  });

  it('refuses a name alone without a terminal, showing the fingerprint and the command to run', async () => {
    const e = await refusal(chooseRequest([BOB, CAROL], { who: 'Carol C.' }, 'Team'));
    expect(e.code).toBe('FINGERPRINT_REQUIRED');
    expect(e.message).toContain(CAROL.fingerprint);
    expect(e.message).toContain("tessera approve 'Carol C.' --vault Team --fingerprint DIGITS");
    expect(e.message).not.toContain(BOB.fingerprint);
    expect(e.details).toEqual({ fingerprints: [CAROL.fingerprint] });
  });

  it('approves a name with the first or last digits of its fingerprint, and refuses other digits', async () => {
    expect(await chooseRequest([BOB, CAROL], { who: 'Bob', fingerprint: '67890' }, 'Team')).toBe(BOB);
    expect(await chooseRequest([BOB, CAROL], { who: 'Bob', fingerprint: '11111 22222' }, 'Team')).toBe(BOB);
    expect((await refusal(chooseRequest([BOB, CAROL], { who: 'Bob', fingerprint: '24680' }, 'Team'))).code).toBe('FINGERPRINT_MISMATCH');
    expect((await refusal(chooseRequest([BOB], { who: 'Bob', fingerprint: '22222' }, 'Team'))).code).toBe('FINGERPRINT_MISMATCH'); // a middle group
    expect((await refusal(chooseRequest([BOB], { who: 'Bob', fingerprint: '7890' }, 'Team'))).code).toBe('INVALID_INPUT'); // too few
    expect((await refusal(chooseRequest([BOB], { who: 'Bob', fingerprint: 'Bob' }, 'Team'))).code).toBe('INVALID_INPUT');
  });

  it('asks on a terminal, with every request the name may mean, and takes the one the digits fit', async () => {
    const shown: unknown[] = [];
    const ask = async (requests: readonly unknown[]) => (shown.push(...requests), '24680');
    expect(await chooseRequest([BOB, EVE_AS_BOB, CAROL], { who: 'Bob', ask }, 'Team')).toBe(EVE_AS_BOB);
    expect(shown).toEqual([BOB, EVE_AS_BOB]);
    const wrong = await refusal(chooseRequest([BOB, CAROL], { who: 'Bob', ask: async () => '00000' }, 'Team'));
    expect(wrong.code).toBe('FINGERPRINT_MISMATCH');
  });

  it('never confuses two requests with one name', async () => {
    const both = await refusal(chooseRequest([BOB, EVE_AS_BOB], { who: 'Bob' }, 'Team'));
    expect(both.code).toBe('FINGERPRINT_REQUIRED');
    expect(both.message).toContain(BOB.fingerprint);
    expect(both.message).toContain(EVE_AS_BOB.fingerprint);
    // Digits pick the one request they fit; digits that fit both approve neither.
    expect(await chooseRequest([BOB, EVE_AS_BOB], { who: 'Bob', fingerprint: '67890' }, 'Team')).toBe(BOB);
    const twin = { name: 'Bob', fingerprint: BOB.fingerprint.replace(/^11111/, '55555') };
    expect((await refusal(chooseRequest([BOB, twin], { who: 'Bob', fingerprint: '12345 67890' }, 'Team'))).code).toBe('INVALID_INPUT');
    expect(await chooseRequest([BOB, twin], { who: 'Bob', fingerprint: BOB.fingerprint }, 'Team')).toBe(BOB);
  });

  it('does not let a name made of digits pass as a fingerprint', async () => {
    // Mallory names herself after the start of Bob's fingerprint.
    const mallory = { name: '11111 22222', fingerprint: '24242 42424 24242 42424 24242 42424 24242 42424 24242 42424 24242 42424' };
    const e = await refusal(chooseRequest([BOB, mallory], { who: '11111 22222' }, 'Team'));
    expect(e.code).toBe('FINGERPRINT_REQUIRED');
    expect(await chooseRequest([BOB, mallory], { who: '11111 22222', fingerprint: '67890' }, 'Team')).toBe(BOB);
  });

  it('says NOT_FOUND for a name or digits that fit no request', async () => {
    expect((await refusal(chooseRequest([BOB], { who: 'Robert', fingerprint: '67890' }, 'Team'))).code).toBe('NOT_FOUND');
    expect((await refusal(chooseRequest([BOB], { who: '99999 99' }, 'Team'))).code).toBe('NOT_FOUND');
  });
});

describe('fingerprint digits and shell words', () => {
  it('matches the start or the end, spaces ignored, 5 digits at least', () => {
    expect(fingerprintMatches(BOB.fingerprint, '1111122222')).toBe(true);
    expect(fingerprintMatches(BOB.fingerprint, '00000 12345 67890')).toBe(true);
    expect(fingerprintMatches(BOB.fingerprint, '1111')).toBe(false);
    expect(fingerprintMatches(BOB.fingerprint, '33333')).toBe(false);
  });

  it('quotes what the shell would split or expand', () => {
    expect(shellWord('Bob')).toBe('Bob');
    expect(shellWord('Carol C.')).toBe("'Carol C.'");
    expect(shellWord("O'Brien $HOME")).toBe("'O'\\''Brien $HOME'");
  });
});
