/**
 * A scan against a real profile's vaults: values (expanded references included) are found
 * by fingerprint only, findings are recorded sealed for the Health report and reported to
 * the audit sink with names, files and lines — never values.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/helpers/temp-home';
import { collectingAuditSink } from '../audit/audit-sink';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { importEntries, setSecret } from '../vaults/secrets';
import { createVault } from '../vaults/vaults';
import { readScanFindings, recordScanFindings } from './findings-store';
import { valueForms } from './fingerprints';
import { recordVaultFindings, scan } from './scan-session';
import { indexVaultValues } from './vault-values';

const DB_PASSWORD = 'Tr0ub4dor&3-horse-battery';
const API_TOKEN = 'tok_9f8e7d6c5b4a39281706';

async function profileWithVaults() {
  const home = await tempHome();
  const keychain = createMemoryKeychain();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
  const app = await createVault(session, 'app', ['dev', 'prod']);
  await importEntries(app, 'prod', [
    { key: 'DB_PASSWORD', value: DB_PASSWORD },
    { key: 'DB_HOST', value: 'db.internal.example' },
    { key: 'DATABASE_URL', value: 'postgres://app:${DB_PASSWORD}@${DB_HOST}/app' },
    { key: 'SHORT', value: 'abc' },
  ]);
  const other = await createVault(session, 'other', ['dev']);
  await setSecret(other, 'API_TOKEN', 'dev', API_TOKEN);
  return { home, keychain, session };
}

describe('scanning for vault values', () => {
  it('finds values plainly, base64-encoded and expanded from references, and names the secret', async () => {
    const { home, session } = await profileWithVaults();
    const work = await tempHome('tessera-work-');
    await writeFile(join(work, 'config.yaml'), [
      'database:',
      `  url: postgres://app:${encodeURIComponent(DB_PASSWORD)}@db.internal.example/app`,
      `  password_b64: ${Buffer.from(DB_PASSWORD).toString('base64')}`,
      `token = "${API_TOKEN}"`,
      'short = abc',
    ].join('\n'));
    const values = await indexVaultValues(session);
    // The index carries keyed hashes and lengths only.
    const indexText = JSON.stringify(values.index, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    for (const v of [DB_PASSWORD, API_TOKEN]) for (const f of valueForms(v)) expect(indexText.includes(f.bytes.toString('latin1'))).toBe(false);
    // Counted per secret and environment, like tooShort: 4 in app/prod, 1 in other/dev.
    expect(values.valueCount).toBe(5);
    expect(values.tooShort).toBe(1);

    const outcome = await scan({ mode: { kind: 'paths', paths: ['.'] }, cwd: work, index: values.index, secrets: values.secrets });
    expect(outcome.findings.map((f) => [f.line, f.secret?.vault, f.secret?.environment, f.secret?.name, f.secret?.encoding])).toEqual([
      [2, 'app', 'prod', 'DB_PASSWORD', 'url'],
      [2, 'app', 'prod', 'DB_HOST', 'plain'], // every value is looked for, not only the obviously secret
      [3, 'app', 'prod', 'DB_PASSWORD', 'base64'],
      [4, 'other', 'dev', 'API_TOKEN', 'plain'],
    ]);

    const audit = collectingAuditSink();
    await recordVaultFindings(session, outcome, values.secrets, audit, work, 'paths');
    expect(audit.events.map((e) => [e.action, e.vault, e.secret, e.detail?.line])).toEqual([
      ['scan-finding', 'app', 'DB_PASSWORD', 2],
      ['scan-finding', 'app', 'DB_HOST', 2],
      ['scan-finding', 'app', 'DB_PASSWORD', 3],
      ['scan-finding', 'other', 'API_TOKEN', 4],
    ]);
    const stored = await readScanFindings(session);
    expect(stored.map((f) => [f.secret, f.environment, f.file, f.line])).toEqual([
      ['DB_PASSWORD', 'prod', join(work, 'config.yaml'), 2],
      ['DB_HOST', 'prod', join(work, 'config.yaml'), 2],
      ['DB_PASSWORD', 'prod', join(work, 'config.yaml'), 3],
      ['API_TOKEN', 'dev', join(work, 'config.yaml'), 4],
    ]);
    // Neither the events nor the sealed file hold a value.
    const raw = await readFile(join(home, 'scan-findings.sealed'));
    for (const v of [DB_PASSWORD, API_TOKEN, 'db.internal.example']) {
      expect(JSON.stringify(audit.events).includes(v)).toBe(false);
      expect(raw.includes(Buffer.from(v))).toBe(false);
      expect(raw.includes(Buffer.from('DB_PASSWORD'))).toBe(false); // names are sealed too
    }
    session.lock();
  });

  it('a file scanned clean clears its earlier findings; other files keep theirs', async () => {
    const { session } = await profileWithVaults();
    const base = { vaultId: 'v1', secret: 'A', environment: 'prod', line: 1, at: 1 };
    await recordScanFindings(session, [{ ...base, file: '/x/one' }, { ...base, secret: 'B', file: '/x/two' }]);
    await recordScanFindings(session, [], { scannedFiles: ['/x/one'] });
    expect((await readScanFindings(session)).map((f) => f.file)).toEqual(['/x/two']);
    // A new finding of B replaces B's older ones.
    await recordScanFindings(session, [{ ...base, secret: 'B', file: '/x/three', line: 9 }]);
    expect((await readScanFindings(session)).map((f) => [f.secret, f.file, f.line])).toEqual([['B', '/x/three', 9]]);
    session.lock();
  });

  it('the findings file opens only with the profile\'s key, and tampering is detected', async () => {
    const { home, keychain, session } = await profileWithVaults();
    await recordScanFindings(session, [{ vaultId: 'v', secret: 'S', file: '/f', line: 1, at: 1 }]);
    session.lock();
    const again = (await unlockProfile(nodeSuite, home, { keychain })).session;
    expect(await readScanFindings(again)).toHaveLength(1);
    const path = join(home, 'scan-findings.sealed');
    const bytes = await readFile(path);
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(path, bytes);
    await expect(readScanFindings(again)).rejects.toMatchObject({ code: 'TAMPERED' });
    again.lock();
  });
});
