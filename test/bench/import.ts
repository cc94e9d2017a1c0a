/**
 * bench:import — importing 10,000 entries from a KeePass database and from a Bitwarden
 * password-protected export, with the preview, into a fresh environment each run.
 *
 * Each file is made once by the real format's writer (kdbxweb; Bitwarden's documented
 * derivation) at the tools' usual KDF costs: KDBX 4 with Argon2id 64 MiB × 2 iterations ×
 * 2 lanes (KeePassXC's default memory), Bitwarden PBKDF2-SHA256 600,000 iterations (its
 * default). The whole import (open + parse + map + preview + write) is measured, and beside
 * it the KDF alone with the same parameters, in the same run: the baseline no importer can
 * go under. The ratio says how much the rest costs on top of the KDF.
 */
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argon2id } from 'hash-wasm';
import { readImport, type ImportFormat } from '../../src-main/import/formats';
import { applyImport, previewImport } from '../../src-main/import/import-preview';
import { mapImport } from '../../src-main/import/mapping';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { createProfile } from '../../src-main/profile/profile';
import { createVault } from '../../src-main/vaults/vaults';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { writeBitwardenProtected, writeKdbx, type KdbxCost } from '../helpers/import-fixtures';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KDBX_COST: KdbxCost = { memory: 64 * 1024 * 1024, iterations: 2, parallelism: 2 };
const PBKDF2_ITERATIONS = 600_000;
const PASSWORD = 'bench password';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const token = () => randomBytes(18).toString('base64url');

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-import-'));
  try {
    console.log(`bench:import — ${ENTRIES} entries per file, ${RUNS} runs each (medians); crypto: ${nodeSuite.name}`);
    const kdbx = await writeKdbx(
      Array.from({ length: ENTRIES }, (_, i) => ({ title: `Service ${i} API key`, password: token(), username: `svc-${i}`, url: `https://svc${i}.example`, group: [`Team ${i % 20}`] })),
      PASSWORD,
      KDBX_COST,
    );
    const plain = JSON.stringify({
      encrypted: false,
      folders: Array.from({ length: 20 }, (_, i) => ({ id: `f${i}`, name: `Team ${i}` })),
      items: Array.from({ length: ENTRIES }, (_, i) => ({ id: `i${i}`, type: 1, name: `Service ${i} API key`, folderId: `f${i % 20}`, login: { username: `svc-${i}`, password: token(), uris: [{ uri: `https://svc${i}.example` }] } })),
    });
    const bitwarden = new TextEncoder().encode(await writeBitwardenProtected(plain, PASSWORD, { kdfType: 0, kdfIterations: PBKDF2_ITERATIONS }));
    console.log(`  files: KDBX 4 ${(kdbx.length / 1024).toFixed(0)} KiB, Bitwarden JSON ${(bitwarden.length / 1024).toFixed(0)} KiB`);

    const session = await createProfile(nodeSuite, home, { name: 'Bench', keychain: createMemoryKeychain() });
    const envs = Array.from({ length: RUNS * 2 }, (_, i) => `run-${i}`);
    const vault = await createVault(session, 'Bench', envs);
    let next = 0;

    // Where the time goes, per format: read (open, decrypt, parse, map), preview, write.
    const phases = new Map<ImportFormat, { read: number[]; preview: number[]; write: number[] }>();
    const importOnce = async (format: ImportFormat, bytes: Uint8Array) => {
      const env = envs[next++]!;
      const p = phases.get(format) ?? { read: [], preview: [], write: [] };
      phases.set(format, p);
      let t = performance.now();
      const mapped = mapImport(await readImport(format, bytes, { password: async () => PASSWORD }));
      p.read.push(performance.now() - t);
      t = performance.now();
      const plan = await previewImport(vault, env, mapped, format);
      p.preview.push(performance.now() - t);
      if (plan.added.length !== ENTRIES && next <= 2) throw new Error(`expected ${ENTRIES} to add, the preview says ${plan.added.length}`);
      t = performance.now();
      const r = await applyImport(vault, env, mapped, format);
      p.write.push(performance.now() - t);
      if (r.added.length + r.unchanged.length + r.updated.length !== ENTRIES) throw new Error('not every entry was imported');
    };
    const argon = () =>
      argon2id({ password: PASSWORD, salt: randomBytes(32), iterations: KDBX_COST.iterations, memorySize: KDBX_COST.memory / 1024, parallelism: KDBX_COST.parallelism, hashLength: 32, outputType: 'binary' });
    const pbkdf2 = async () => pbkdf2Sync(PASSWORD, createHash('sha256').update('salt').digest(), PBKDF2_ITERATIONS, 32, 'sha256');

    const rows: [string, number[], number[]][] = [
      ['KDBX 4 (Argon2id 64 MiB × 2)', [], []],
      ['Bitwarden encrypted JSON (PBKDF2 600k)', [], []],
    ];
    for (let run = 0; run < RUNS; run++) {
      rows[0]![1].push(await time(() => importOnce('kdbx', kdbx)));
      rows[0]![2].push(await time(argon));
      rows[1]![1].push(await time(() => importOnce('bitwarden-json', bitwarden)));
      rows[1]![2].push(await time(pbkdf2));
    }
    for (const [i, [name, whole, kdf]] of rows.entries()) {
      const w = median(whole);
      const k = median(kdf);
      const p = phases.get(i === 0 ? 'kdbx' : 'bitwarden-json')!;
      console.log(`  ${name}: import with preview ${ms(w)}; baseline, the KDF alone ${ms(k)}; ratio ${(w / k).toFixed(2)}× (${ms(w - k)} beyond the KDF for ${ENTRIES} entries)`);
      console.log(`    of which: read the file ${ms(median(p.read))} (KDF included), preview ${ms(median(p.preview))}, write ${ms(median(p.write))}`);
    }
    session.lock();
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

await main();
