/**
 * The CryptoSuite for Node processes (desktop main, CLI, relay, tests). Same bytes as
 * tweetnaclSuite, much faster. With libsodium (sodium-native, prebuilt in its npm package):
 * Ed25519 signs in ~40 µs and verifies in ~60 µs, XSalsa20-Poly1305 runs ~10× tweetnacl.
 * Without it (a platform with no prebuild), Ed25519 comes from node:crypto (OpenSSL:
 * ~130 µs a verification, ~500 µs a signature because a private KeyObject is built each
 * time) and secretbox from tweetnacl. Large snapshots are verified on node:crypto's thread
 * pool either way (verifyAsync), beside the main thread's decryption.
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, randomFillSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { assertBytes, equalBytes } from '../../src-shared/crypto/bytes';
import { TesseraError } from '../../src-shared/errors';
import { KEY_BYTES, MAC_BYTES, NONCE_BYTES, PUBLIC_KEY_BYTES, SEED_BYTES, SIGNATURE_BYTES, type Box, type CryptoSuite, type Ed25519, type SecretBox } from '../../src-shared/crypto/suite';
import { tweetnaclSuite } from '../../src-shared/crypto/tweetnacl-suite';
import { passesEd25519Prechecks } from '../../src-shared/crypto/ed25519-checks';
import { useSha512, type Sha512 } from '../../src-shared/crypto/hash';

// DER prefixes that turn raw Ed25519 keys into PKCS#8 / SPKI (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// Parsing a key costs about as much as a verification, and a vault has few authors.
const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_MAX = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('base64');
  let k = publicKeyCache.get(id);
  if (!k) {
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) publicKeyCache.clear();
    publicKeyCache.set(id, k);
  }
  return k;
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

type Sodium = typeof import('sodium-native');

function loadSodium(): Sodium | null {
  try {
    return createRequire(import.meta.url)('sodium-native') as Sodium;
  } catch {
    return null;
  }
}

function sodiumSecretBox(sodium: Sodium): SecretBox {
  return {
    seal(plaintext, nonce, key) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(key, KEY_BYTES, 'key');
      const out = new Uint8Array(plaintext.length + MAC_BYTES);
      sodium.crypto_secretbox_easy(out, plaintext, nonce, key);
      return out;
    },
    open(sealed, nonce, key) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(key, KEY_BYTES, 'key');
      if (sealed.length < MAC_BYTES) return null;
      const out = new Uint8Array(sealed.length - MAC_BYTES);
      return sodium.crypto_secretbox_open_easy(out, sealed, nonce, key) ? out : null;
    },
  };
}

const sodium = loadSodium();

/** NaCl crypto_box from libsodium: ~20× tweetnacl (re-keying 100 members wraps 400 keys). */
function sodiumBox(sodium: Sodium): Box {
  return {
    publicKeyFromSecret(secretKey) {
      assertBytes(secretKey, KEY_BYTES, 'secret key');
      const pk = new Uint8Array(PUBLIC_KEY_BYTES);
      sodium.crypto_scalarmult_base(pk, secretKey);
      return pk;
    },
    seal(plaintext, nonce, theirPublicKey, mySecretKey) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(theirPublicKey, PUBLIC_KEY_BYTES, 'public key');
      assertBytes(mySecretKey, KEY_BYTES, 'secret key');
      const out = new Uint8Array(plaintext.length + MAC_BYTES);
      try {
        sodium.crypto_box_easy(out, plaintext, nonce, theirPublicKey, mySecretKey);
      } catch {
        // libsodium refuses a public key of small order (the shared secret would be public).
        throw new TesseraError('INVALID_INPUT', 'Refusing to encrypt to a weak public key');
      }
      return out;
    },
    open(sealed, nonce, theirPublicKey, mySecretKey) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(theirPublicKey, PUBLIC_KEY_BYTES, 'public key');
      assertBytes(mySecretKey, KEY_BYTES, 'secret key');
      if (sealed.length < MAC_BYTES) return null;
      const out = new Uint8Array(sealed.length - MAC_BYTES);
      try {
        return sodium.crypto_box_open_easy(out, sealed, nonce, theirPublicKey, mySecretKey) ? out : null;
      } catch {
        return null;
      }
    },
  };
}

function sodiumEd25519(sodium: Sodium): Ed25519 {
  return {
    publicKeyFromSeed(seed) {
      assertBytes(seed, SEED_BYTES, 'seed');
      const pk = new Uint8Array(PUBLIC_KEY_BYTES);
      const sk = new Uint8Array(64);
      sodium.crypto_sign_seed_keypair(pk, sk, seed);
      sk.fill(0);
      return pk;
    },
    sign(message, seed, publicKey) {
      assertBytes(seed, SEED_BYTES, 'seed');
      assertBytes(publicKey, PUBLIC_KEY_BYTES, 'public key');
      // libsodium hashes the public half of its secret key into the signature: derive it from
      // the seed rather than trust the caller's (two signatures of one message under two
      // "public keys" would reveal the seed).
      const pk = new Uint8Array(PUBLIC_KEY_BYTES);
      const sk = new Uint8Array(64);
      sodium.crypto_sign_seed_keypair(pk, sk, seed);
      try {
        if (!equalBytes(pk, publicKey)) throw new TesseraError('INVALID_INPUT', 'That public key does not belong to this seed');
        const sig = new Uint8Array(SIGNATURE_BYTES);
        sodium.crypto_sign_detached(sig, message, sk);
        return sig;
      } finally {
        sk.fill(0);
      }
    },
    verify(message, signature, publicKey) {
      if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
      if (!passesEd25519Prechecks(signature, publicKey)) return false;
      return sodium.crypto_sign_verify_detached(signature, message, publicKey);
    },
    verifyAsync: opensslEd25519.verifyAsync!,
  };
}

const opensslEd25519: Ed25519 = {
  publicKeyFromSeed(seed) {
    assertBytes(seed, SEED_BYTES, 'seed');
    const jwk = createPublicKey(privateKeyObject(seed)).export({ format: 'jwk' });
    return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
  },
  sign(message, seed, publicKey) {
    assertBytes(seed, SEED_BYTES, 'seed');
    assertBytes(publicKey, PUBLIC_KEY_BYTES, 'public key');
    return new Uint8Array(edSign(null, message, privateKeyObject(seed)));
  },
  verify(message, signature, publicKey) {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
    // OpenSSL verifies per RFC 8032 but accepts small-order keys; libsodium's checks refuse them.
    if (!passesEd25519Prechecks(signature, publicKey)) return false;
    try {
      return edVerify(null, message, publicKeyObject(publicKey), signature);
    } catch {
      return false; // not a valid point, for example
    }
  },
  verifyAsync(message, signature, publicKey) {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return Promise.resolve(false);
    if (!passesEd25519Prechecks(signature, publicKey)) return Promise.resolve(false);
    return new Promise((resolve) => {
      try {
        // With a callback, node:crypto runs the verification on libuv's thread pool.
        edVerify(null, message, publicKeyObject(publicKey), signature, (err, ok) => resolve(!err && ok));
      } catch {
        resolve(false);
      }
    });
  },
};

export const nodeSuite: CryptoSuite = {
  name: sodium ? 'libsodium+node:crypto' : 'node:crypto+tweetnacl',
  secretbox: sodium ? sodiumSecretBox(sodium) : tweetnaclSuite.secretbox,
  ed25519: sodium ? sodiumEd25519(sodium) : opensslEd25519,
  box: sodium ? sodiumBox(sodium) : tweetnaclSuite.box,
  randomBytes(n) {
    const out = new Uint8Array(n);
    randomFillSync(out);
    return out;
  },
};

/** OpenSSL's SHA-512: the same bytes as tweetnacl's, about four times faster on small inputs. */
export const nodeSha512: Sha512 = (parts) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  const digest = h.digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
};

// Every Node process that uses this suite hashes with node:crypto too (hash.ts).
useSha512(nodeSha512);

/** The OpenSSL implementation on its own, for tests that compare implementations. */
export const opensslSigner: Ed25519 = opensslEd25519;
