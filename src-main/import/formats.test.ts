/**
 * Hand-written small samples of the formats that follow their published layouts (1PUX,
 * 1Password CSV, KeePassXC CSV, Infisical and Doppler JSON/CSV, a generic CSV), each read
 * and mapped, every field checked where the mapping puts it; and format detection.
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { writeKdbx, writeOnePux, refusal } from '../../test/helpers/import-fixtures';
import { detectFormat, readImport, type ImportFormat } from './formats';
import { envVarName, mapImport, type MappedSecret } from './mapping';

const enc = (s: string) => new TextEncoder().encode(s);

async function mapped(format: ImportFormat, input: string | Uint8Array, map?: string) {
  return mapImport(await readImport(format, typeof input === 'string' ? enc(input) : input, map ? { map } : {}));
}

const pick = (s: MappedSecret) => ({ key: s.key, value: s.value, description: s.description, tags: s.tags, service: s.service });

// support.1password.com/1pux-format: export.data holds accounts → vaults → items.
const ONEPUX = {
  accounts: [
    {
      attrs: { accountName: 'Acme', name: 'Acme', email: 'ops@acme.test', uuid: 'A1', domain: 'https://acme.1password.com/' },
      vaults: [
        {
          attrs: { uuid: 'V1', desc: '', avatar: '', name: 'Engineering', type: 'U' },
          items: [
            {
              uuid: 'I1', favIndex: 0, createdAt: 1700000000, updatedAt: 1700000001, state: 'active', categoryUuid: '001',
              details: {
                loginFields: [
                  { value: 'deploy-bot', id: '', name: 'username', fieldType: 'T', designation: 'username' },
                  { value: 'gh-password-1', id: '', name: 'password', fieldType: 'P', designation: 'password' },
                ],
                notesPlain: 'Org owner account',
                sections: [
                  { title: 'API', name: 's1', fields: [
                    { title: 'token', id: 'f1', value: { concealed: 'ghp_onepux' }, indexAtSource: 0, guarded: false, multiline: false },
                    { title: 'one-time password', id: 'f2', value: { totp: 'otpauth://totp/GitHub?secret=ABC' }, indexAtSource: 1, guarded: false, multiline: false },
                    { title: 'org', id: 'f3', value: { string: 'acme' }, indexAtSource: 2, guarded: false, multiline: false },
                  ] },
                ],
                passwordHistory: [],
              },
              overview: { subtitle: 'deploy-bot', urls: [{ label: '', url: 'https://github.com' }], title: 'GitHub', url: 'https://github.com', ps: 0, pbe: 0, pgrng: false, tags: ['ci'] },
            },
            {
              uuid: 'I2', favIndex: 0, createdAt: 1, updatedAt: 1, state: 'active', categoryUuid: '003',
              details: { loginFields: [], notesPlain: '-----BEGIN KEY-----\nabc\n-----END KEY-----', sections: [], passwordHistory: [] },
              overview: { subtitle: '', title: 'signing key', ps: 0, pbe: 0, pgrng: false },
            },
            {
              uuid: 'I3', favIndex: 0, createdAt: 1, updatedAt: 1, state: 'active', categoryUuid: '006',
              details: { loginFields: [], sections: [], passwordHistory: [], documentAttributes: { fileName: 'cert.p12', documentId: 'd1', decryptedSize: 10 } },
              overview: { subtitle: '', title: 'Client cert', ps: 0, pbe: 0, pgrng: false },
            },
            {
              uuid: 'I4', favIndex: 0, createdAt: 1, updatedAt: 1, state: 'archived', categoryUuid: '005',
              details: { loginFields: [], sections: [], passwordHistory: [], password: 'old-pw' },
              overview: { subtitle: '', title: 'Old', ps: 0, pbe: 0, pgrng: false },
            },
          ],
        },
      ],
    },
  ],
};

describe('mapping rules', () => {
  it('makes names env-var safe, keeps valid ones, and numbers repeats', async () => {
    expect(envVarName('STRIPE_KEY')).toBe('STRIPE_KEY');
    expect(envVarName('Stripe key (live)')).toBe('STRIPE_KEY_LIVE');
    expect(envVarName('3scale token')).toBe('_3SCALE_TOKEN');
    expect(envVarName('Café')).toBe('CAFE');
    expect(envVarName('!!!')).toBe('IMPORTED');
    expect(envVarName('x'.repeat(300))).toHaveLength(128);
    const m = await mapped('1password-csv', 'Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\nGitHub,,,a,,,,,\ngithub,,,b,,,,,\n');
    expect(m.secrets.map((s) => [s.key, s.value])).toEqual([['GITHUB', 'a'], ['GITHUB_2', 'b']]);
    expect(m.secrets[1]!.description).toBe('Imported from "github"');
  });

  it('skips values past 256 KiB, and empty ones, saying why', async () => {
    const m = await mapped('doppler-json', JSON.stringify({ BIG: 'x'.repeat(256 * 1024 + 1), EMPTY: '', OK: 'v' }));
    expect(m.secrets.map((s) => s.key)).toEqual(['OK']);
    expect(m.skipped.map((s) => [s.title, s.why])).toEqual([['BIG', 'the value is larger than 256 KiB'], ['EMPTY', 'the value is empty']]);
  });
});

describe('1PUX', () => {
  it('maps logins, concealed and TOTP fields, secure notes; lists documents and archived items as skipped', async () => {
    const m = await mapped('1pux', writeOnePux(ONEPUX, { 'd1__cert.p12': 'binary' }));
    expect(m.secrets.map(pick)).toEqual([
      { key: 'GITHUB', value: 'gh-password-1', description: 'Imported from "GitHub"\nUsername: deploy-bot\nOrg owner account', tags: ['Engineering', 'ci'], service: 'https://github.com' },
      { key: 'GITHUB_TOKEN', value: 'ghp_onepux', description: 'Imported from "GitHub token"\nUsername: deploy-bot\nOrg owner account', tags: ['Engineering', 'ci'], service: 'https://github.com' },
      { key: 'GITHUB_TOTP', value: 'otpauth://totp/GitHub?secret=ABC', description: 'Imported from "GitHub TOTP"\nUsername: deploy-bot\nOrg owner account', tags: ['Engineering', 'ci'], service: 'https://github.com' },
      { key: 'SIGNING_KEY', value: '-----BEGIN KEY-----\nabc\n-----END KEY-----', description: 'Imported from "signing key"', tags: ['Engineering'], service: '' },
    ]);
    expect(m.skipped.map((s) => [s.title, s.why])).toEqual([
      ['Client cert', 'the document "cert.p12" is not imported'],
      ['Old', 'it is archived'],
    ]);
  });

  it('refuses a truncated archive and one without export.data', async () => {
    const zip = writeOnePux(ONEPUX);
    expect((await refusal(readImport('1pux', zip.subarray(0, zip.length - 30)))).code).toBe('IMPORT_MALFORMED');
    expect((await refusal(readImport('1pux', enc('not a zip')))).code).toBe('IMPORT_MALFORMED');
    // 65 MiB of one byte deflates to a few hundred KiB: refused by its declared size, not inflated.
    const bomb = zipSync({ 'export.data': new Uint8Array(65 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect((await refusal(readImport('1pux', bomb))).message).toContain('more than 64 MiB');
  });
});

describe('CSV exports', () => {
  it('1Password CSV: title, URL, username, password, OTPAuth, tags, notes; archived rows skipped', async () => {
    const csv = 'Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n"Sentry DSN",https://sentry.io,me,"dsn,with,commas",otpauth://totp/S?secret=X,false,false,"ops;errors","multi\nline"\nOld,,,p,,false,true,,\n';
    const m = await mapped('1password-csv', csv);
    expect(m.secrets.map(pick)).toEqual([
      { key: 'SENTRY_DSN', value: 'dsn,with,commas', description: 'Imported from "Sentry DSN"\nUsername: me\nmulti\nline', tags: ['ops', 'errors'], service: 'https://sentry.io' },
      { key: 'SENTRY_DSN_TOTP', value: 'otpauth://totp/S?secret=X', description: 'Imported from "Sentry DSN TOTP"\nUsername: me\nmulti\nline', tags: ['ops', 'errors'], service: 'https://sentry.io' },
    ]);
    expect(m.skipped).toEqual([{ index: 2, title: 'Old', why: 'it is archived' }]);
  });

  it('KeePassXC CSV: the group path below the root becomes tags; the recycle bin is skipped', async () => {
    const csv = '"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"\n"Root/Cloud/AWS","AWS_KEY","admin","kp-secret","https://aws.amazon.com","note","otpauth://totp/A?secret=Y","0","2024-01-01T00:00:00Z","2024-01-01T00:00:00Z"\n"Root/Recycle Bin","gone","","x","","","","0","",""\n';
    const m = await mapped('keepassxc-csv', csv);
    expect(m.secrets.map(pick)).toEqual([
      { key: 'AWS_KEY', value: 'kp-secret', description: 'Username: admin\nnote', tags: ['Cloud', 'AWS'], service: 'https://aws.amazon.com' },
      { key: 'AWS_KEY_TOTP', value: 'otpauth://totp/A?secret=Y', description: 'Imported from "AWS_KEY TOTP"\nUsername: admin\nnote', tags: ['Cloud', 'AWS'], service: 'https://aws.amazon.com' },
    ]);
    expect(m.skipped.map((s) => s.why)).toEqual(['it is in the recycle bin']);
  });

  it('a generic CSV with --map', async () => {
    const csv = 'Name,Secret,Notes,Folder,Site\nmailgun key,key-123,"transactional mail",mail;prod,https://mailgun.com\n';
    const m = await mapped('csv', csv, 'name=Name,value=Secret,description=Notes,tags=Folder,url=Site');
    expect(m.secrets.map(pick)).toEqual([{ key: 'MAILGUN_KEY', value: 'key-123', description: 'Imported from "mailgun key"\ntransactional mail', tags: ['mail', 'prod'], service: 'https://mailgun.com' }]);
    expect((await refusal(readImport('csv', enc(csv), { map: 'name=Name,value=Nope' }))).message).toContain('no Nope column');
    expect((await refusal(readImport('csv', enc(csv), { map: 'title=Name' }))).code).toBe('INVALID_INPUT');
  });

  it('a CSV with an open quote or a ragged row is refused whole by row number, without its text', async () => {
    const r = await refusal(readImport('1password-csv', enc('Title,Password\nA,"secret-open\n')));
    expect(r.code).toBe('IMPORT_MALFORMED');
    expect(r.message).not.toContain('secret-open');
    expect((await refusal(readImport('infisical-csv', enc('Key,Value\nA,1,extra-secret\n')))).message).not.toContain('extra-secret');
  });
});

describe('Infisical and Doppler', () => {
  it('infisical export --format json / csv', async () => {
    const json = JSON.stringify([
      { key: 'API_KEY', workspace: 'w1', value: 'inf-1', type: 'shared', secretPath: '/', comment: 'from infisical' },
      { key: 'DB_PASS', workspace: 'w1', value: 'inf-2', type: 'personal', secretPath: '/' },
    ]);
    const m = await mapped('infisical-json', json);
    expect(m.secrets.map(pick)).toEqual([
      { key: 'API_KEY', value: 'inf-1', description: 'from infisical', tags: [], service: '' },
      { key: 'DB_PASS', value: 'inf-2', description: '', tags: [], service: '' },
    ]);
    const c = await mapped('infisical-csv', 'Key,Value\nAPI_KEY,inf-1\n');
    expect(c.secrets.map((s) => [s.key, s.value])).toEqual([['API_KEY', 'inf-1']]);
    expect((await refusal(readImport('infisical-json', enc('[{"key":"A"}]')))).code).toBe('IMPORT_MALFORMED');
  });

  it('doppler secrets download --format json / csv, its own DOPPLER_* names skipped', async () => {
    const m = await mapped('doppler-json', JSON.stringify({ DOPPLER_CONFIG: 'dev', DOPPLER_ENVIRONMENT: 'dev', DOPPLER_PROJECT: 'app', STRIPE_KEY: 'dop-1' }));
    expect(m.secrets.map((s) => [s.key, s.value])).toEqual([['STRIPE_KEY', 'dop-1']]);
    expect(m.skipped.map((s) => s.title)).toEqual(['DOPPLER_CONFIG', 'DOPPLER_ENVIRONMENT', 'DOPPLER_PROJECT']);
    const c = await mapped('doppler-csv', 'DOPPLER_CONFIG,dev\nSTRIPE_KEY,"dop,1"\n');
    expect(c.secrets.map((s) => [s.key, s.value])).toEqual([['STRIPE_KEY', 'dop,1']]);
    expect((await refusal(readImport('doppler-json', enc('{"A": 1}')))).code).toBe('IMPORT_MALFORMED');
    expect((await refusal(readImport('doppler-json', enc('{"A": "cut')))).code).toBe('IMPORT_MALFORMED');
  });
});

describe('detectFormat', () => {
  it('tells the formats apart from the name and first bytes', async () => {
    expect(detectFormat('db.kdbx', await writeKdbx([], 'pw'))).toBe('kdbx');
    expect(detectFormat('export.1pux', writeOnePux(ONEPUX))).toBe('1pux');
    expect(detectFormat('bw.json', enc('{"encrypted": false, "items": []}'))).toBe('bitwarden-json');
    expect(detectFormat('bw.json', enc('{"encrypted": true, "passwordProtected": true, "data": "2.x"}'))).toBe('bitwarden-json');
    expect(detectFormat('d.json', enc('{"A": "b"}'))).toBe('doppler-json');
    expect(detectFormat('i.json', enc('[{"key":"A","value":"b"}]'))).toBe('infisical-json');
    expect(detectFormat('k.csv', enc('"Group","Title","Username","Password","URL"\n'))).toBe('keepassxc-csv');
    expect(detectFormat('o.csv', enc('Title,Url,Username,Password,OTPAuth\n'))).toBe('1password-csv');
    expect(detectFormat('i.csv', enc('Key,Value\n'))).toBe('infisical-csv');
    expect(detectFormat('.env', enc('A=1\n'))).toBe('dotenv');
    expect(detectFormat('.env', enc('#/---\nDOTENV_PUBLIC_KEY="02ab"\nA="encrypted:BD..."\n'))).toBe('dotenvx');
    expect(detectFormat('x.bin', new Uint8Array([0xff, 0xfe, 0x00]))).toBeUndefined();
  });
});
