/**
 * What a machine fetched, kept for its next run when asked (`--cache DIR`, for CI runners that
 * start many jobs): per scope, the document state and the relay cursor it reached. One file, sealed (XSalsa20-Poly1305) under a key derived from the token's own
 * secret, so it opens only with the token and any change to it is refused: then the machine
 * simply fetches everything again. The membership log is fetched and verified from the
 * genesis on every run (it is small, and it is what says whether the token still reads).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as encoding from 'lib0/encoding';
import { hmacSha512 } from '../../src-shared/crypto/hmac';
import { toHex, utf8 } from '../../src-shared/crypto/bytes';
import { KEY_BYTES, NONCE_BYTES, type CryptoSuite } from '../../src-shared/crypto/suite';
import { ByteReader } from '../../src-shared/envelope/reader';
import type { MachineToken } from '../../src-shared/membership/machine-token';
import { writeFileAtomic } from '../fs/atomic-file';

export interface CachedVault {
  /** Scope id (hex) → its Yjs state and the relay sequence it covers. */
  readonly scopes: Map<string, { readonly cursor: number; readonly state: Uint8Array }>;
}

const MAX_CACHE_BYTES = 512 * 1024 * 1024;
const fileIn = (dir: string, token: MachineToken) => join(dir, `tessera-${toHex(token.vaultId).slice(0, 16)}.cache`);
const cacheKey = (token: MachineToken) => hmacSha512(token.boxSecret, utf8.encode('tessera/token-cache/v1')).slice(0, KEY_BYTES);

/** The cache for this token in `dir`, or null when there is none or it does not open (then everything is fetched). */
export async function readTokenCache(suite: CryptoSuite, dir: string, token: MachineToken): Promise<CachedVault | null> {
  const raw = await fs.readFile(fileIn(dir, token)).catch(() => null);
  if (!raw || raw.length < NONCE_BYTES || raw.length > MAX_CACHE_BYTES) return null;
  const plain = suite.secretbox.open(raw.subarray(NONCE_BYTES), raw.subarray(0, NONCE_BYTES), cacheKey(token));
  if (!plain) return null;
  try {
    const r: ByteReader = new ByteReader(plain, 'token cache');
    if (r.varUint() !== 1) return null;
    const scopes = new Map<string, { cursor: number; state: Uint8Array }>();
    for (let n = r.varUint(); n > 0; n--) scopes.set(toHex(r.fixed(16)), { cursor: r.varUint(), state: r.sized(MAX_CACHE_BYTES) });
    r.end();
    return { scopes };
  } catch {
    return null;
  }
}

/** Writes the cache (mode 0600, atomically). */
export async function writeTokenCache(suite: CryptoSuite, dir: string, token: MachineToken, cache: CachedVault): Promise<void> {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, cache.scopes.size);
  for (const [scope, s] of cache.scopes) {
    encoding.writeUint8Array(e, Uint8Array.from(Buffer.from(scope, 'hex')));
    encoding.writeVarUint(e, s.cursor);
    encoding.writeVarUint8Array(e, s.state);
  }
  const nonce = suite.randomBytes(NONCE_BYTES);
  const sealed = suite.secretbox.seal(encoding.toUint8Array(e), nonce, cacheKey(token));
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(fileIn(dir, token), Buffer.concat([nonce, sealed]), 0o600);
}
