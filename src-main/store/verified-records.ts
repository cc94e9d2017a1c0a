/**
 * The local, authenticated record of which log prefixes this device has already verified,
 * so opening a vault does not re-check every signature every time. Each entry binds
 * (scope, file, length, SHA-256 of those bytes) under an HMAC keyed from the device key:
 * someone who can write the profile folder but not read the keychain cannot forge one.
 * The file is a cache; if it is missing or wrong, everything is simply verified again.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-file';

interface Entry {
  length: number;
  sha256: string;
  mac: string;
}

export function recordKeyFromDeviceKey(deviceKey: Uint8Array): Uint8Array {
  return createHmac('sha256', deviceKey).update('tessera/verified-records/v1').digest();
}

export class VerifiedRecords {
  private entries: Record<string, Entry> = {};
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly key: Uint8Array,
    private readonly scope: string,
  ) {}

  async load(): Promise<void> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.path, 'utf8'));
      this.entries = typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      this.entries = {};
    }
  }

  private mac(file: string, length: number, sha256: string): string {
    return createHmac('sha256', this.key).update(`${this.scope}\n${file}\n${length}\n${sha256}`).digest('base64url');
  }

  /** How many leading bytes of `buf` this device verified before (0 if none or not provable). */
  trustedPrefix(file: string, buf: Uint8Array): number {
    const e = this.entries[file];
    if (!e || typeof e.length !== 'number' || e.length > buf.length || typeof e.mac !== 'string') return 0;
    const sha = createHash('sha256').update(buf.subarray(0, e.length)).digest('hex');
    const expected = Buffer.from(this.mac(file, e.length, sha));
    const given = Buffer.from(e.mac);
    return sha === e.sha256 && expected.length === given.length && timingSafeEqual(expected, given) ? e.length : 0;
  }

  record(file: string, verifiedPrefix: Uint8Array): void {
    const sha256 = createHash('sha256').update(verifiedPrefix).digest('hex');
    this.entries[file] = { length: verifiedPrefix.length, sha256, mac: this.mac(file, verifiedPrefix.length, sha256) };
    this.dirty = true;
  }

  forget(match: (file: string) => boolean): void {
    for (const f of Object.keys(this.entries)) {
      if (match(f)) {
        delete this.entries[f];
        this.dirty = true;
      }
    }
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await writeFileAtomic(this.path, JSON.stringify(this.entries));
  }
}
