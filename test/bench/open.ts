/**
 * bench:open — how long it takes to open a big vault, against plain Yjs.
 *
 * Builds a vault of 10,000 secrets × 3 environments × 3 value versions, compacts and
 * closes it, then measures a cold open: unlock (keychain → device key → keyring), read the
 * files, verify signatures, decrypt, apply to Y.Docs, and materialize what the app's
 * secrets list shows: every secret's metadata and which environments hold a value (the
 * values themselves are decoded one at a time, on get/reveal/copy). The baseline, measured
 * in the same run, is plain Y.applyUpdate of the same plaintext states into fresh Y.Docs.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import type { Keychain } from '../../src-main/keychain/keychain';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { createProfile, unlockProfile } from '../../src-main/profile/profile';
import { MetaScope } from '../../src-shared/vault/meta-scope';
import { ValuesScope } from '../../src-shared/vault/values-scope';
import { importEntries, listSecrets } from '../../src-main/vaults/secrets';
import { createVault, openVault } from '../../src-main/vaults/vaults';

const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000);
const ENVS = ['development', 'staging', 'production'];
const VERSIONS = 3;
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const mb = (x: number) => `${(x / 1024 / 1024).toFixed(2)} MB`;

async function pickKeychain(): Promise<Keychain> {
  const os = createOsKeychain();
  try {
    const probe = 'tessera-bench-probe';
    await os.setDeviceKey(probe, new Uint8Array(32));
    await os.deleteDeviceKey(probe);
    return os;
  } catch {
    return createMemoryKeychain();
  }
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirSize(p) : (await stat(p)).size;
  }
  return total;
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-open-'));
  const keychain = await pickKeychain();
  try {
    console.log(`bench:open — ${SECRETS} secrets × ${ENVS.length} environments × ${VERSIONS} versions; keychain: ${keychain.name}; crypto: ${nodeSuite.name}`);
    let t = performance.now();
    const session = await createProfile(nodeSuite, home, { name: 'Bench', keychain });
    const vault = await createVault(session, 'Bench', ENVS);
    for (let v = 1; v <= VERSIONS; v++) {
      for (const env of ENVS) {
        const entries = Array.from({ length: SECRETS }, (_, i) => ({
          key: `SERVICE_${i}_API_KEY`,
          value: `${env.slice(0, 4)}_v${v}_${Buffer.from(nodeSuite.randomBytes(18)).toString('base64url')}`,
        }));
        await importEntries(vault, env, entries);
      }
    }
    await vault.compact();
    session.lock();
    console.log(`built and compacted in ${ms(performance.now() - t)}`);

    // The same plaintext states, for the baseline.
    const { session: s0 } = await unlockProfile(nodeSuite, home, { keychain });
    const v0 = await openVault(s0, 'Bench');
    const states = [Y.encodeStateAsUpdate(v0.meta.doc)];
    for (const e of await v0.readableEnvironments()) states.push(Y.encodeStateAsUpdate(e.values.doc));
    s0.lock();
    const plainBytes = states.reduce((n, s) => n + s.length, 0);

    const open: number[] = [];
    const baseline: number[] = [];
    const baselineList: number[] = [];
    let checksum = 0;
    for (let r = 0; r < RUNS; r++) {
      // Alternate, so that neither side always runs on a warmer heap.
      t = performance.now();
      const { session: s } = await unlockProfile(nodeSuite, home, { keychain });
      const v = await openVault(s, 'Bench');
      for (const secret of await listSecrets(v)) checksum += secret.environments.length;
      open.push(performance.now() - t);
      if (v.problems().length) throw new Error('problems while opening');
      s.lock();

      t = performance.now();
      for (const st of states) Y.applyUpdate(new Y.Doc(), st);
      baseline.push(performance.now() - t);

      // The same plaintext loaded and listed by the same vault code, without disk or crypto:
      // what encryption, signatures and storage add on top.
      t = performance.now();
      const docs = states.map((st) => {
        const d = new Y.Doc();
        Y.applyUpdate(d, st);
        return d;
      });
      const meta = new MetaScope(docs[0]!);
      const values = docs.slice(1).map((d) => new ValuesScope(d));
      for (const secret of meta.secrets()) checksum += values.filter((x) => x.has(secret.id)).length;
      baselineList.push(performance.now() - t);
    }
    if (checksum === 0) throw new Error('nothing materialized');
    const disk = await dirSize(join(home, 'vaults'));
    const o = median(open);
    const b = median(baseline);
    const bl = median(baselineList);
    console.log(`open (unlock, read, verify, decrypt, materialize the list), median of ${RUNS}: ${ms(o)}   (target ≤ 300 ms)`);
    console.log(`baseline A: plain Y.applyUpdate of the same plaintext, median of ${RUNS}: ${ms(b)}   ratio ${(o / b).toFixed(2)}× (target ≤ 1.5×)`);
    console.log(`baseline B: the same plaintext applied and listed, no disk or crypto, median of ${RUNS}: ${ms(bl)}   ratio ${(o / bl).toFixed(2)}×`);
    console.log(`on disk: ${mb(disk)}   plaintext Yjs state: ${mb(plainBytes)}   ratio: ${(disk / plainBytes).toFixed(2)}×`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
