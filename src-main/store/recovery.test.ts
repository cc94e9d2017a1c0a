// Damage on disk: torn writes, flipped bits, a broken snapshot. The store opens what it
// can, says what it set aside, and loses nothing that was intact.
import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { getValue, listSecrets, setSecret } from '../vaults/secrets';
import { createVault, openVault } from '../vaults/vaults';

async function seeded(n: number) {
  const home = await tempHome();
  const keychain = createMemoryKeychain();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
  const vault = await createVault(session, 'V', ['development']);
  for (let i = 0; i < n; i++) await setSecret(vault, `KEY_${i}`, 'development', `value-${i}`);
  const envId = vault.environments()[0]!.id;
  const dir = join(home, 'vaults', vault.id, envId);
  session.lock();
  const reopen = async () => {
    const { session: s } = await unlockProfile(nodeSuite, home, { keychain });
    return openVault(s, 'V');
  };
  return { home, dir, reopen };
}

const logOf = async (dir: string) => join(dir, (await readdir(dir)).filter((f) => f.startsWith('log-')).sort().at(-1)!);

describe('crash recovery', () => {
  it('a torn last write is ignored on read, set aside before the next write, and nothing else is lost', async () => {
    const { dir, reopen } = await seeded(5);
    const log = await logOf(dir);
    const size = (await stat(log)).size;
    // Append the first 40 bytes of a frame: what a crash mid-append leaves.
    const bytes = await readFile(log);
    await appendFile(log, bytes.subarray(0, 40));
    const v = await reopen();
    expect((await listSecrets(v, 'development')).length).toBe(5);
    await setSecret(v, 'AFTER_CRASH', 'development', 'ok');
    expect(v.problems().map((p) => p.code)).toContain('TORN_WRITE');
    expect((await readdir(dir)).some((f) => f.includes('.torn-'))).toBe(true);
    const v2 = await reopen();
    expect((await getValue(v2, 'AFTER_CRASH', 'development')).value).toBe('ok');
    expect((await listSecrets(v2, 'development')).length).toBe(6);
    expect(v2.problems()).toEqual([]);
    expect((await stat(log)).size).toBeGreaterThan(size);
  });

  it('a truncated log keeps every complete change before the cut', async () => {
    const { dir, reopen } = await seeded(5);
    const log = await logOf(dir);
    await truncate(log, (await stat(log)).size - 10);
    const v = await reopen();
    const names = (await listSecrets(v, 'development')).map((s) => s.name);
    expect(names).toEqual(['KEY_0', 'KEY_1', 'KEY_2', 'KEY_3']);
  });

  it('a flipped bit inside one change skips that change, names it, and keeps the rest on disk', async () => {
    const { dir, reopen } = await seeded(5);
    const log = await logOf(dir);
    const bytes = await readFile(log);
    const before = bytes.length;
    // Damage the middle of the file: inside the third of five frames.
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(log, bytes);
    const v = await reopen();
    const names = (await listSecrets(v, 'development')).map((s) => s.name);
    // Yjs updates of one author build on each other: the two before the damage apply, the
    // two after it wait for the damaged one (which sync can bring back) and say so.
    expect(names).toEqual(['KEY_0', 'KEY_1']);
    expect(v.problems().map((p) => p.code)).toEqual(['TAMPERED', 'INCOMPLETE']);
    expect((await stat(log)).size).toBe(before);
  });

  it('a damaged length field does not hide the frames after it', async () => {
    const { dir, reopen } = await seeded(5);
    const log = await logOf(dir);
    const bytes = await readFile(log);
    bytes.writeUInt32LE(bytes.readUInt32LE(2) + 1000, 2); // the first frame claims to be longer
    await writeFile(log, bytes);
    const v = await reopen();
    await listSecrets(v, 'development');
    const problems = v.problems();
    // One damaged stretch, exactly the first frame: the scan found the second frame's header.
    const firstFrameLength = 6 + (await readFile(log)).readUInt32LE(2) - 1000;
    expect(problems[0]).toMatchObject({ code: 'TAMPERED', bytes: firstFrameLength });
    expect(problems.filter((p) => p.code !== 'INCOMPLETE')).toHaveLength(1);
  });

  it('a damaged newest snapshot falls back to the previous one and its logs', async () => {
    const { dir, reopen } = await seeded(3);
    let v = await reopen();
    await v.compact(); // snapshot 1
    await setSecret(v, 'MIDDLE', 'development', 'm');
    await v.compact(); // snapshot 2, keeps snapshot 1 and the log after it
    await setSecret(v, 'LAST', 'development', 'l');
    const snaps = (await readdir(dir)).filter((f) => f.startsWith('snap-')).sort();
    expect(snaps.length).toBe(2);
    const newest = join(dir, snaps[1]!);
    const bytes = await readFile(newest);
    bytes[bytes.length - 100]! ^= 0xff;
    await writeFile(newest, bytes);
    v = await reopen();
    expect((await listSecrets(v, 'development')).map((s) => s.name)).toEqual(['KEY_0', 'KEY_1', 'KEY_2', 'LAST', 'MIDDLE']);
    expect(v.problems().map((p) => [p.file, p.code])).toEqual([[snaps[1], 'TAMPERED']]);
  });

  it('re-verifies nothing it verified before, but still catches a change made since', async () => {
    const { dir, reopen } = await seeded(4);
    await listSecrets(await reopen(), 'development'); // records the verified prefix
    const records = JSON.parse(await readFile(join(dir, 'verified.json'), 'utf8'));
    const log = await logOf(dir);
    expect(records[log.split('/').at(-1)!].length).toBe((await stat(log)).size);
    // Forge: flip a bit inside the recorded prefix; the record no longer matches, so the
    // frame is verified again and the damage found.
    const bytes = await readFile(log);
    bytes[20]! ^= 0x04;
    await writeFile(log, bytes);
    const v = await reopen();
    await listSecrets(v, 'development');
    expect(v.problems().map((p) => p.code)).toEqual(['TAMPERED', 'INCOMPLETE']);
  });
});
