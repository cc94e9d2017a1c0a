/**
 * The tree bench:scan runs over: `files` source-like files of about `bytes` in total,
 * with `values.length` vault values leaked in them (plain, base64, URL-encoded) and every
 * well-known format planted, deterministically from a seed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAKE_KEY_MAKERS, FakeRandom, innocentLines } from '../fixtures/scan/fake-keys';

export interface TreeSpec {
  readonly root: string;
  readonly files: number;
  readonly bytes: number;
  readonly values: readonly string[];
  /** How many keys of each well-known format. */
  readonly perRule: number;
}

export interface Tree {
  readonly bytes: number;
  /** Planted findings: values and format keys. */
  readonly plantedValues: number;
  readonly plantedFormats: number;
}

export async function writeScanTree(spec: TreeSpec): Promise<Tree> {
  const r = new FakeRandom('bench-scan');
  // A pool of innocent lines, drawn from with a cheap generator: hashing 200 MB would take longer than the bench.
  const pool = innocentLines(r, 20_000);
  let seed = 12345;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const planted: string[][] = Array.from({ length: spec.files }, () => []);
  spec.values.forEach((v, i) => {
    const form = i % 3;
    const line = form === 0 ? `SECRET_${i}=${v}` : form === 1 ? `  value: ${Buffer.from(v).toString('base64')}` : `dsn = "https://svc:${encodeURIComponent(v)}@host-${i}.internal/db"`;
    planted[next(spec.files)]!.push(line);
  });
  let formats = 0;
  for (const make of Object.values(FAKE_KEY_MAKERS)) {
    for (let k = 0; k < spec.perRule; k++) {
      planted[next(spec.files)]!.push(make(r, k).line);
      formats++;
    }
  }
  const perFile = spec.bytes / spec.files;
  let total = 0;
  for (let f = 0; f < spec.files; f++) {
    const lines: string[] = [];
    let size = 0;
    const target = perFile * (0.5 + next(1000) / 1000);
    while (size < target) {
      const l = pool[next(pool.length)]!;
      lines.push(l);
      size += l.length + 1;
    }
    for (const p of planted[f]!) lines.splice(next(lines.length + 1), 0, p);
    const text = lines.join('\n') + '\n';
    const dir = join(spec.root, `pkg-${Math.floor(f / 500)}`, `mod-${Math.floor(f / 50) % 10}`);
    if (f % 50 === 0) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `file-${f}.${['js', 'ts', 'py', 'yaml', 'env', 'md'][f % 6]}`), text);
    total += Buffer.byteLength(text);
  }
  return { bytes: total, plantedValues: spec.values.length, plantedFormats: formats };
}
