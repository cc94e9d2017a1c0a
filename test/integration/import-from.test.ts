/**
 * `tessera import --from` through the CLI, with files made by the real tools (kdbxweb,
 * @dotenvx/dotenvx, Bitwarden's key derivation): a preview first and nothing written
 * without --yes; every field where the mapping says (read back with export --all-envs);
 * a wrong password, a truncated file and a wrong key refused whole with their codes; and
 * afterwards no imported value in any file under the profile or the command's temp folder.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { allFiles, createCliProfile, makeTempDir, type CliProfile, type CliResult } from '../helpers/cli';
import { writeBitwardenProtected, writeDotenvx, writeKdbx } from '../helpers/import-fixtures';
import { requireKeychain } from '../helpers/keychain';

const VAULT = 'Imports';
const KDBX_PASSWORD = 'kdbx fixture password';
const BW_PASSWORD = 'bitwarden fixture password';
// Distinct from anything else on the machine, so finding one in a file means it leaked.
const VALUES = {
  kdbx: 'kdbx-value-7c1e2f9a4b',
  kdbxTotp: 'otpauth://totp/Acme?secret=KDBXTOTP7C1E',
  bitwarden: 'bw-value-3d8a6e1f0c',
  dotenvx: 'dotenvx-value-9b4c2a7e5d',
};

let shared: Promise<{ p: CliProfile; dir: string; tmp: string }> | undefined;

async function setup(ctx: TestContext) {
  await requireKeychain(ctx);
  shared ??= (async () => {
    const p = await createCliProfile();
    await p.ok(['vault', 'create', VAULT, '--envs', 'kdbx,bitwarden,dotenvx,refused']);
    const dir = await makeTempDir('tessera-import-from-');
    const tmp = await makeTempDir('tessera-import-tmp-');
    await writeFile(join(dir, 'kdbx.pw'), `${KDBX_PASSWORD}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'bw.pw'), BW_PASSWORD, { mode: 0o600 });
    await writeFile(join(dir, 'wrong.pw'), 'not it', { mode: 0o600 });
    return { p, dir, tmp };
  })();
  return shared;
}

afterAll(async () => {
  const s = await shared?.catch(() => undefined);
  await s?.p.dispose();
  if (s) await Promise.all([rm(s.dir, { recursive: true, force: true }), rm(s.tmp, { recursive: true, force: true })]);
});

interface Exported {
  environments: string[];
  secrets: { name: string; description: string; tags: string[]; service: string; rotation: Record<string, unknown>; values: Record<string, string> }[];
}

async function exportAll(p: CliProfile): Promise<Exported> {
  const r = await p.ok(['export', '--vault', VAULT, '--all-envs', '--format', 'json']);
  return JSON.parse(r.stdout) as Exported;
}

function expectNoValue(r: CliResult): void {
  for (const v of Object.values(VALUES)) {
    expect(r.stdout).not.toContain(v);
    expect(r.stderr).not.toContain(v);
  }
}

describe('tessera import --from', () => {
  it('KDBX 4: previews, writes nothing without --yes, then imports every field where the mapping says', async (ctx) => {
    const { p, dir, tmp } = await setup(ctx);
    const file = join(dir, 'team.kdbx');
    await writeFile(
      file,
      await writeKdbx(
        [
          { title: 'Acme API key', password: VALUES.kdbx, username: 'svc-acme', url: 'https://api.acme.test', notes: 'Owner: platform', group: ['Vendors'], tags: ['billing'], fields: { otp: { value: VALUES.kdbxTotp, protected: true } }, attachments: { 'backup-codes.txt': 'x' } },
        ],
        KDBX_PASSWORD,
      ),
    );
    const args = ['import', file, '--vault', VAULT, '--env', 'kdbx', '--from', 'kdbx', '--password-file', join(dir, 'kdbx.pw')];
    const env = { TMPDIR: tmp };

    const dry = await p.ok([...args, '--dry-run', '--json'], { env });
    expectNoValue(dry);
    const plan = JSON.parse(dry.stdout) as { added: string[]; updated: string[]; unchanged: string[]; skipped: { index: number; title: string; why: string }[] };
    expect(plan.added).toEqual(['ACME_API_KEY', 'ACME_API_KEY_TOTP']);
    expect(plan.skipped).toEqual([{ index: 1, title: 'Acme API key', why: 'the attachment "backup-codes.txt" is not imported' }]);

    // No terminal and no --yes: the preview is shown and nothing is written.
    const asked = await p.run(args, { env });
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toContain('to add (2): ACME_API_KEY, ACME_API_KEY_TOTP');
    expect(asked.stderr).toMatch(/\[CONFIRMATION_REQUIRED\]\n$/);
    expect((await exportAll(p)).secrets).toEqual([]);

    const done = await p.ok([...args, '--yes'], { env });
    expectNoValue(done);
    expect(done.stderr).toContain('Imported into kdbx: 2 added, 0 updated, 0 unchanged, 1 skipped');
    const exported = await exportAll(p);
    expect(exported.secrets.map((s) => ({ name: s.name, description: s.description, tags: s.tags, service: s.service, values: s.values }))).toEqual([
      { name: 'ACME_API_KEY', description: 'Imported from "Acme API key"\nUsername: svc-acme\nOwner: platform', tags: ['Vendors', 'billing'], service: 'https://api.acme.test', values: { kdbx: VALUES.kdbx } },
      { name: 'ACME_API_KEY_TOTP', description: 'Imported from "Acme API key TOTP"\nUsername: svc-acme\nOwner: platform', tags: ['Vendors', 'billing'], service: 'https://api.acme.test', values: { kdbx: VALUES.kdbxTotp } },
    ]);

    // Leaving carries the rotation policy too.
    await p.ok(['policy', 'ACME_API_KEY', '--vault', VAULT, '--every', '30d']);
    expect((await exportAll(p)).secrets[0]!.rotation).toMatchObject({ intervalDays: 30 });

    // Again: nothing changes, and the preview says so.
    const again = await p.ok([...args, '--yes'], { env });
    expect(again.stderr).toContain('unchanged (2): ACME_API_KEY, ACME_API_KEY_TOTP');
    expect(again.stderr).toContain('Nothing to import.');
  });

  it('refuses a wrong KDBX password, a truncated KDBX and a wrong dotenvx key whole, each with its code', async (ctx) => {
    const { p, dir, tmp } = await setup(ctx);
    const good = join(dir, 'refused.kdbx');
    const bytes = await writeKdbx([{ title: 'REFUSED_ONE', password: 'refused-value-1' }], KDBX_PASSWORD);
    await writeFile(good, bytes);
    const base = ['--vault', VAULT, '--env', 'refused', '--yes'];
    const wrong = await p.run(['import', good, ...base, '--from', 'kdbx', '--password-file', join(dir, 'wrong.pw')], { env: { TMPDIR: tmp } });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/^tessera: [^\n]+ \[IMPORT_WRONG_PASSWORD\]\n$/);

    const cut = join(dir, 'cut.kdbx');
    await writeFile(cut, bytes.subarray(0, bytes.length - 64));
    const truncated = await p.run(['import', cut, ...base, '--from', 'kdbx', '--password-file', join(dir, 'kdbx.pw')], { env: { TMPDIR: tmp } });
    expect(truncated.stderr).toMatch(/^tessera: [^\n]+ \[IMPORT_MALFORMED\]\n$/);

    const dx = await writeDotenvx(dir, '.env.refused', { REFUSED_TWO: 'refused-value-2' });
    const otherDir = await makeTempDir('tessera-dotenvx-other-');
    const other = await writeDotenvx(otherDir, '.env.refused', { X: 'y' });
    const key = /DOTENV_PRIVATE_KEY_REFUSED=(\w+)/.exec(await readFile(other.keysPath, 'utf8'))![1]!;
    await rm(otherDir, { recursive: true, force: true });
    const badKey = await p.run(['import', dx.path, ...base, '--from', 'dotenvx'], { env: { TMPDIR: tmp, DOTENV_PRIVATE_KEY_REFUSED: key } });
    expect(badKey.stderr).toMatch(/^tessera: [^\n]+ \[IMPORT_WRONG_KEY\]\n$/);

    const exported = await exportAll(p);
    expect(exported.secrets.filter((s) => s.values.refused !== undefined)).toEqual([]);
  });

  it('imports a password-protected Bitwarden export and a dotenvx file; no imported value is left in any file', async (ctx) => {
    const { p, dir, tmp } = await setup(ctx);
    const plain = JSON.stringify({
      encrypted: false,
      folders: [{ id: 'f', name: 'Payments' }],
      items: [{ id: 'i', type: 1, name: 'STRIPE_SECRET_KEY', folderId: 'f', notes: null, login: { username: null, password: VALUES.bitwarden, totp: null, uris: [] } }],
    });
    const bw = join(dir, 'bitwarden.json');
    await writeFile(bw, await writeBitwardenProtected(plain, BW_PASSWORD));
    const b = await p.ok(['import', bw, '--vault', VAULT, '--env', 'bitwarden', '--from', 'bitwarden-json', '--password-file', join(dir, 'bw.pw'), '--yes'], { env: { TMPDIR: tmp } });
    expectNoValue(b);
    expect(b.stderr).toContain('Imported into bitwarden: 1 added');

    const dx = await writeDotenvx(dir, '.env.dotenvx', { DATABASE_URL: VALUES.dotenvx });
    const d = await p.ok(['import', dx.path, '--vault', VAULT, '--env', 'dotenvx', '--from', 'dotenvx', '--yes'], { env: { TMPDIR: tmp } });
    expectNoValue(d);
    expect(d.stderr).toMatch(/skipped \(1\)\n {4}\d+ "DOTENV_PUBLIC_KEY_DOTENVX": dotenvx's public key, not a secret\n/);

    const exported = await exportAll(p);
    const byName = new Map(exported.secrets.map((s) => [s.name, s]));
    expect(byName.get('STRIPE_SECRET_KEY')).toMatchObject({ tags: ['Payments'], values: { bitwarden: VALUES.bitwarden } });
    expect(byName.get('DATABASE_URL')).toMatchObject({ values: { dotenvx: VALUES.dotenvx } });

    // The profile holds the values sealed, the temp folder nothing of them.
    const files = [...(await allFiles(p.home)), ...(await allFiles(tmp))];
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = (await readFile(f)).toString('latin1');
      for (const v of Object.values(VALUES)) expect(text.includes(v), `${v.slice(0, 4)}… in ${f}`).toBe(false);
    }
  });
});
