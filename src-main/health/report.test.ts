import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/helpers/temp-home';
import { collectingAuditSink } from '../audit/audit-sink';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile } from '../profile/profile';
import { generateValue } from '../rotation/generate';
import { retireSecret, setDefaultPolicy, setPolicy } from '../rotation/lifecycle';
import { rotateSecret } from '../rotation/rotate';
import { setSecret } from '../vaults/secrets';
import { createVault } from '../vaults/vaults';
import { healthReport, shellWord } from './report';
import { findReuse, reuseKey, valueTag } from './reuse';
import { estimateBits, weakness } from './strength';

const DAY = 86_400_000;
const strong = () => generateValue({ format: 'base62', length: 32 }).value;

async function profile(name = 'Alice') {
  return createProfile(nodeSuite, await tempHome(), { name, keychain: createMemoryKeychain() });
}

/**
 * A vault where each kind of finding has exactly one cause (and a near miss that must not be
 * reported), looked at 100 days after it was written.
 */
async function seeded() {
  const session = await profile();
  const audit = collectingAuditSink();
  const vault = await createVault(session, 'Payments', ['development', 'production']);
  const other = await createVault(session, 'Internal', ['default']);
  const values: string[] = [];
  const set = async (name: string, env: string, value = strong()) => {
    values.push(value);
    await setSecret(vault, name, env, value);
  };
  await setDefaultPolicy(vault, 'production', 90, audit);
  await set('OVERDUE_KEY', 'production'); // 90-day default: overdue at day 100
  await set('DUE_KEY', 'development');
  await setPolicy(vault, 'DUE_KEY', { intervalDays: 104 }, audit); // due (window from day 97)
  await set('OK_KEY', 'development'); // no policy in development
  await set('EXPIRING_KEY', 'development');
  await set('EXPOSED_KEY', 'development');
  await set('ROTATED_AFTER_REMOVAL', 'development');
  const shared = strong();
  await set('SHARED_A_TOKEN', 'development', shared);
  await set('SHARED_B_TOKEN', 'development', shared);
  values.push(shared);
  await setSecret(other, 'ELSEWHERE_TOKEN', 'default', shared); // reuse across vaults
  await set('DB_PASSWORD', 'development', 'password123');
  await set('PORT', 'development', '3000'); // configuration: not judged
  await set('UNUSED_KEY', 'development');
  await set('LEAKED_KEY', 'development');
  await set('LEAK_ROTATED_KEY', 'development');
  await set('RETIRED_PASSWORD', 'development', 'hunter2');
  await retireSecret(vault, 'RETIRED_PASSWORD', audit);

  const written = Date.now();
  const now = written + 100 * DAY;
  await setPolicy(vault, 'EXPIRING_KEY', { expiresAt: now + 5 * DAY }, audit);
  const ids = (n: string) => vault.meta.secretByName(n)!.id;
  await vault.edit(() =>
    vault.meta.recordExposure('r1', {
      member: 'Mallory', fingerprint: '1234', removedAt: written + 1, removedBy: session.memberId,
      items: ['EXPOSED_KEY', 'ROTATED_AFTER_REMOVAL'].map((n) => ({ secretId: ids(n), name: n, environment: 'development', lastRotatedAt: written })),
    }),
  );
  const leaks = [
    { vaultId: vault.id, secret: 'LEAKED_KEY', file: 'src/config.ts', line: 12, at: written + 1 },
    { vaultId: vault.id, secret: 'LEAK_ROTATED_KEY', environment: 'development', file: 'README.md', line: 3, at: written - 60_000 },
  ];
  // Rotated after the removal and after the scan: neither is reported.
  await new Promise((r) => setTimeout(r, 5));
  for (const n of ['ROTATED_AFTER_REMOVAL', 'LEAK_ROTATED_KEY']) {
    const v = strong();
    values.push(v);
    await rotateSecret(vault, n, 'development', { value: v }, {}, audit);
  }
  // Everything was read yesterday except UNUSED_KEY.
  const lastAccess = (vaultId: string, name: string) => (vaultId === vault.id && name === 'UNUSED_KEY' ? undefined : now - DAY);
  return { session, vault, other, now, leaks, lastAccess, values };
}

describe('health report', () => {
  it('reports each finding on a seeded vault, each with a fix, and no values', async () => {
    const { session, now, leaks, lastAccess, values } = await seeded();
    const findings = await healthReport(session, { vault: 'Payments', now, timeZone: 'UTC', leaks, lastAccess });
    expect(findings.map((f) => [f.kind, f.secret, f.environment ?? '-'])).toEqual([
      ['leaked', 'LEAKED_KEY', '-'],
      ['exposed', 'EXPOSED_KEY', 'development'],
      ['rotation-overdue', 'OVERDUE_KEY', 'production'],
      ['expiring', 'EXPIRING_KEY', 'development'],
      ['reused', 'SHARED_A_TOKEN', 'development'],
      ['reused', 'SHARED_B_TOKEN', 'development'],
      ['weak', 'DB_PASSWORD', 'development'],
      ['rotation-due', 'DUE_KEY', 'development'],
      ['stale', 'UNUSED_KEY', '-'],
    ]);
    for (const f of findings) {
      expect(f.vault).toBe('Payments');
      expect(f.fix).toContain(f.secret);
      expect(f.fix).toMatch(/tessera (rotate|retire)/);
    }
    expect(findings.find((f) => f.kind === 'reused')!.message).toBe('Same value as SHARED_B_TOKEN in development, ELSEWHERE_TOKEN (vault Internal) in default');
    expect(findings.find((f) => f.kind === 'leaked')!.message).toMatch(/^Found in src\/config\.ts:12 by a scan on \d{4}-\d{2}-\d{2}$/);
    const text = JSON.stringify(findings);
    for (const v of values) expect(text.includes(v), 'a value in the report').toBe(false);
  });

  it('gives each finding the app\'s actions for it: rotate (with its environment), change policy, retire, open', async () => {
    const { session, now, leaks, lastAccess } = await seeded();
    const findings = await healthReport(session, { vault: 'Payments', now, timeZone: 'UTC', leaks, lastAccess });
    expect(Object.fromEntries(findings.map((f) => [f.secret, f.actions]))).toEqual({
      // The scan did not say which environment: the one the secret has a value in.
      LEAKED_KEY: [{ kind: 'rotate', environment: 'development' }, { kind: 'open' }],
      EXPOSED_KEY: [{ kind: 'rotate', environment: 'development' }, { kind: 'open' }],
      OVERDUE_KEY: [{ kind: 'rotate', environment: 'production' }, { kind: 'policy' }, { kind: 'open' }],
      EXPIRING_KEY: [{ kind: 'rotate', environment: 'development' }, { kind: 'policy' }, { kind: 'open' }],
      SHARED_A_TOKEN: [{ kind: 'rotate', environment: 'development', generate: { format: 'base62' } }, { kind: 'open' }],
      SHARED_B_TOKEN: [{ kind: 'rotate', environment: 'development', generate: { format: 'base62' } }, { kind: 'open' }],
      DB_PASSWORD: [{ kind: 'rotate', environment: 'development', generate: { format: 'custom', length: 24 } }, { kind: 'open' }],
      DUE_KEY: [{ kind: 'rotate', environment: 'development' }, { kind: 'policy' }, { kind: 'open' }],
      UNUSED_KEY: [{ kind: 'retire' }, { kind: 'open' }],
    });
    // The generator an action proposes is the one the CLI's fix names.
    const weak = findings.find((f) => f.kind === 'weak')!;
    expect(weak.fix).toMatch(/--generate custom:24$/);
  });

  it('covers every vault without --vault, and finds reuse across vaults from either side', async () => {
    const { session, now, lastAccess } = await seeded();
    const all = await healthReport(session, { now, timeZone: 'UTC', lastAccess });
    expect(all.filter((f) => f.kind === 'reused').map((f) => `${f.vault}/${f.secret}`)).toEqual(['Internal/ELSEWHERE_TOKEN', 'Payments/SHARED_A_TOKEN', 'Payments/SHARED_B_TOKEN']);
    const internal = await healthReport(session, { vault: 'Internal', now, timeZone: 'UTC', lastAccess: () => now });
    expect(internal.map((f) => [f.kind, f.secret])).toEqual([['reused', 'ELSEWHERE_TOKEN']]);
  });

  it('clears a finding once it is fixed', async () => {
    const { session, vault, now, leaks, lastAccess } = await seeded();
    await rotateSecret(vault, 'DB_PASSWORD', 'development', { generate: { format: 'custom', length: 24 } }, {}, collectingAuditSink());
    await rotateSecret(vault, 'SHARED_B_TOKEN', 'development', { generate: { format: 'base62' } }, {}, collectingAuditSink());
    await rotateSecret(vault, 'LEAKED_KEY', 'development', { generate: { format: 'base62' } }, {}, collectingAuditSink());
    await rotateSecret(vault, 'EXPOSED_KEY', 'development', { generate: { format: 'base62' } }, {}, collectingAuditSink());
    const findings = await healthReport(session, { vault: 'Payments', now, timeZone: 'UTC', leaks, lastAccess });
    expect(findings.map((f) => [f.kind, f.secret])).toEqual([
      ['rotation-overdue', 'OVERDUE_KEY'],
      ['expiring', 'EXPIRING_KEY'],
      ['reused', 'SHARED_A_TOKEN'], // still shares its value with the other vault
      ['rotation-due', 'DUE_KEY'],
      ['stale', 'UNUSED_KEY'],
    ]);
  });
});

describe('reuse by keyed hashes', () => {
  it('groups places by tag alone: the grouping never sees a value', () => {
    const at = (secret: string, tag: string) => ({ vaultId: 'v', vault: 'V', secret, environment: 'e', tag });
    expect(findReuse([at('A', 't1'), at('B', 't2'), at('C', 't1'), at('D', 't3'), at('E', 't1')]).map((g) => g.map((x) => x.secret))).toEqual([['A', 'C', 'E']]);
  });

  it('tags with a key derived from this device for this purpose: not a plain hash, not comparable across devices', async () => {
    const alice = await profile('Alice');
    const bob = await profile('Bob');
    const value = 'sk_live_shared_between_two_places';
    const ka = reuseKey(alice);
    expect(valueTag(ka, value)).toBe(valueTag(reuseKey(alice), value));
    expect(valueTag(ka, value)).not.toBe(valueTag(reuseKey(bob), value));
    expect(valueTag(ka, value)).not.toBe(createHash('sha256').update(value).digest('base64url'));
    expect(valueTag(ka, value)).not.toContain(value);
    // The purpose key is not the device key itself (nor the key that guards records).
    expect(Buffer.from(ka).equals(Buffer.from(alice.deviceKeyForRecords))).toBe(false);
  });
});

describe('strength', () => {
  it('scores random values high and guessable ones low', () => {
    expect(estimateBits(strong())).toBeGreaterThan(150);
    expect(estimateBits('password123')).toBeLessThan(25);
    expect(estimateBits('P@ssw0rd!')).toBeLessThan(25);
    expect(estimateBits('aaaaaaaaaaaaaaaaaaaa')).toBeLessThan(15);
    expect(estimateBits('abcdefghijklmnop')).toBeLessThan(15);
    expect(estimateBits('deadbeefdeadbeef')).toBeLessThan(40);
    expect(estimateBits('3f9a1c07e2b54d8d')).toBe(64); // 16 hex digits
  });

  it('judges a value by its kind', () => {
    expect(weakness('PORT', '3000')).toBeNull();
    expect(weakness('DB_PASSWORD', 'password123')).toMatchObject({ kind: 'password', min: 50 });
    expect(weakness('STRIPE_SECRET_KEY', 'sk_live_original_value')).toMatchObject({ kind: 'token', min: 64 });
    expect(weakness('STRIPE_SECRET_KEY', `sk_live_${strong()}`)).toBeNull();
    // A URL is judged by the password inside it, whatever the name.
    expect(weakness('DATABASE_URL', 'postgres://app:changeme@db.internal:5432/app')).toMatchObject({ kind: 'password' });
    expect(weakness('DATABASE_URL', `postgres://app:${strong()}@db.internal:5432/app`)).toBeNull();
    expect(weakness('TLS_KEY', '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----')).toBeNull();
  });
});

describe('fix commands', () => {
  it('quote vault names a shell would split', () => {
    expect(shellWord('payments')).toBe('payments');
    expect(shellWord('Team Vault')).toBe("'Team Vault'");
    expect(shellWord("Ada's keys")).toBe("'Ada'\\''s keys'");
  });
});
