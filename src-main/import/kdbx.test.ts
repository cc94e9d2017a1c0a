import { describe, expect, it } from 'vitest';
import { writeKdbx, type KdbxFixtureEntry, refusal } from '../../test/helpers/import-fixtures';
import { parseKdbx } from './kdbx';
import { mapImport } from './mapping';

const PASSWORD = 'correct horse battery staple';

describe('KDBX 4 import (database written by kdbxweb, Argon2id)', () => {
  const entries: KdbxFixtureEntry[] = [
    {
      title: 'Stripe live',
      password: 'sk_live_51Hkdbx',
      username: 'ops@example.com',
      url: 'https://dashboard.stripe.com',
      notes: 'Rotate quarterly',
      group: ['Payments', 'Prod'],
      tags: ['billing'],
      fields: { otp: { value: 'otpauth://totp/Stripe?secret=JBSWY3DPEHPK3PXP', protected: true }, 'Webhook secret': { value: 'whsec_kdbx123', protected: true } },
      attachments: { 'id_rsa.pub': 'ssh-ed25519 AAAA' },
    },
    { title: 'GITHUB_TOKEN', password: 'ghp_kdbxtoken', fields: { KPEX_PASSKEY_USERNAME: { value: 'me' }, KPEX_PASSKEY_PRIVATE_KEY_PEM: { value: 'pem', protected: true } } },
    { title: 'old key', password: 'deleted-value', inRecycleBin: true },
  ];

  it('maps title, password, TOTP and custom fields, username, notes, URL, groups and tags where the mapping says', async () => {
    const bytes = await writeKdbx(entries, PASSWORD);
    const mapped = mapImport(await parseKdbx(bytes, PASSWORD));
    // The root group's entries come first, then each group's.
    expect(mapped.secrets.map((s) => [s.key, s.value])).toEqual([
      ['GITHUB_TOKEN', 'ghp_kdbxtoken'],
      ['STRIPE_LIVE', 'sk_live_51Hkdbx'],
      ['STRIPE_LIVE_TOTP', 'otpauth://totp/Stripe?secret=JBSWY3DPEHPK3PXP'],
      ['STRIPE_LIVE_WEBHOOK_SECRET', 'whsec_kdbx123'],
    ]);
    const stripe = mapped.secrets[1]!;
    expect(stripe.description).toBe('Imported from "Stripe live"\nUsername: ops@example.com\nRotate quarterly');
    expect(stripe.tags).toEqual(['Payments', 'Prod', 'billing']);
    expect(stripe.service).toBe('https://dashboard.stripe.com');
    expect(mapped.secrets[2]!.description).toContain('Imported from "Stripe live TOTP"');
    expect(mapped.secrets[2]!.tags).toEqual(['Payments', 'Prod', 'billing']);
    expect(mapped.secrets[0]!.description).toBe('');
    expect(mapped.secrets[0]!.tags).toEqual([]);
    expect(mapped.skipped.map((s) => [s.title, s.why])).toEqual([
      ['GITHUB_TOKEN', 'a passkey is not imported'],
      ['old key', 'it is in the recycle bin'],
      ['Stripe live', 'the attachment "id_rsa.pub" is not imported'],
    ]);
  });

  it('refuses a wrong password whole with IMPORT_WRONG_PASSWORD', async () => {
    const bytes = await writeKdbx(entries, PASSWORD);
    const r = await refusal(parseKdbx(bytes, 'wrong password'));
    expect(r.code).toBe('IMPORT_WRONG_PASSWORD');
  });

  it('refuses a truncated database with IMPORT_MALFORMED, at any cut', async () => {
    const bytes = await writeKdbx(entries, PASSWORD);
    for (const cut of [8, 100, bytes.length >> 1, bytes.length - 1]) {
      const r = await refusal(parseKdbx(bytes.subarray(0, cut), PASSWORD));
      // A cut inside the header can leave it unreadable or make the key check fail first.
      expect(['IMPORT_MALFORMED', 'IMPORT_WRONG_PASSWORD']).toContain(r.code);
      if (cut === bytes.length - 1) expect(r.code).toBe('IMPORT_MALFORMED');
    }
    expect((await refusal(parseKdbx(new TextEncoder().encode('KEY=value\n'), PASSWORD))).code).toBe('IMPORT_MALFORMED');
  });

  it('never puts a value in an error message', async () => {
    const bytes = await writeKdbx(entries, PASSWORD);
    const r = await refusal(parseKdbx(bytes.subarray(0, bytes.length - 10), PASSWORD));
    for (const e of entries) expect(r.message).not.toContain(e.password);
  });
});
