// The verifier against RFC 7677's worked example (section 3): the keys derived from "pencil"
// must reproduce the example's client proof and server signature. That a server accepts the
// password for the verifier is shown against a real PostgreSQL in postgres-rotator.test.ts.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scramKeys, scramVerifier } from './postgres-scram';

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

describe('SCRAM-SHA-256 verifier', () => {
  it("reproduces RFC 7677's example exchange", () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const k = scramKeys('pencil', salt, 4096);
    const clientFirstBare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
    const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const clientFinalNoProof = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const authMessage = `${clientFirstBare},${serverFirst},${clientFinalNoProof}`;
    const clientKey = hmac(k.saltedPassword, 'Client Key');
    const signature = hmac(k.storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    expect(proof.toString('base64')).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(hmac(k.serverKey, authMessage).toString('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('formats the verifier as PostgreSQL stores it, with a fresh salt each time', () => {
    const v = scramVerifier('Tr0ub4dor3xyz');
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(v).not.toContain('Tr0ub4dor3xyz');
    expect(scramVerifier('Tr0ub4dor3xyz')).not.toBe(v);
  });

  it('refuses what SASLprep would change instead of storing a verifier the server would not match', () => {
    expect(() => scramVerifier('pass word')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => scramVerifier('pässword')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
