import { describe, expect, it } from 'vitest';
import { FAST_ARGON2, FAST_PBKDF2, writeBitwardenProtected, refusal } from '../../test/helpers/import-fixtures';
import { parseBitwarden } from './bitwarden';
import { mapImport } from './mapping';

// The shape of Bitwarden's unencrypted export (bitwarden.com/help/export-your-data), small.
const PLAIN = JSON.stringify({
  encrypted: false,
  folders: [{ id: 'f1', name: 'Infra' }],
  collections: [{ id: 'c1', name: 'Platform team' }],
  items: [
    {
      id: 'i1', type: 1, name: 'AWS root', folderId: 'f1', collectionIds: ['c1'], notes: 'Break glass only',
      login: { username: 'root@example.com', password: 'aws-root-pw-1', totp: 'JBSWY3DPEHPK3PXP', uris: [{ match: null, uri: 'https://console.aws.amazon.com' }], fido2Credentials: [{ credentialId: 'x' }] },
      fields: [{ name: 'Access key', value: 'AKIAFIXTURE', type: 1 }, { name: 'Enabled', value: 'true', type: 2 }],
      attachments: [{ fileName: 'recovery.pdf' }],
    },
    { id: 'i2', type: 2, name: 'DATABASE_URL', notes: 'postgres://u:p@db/app', secureNote: { type: 0 } },
    { id: 'i3', type: 1, name: 'No password here', login: { username: 'x' } },
    { id: 'i4', type: 5, name: 'deploy key', sshKey: {} },
  ],
});

function expectMapping(mapped: ReturnType<typeof mapImport>): void {
  expect(mapped.secrets.map((s) => [s.key, s.value])).toEqual([
    ['AWS_ROOT', 'aws-root-pw-1'],
    ['AWS_ROOT_TOTP', 'JBSWY3DPEHPK3PXP'],
    ['AWS_ROOT_ACCESS_KEY', 'AKIAFIXTURE'],
    ['DATABASE_URL', 'postgres://u:p@db/app'],
  ]);
  const aws = mapped.secrets[0]!;
  expect(aws.description).toBe('Imported from "AWS root"\nUsername: root@example.com\nBreak glass only');
  expect(aws.tags).toEqual(['Infra', 'Platform team']);
  expect(aws.service).toBe('https://console.aws.amazon.com');
  // A secure note's text is its value, so it is not also the description.
  expect(mapped.secrets[3]!.description).toBe('');
  expect(mapped.skipped.map((s) => [s.index, s.title, s.why])).toEqual([
    [1, 'AWS root', 'a passkey is not imported'],
    [1, 'AWS root', 'the attachment "recovery.pdf" is not imported'],
    [3, 'No password here', 'the value is empty'],
    [4, 'deploy key', 'SSH keys are not imported'],
  ]);
}

describe('Bitwarden JSON import', () => {
  it('maps the unencrypted export field by field', async () => {
    const mapped = mapImport(await parseBitwarden(PLAIN));
    expect(mapped.secrets.map((s) => s.key)).toEqual(['AWS_ROOT', 'AWS_ROOT_TOTP', 'AWS_ROOT_ACCESS_KEY', 'DATABASE_URL']);
    expectMapping(mapped);
  });

  for (const [name, kdf] of [['PBKDF2', FAST_PBKDF2], ['Argon2id', FAST_ARGON2]] as const) {
    it(`opens a password-protected export sealed with ${name} and maps it the same`, async () => {
      const file = await writeBitwardenProtected(PLAIN, 'export-pw', kdf);
      expect(file).not.toContain('aws-root-pw-1');
      expectMapping(mapImport(await parseBitwarden(file, async () => 'export-pw')));
    });
  }

  it('refuses a wrong password with IMPORT_WRONG_PASSWORD, and damaged data with IMPORT_MALFORMED', async () => {
    const file = await writeBitwardenProtected(PLAIN, 'export-pw');
    expect((await refusal(parseBitwarden(file, async () => 'nope'))).code).toBe('IMPORT_WRONG_PASSWORD');
    const j = JSON.parse(file) as { data: string };
    const [iv, ct, mac] = j.data.slice(2).split('|') as [string, string, string];
    const flipped = Buffer.from(ct, 'base64');
    flipped[0]! ^= 1;
    const damaged = JSON.stringify({ ...j, data: `2.${iv}|${flipped.toString('base64')}|${mac}` });
    expect((await refusal(parseBitwarden(damaged, async () => 'export-pw'))).code).toBe('IMPORT_MALFORMED');
  });

  it('refuses a truncated file, an account-key export and an item of the wrong shape, naming no value', async () => {
    const cut = await refusal(parseBitwarden(PLAIN.slice(0, PLAIN.length - 40)));
    expect(cut.code).toBe('IMPORT_MALFORMED');
    expect((await refusal(parseBitwarden(JSON.stringify({ encrypted: true, data: '2.a|b|c' })))).message).toContain('account key');
    const bad = JSON.parse(PLAIN) as { items: Record<string, unknown>[] };
    bad.items[1]!.notes = 42;
    const r = await refusal(parseBitwarden(JSON.stringify(bad)));
    expect(r.code).toBe('IMPORT_MALFORMED');
    expect(r.message).toContain('item 2');
    expect(r.message).not.toContain('aws-root-pw-1');
  });
});
