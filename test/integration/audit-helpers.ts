/** Looking for secret values in files, the way someone with the files would. */
import { readFile } from 'node:fs/promises';
import { allFiles } from '../helpers/cli';

/** Every encoding of `value` someone grepping a file would try. */
export function encodingsOf(value: string): string[] {
  const b = Buffer.from(value, 'utf8');
  return [value, b.toString('base64'), b.toString('base64url'), b.toString('hex'), b.toString('hex').toUpperCase()];
}

/** Which files under `dir` hold any of `values`, in any of those encodings. */
export async function filesContaining(dir: string, values: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await allFiles(dir)) {
    const bytes = await readFile(file);
    for (const v of values) for (const enc of encodingsOf(v)) if (bytes.includes(enc)) hits.push(`${file}: ${enc === v ? 'utf8' : 'encoded'}`);
  }
  return hits;
}
