/**
 * The primitives Tessera is built on, behind one interface with two implementations:
 * tweetnacl (portable reference; runs in the renderer) and a native one for Node
 * processes (src-node/crypto/node-suite.ts). Both produce identical bytes; a test
 * proves it, and another checks both against libsodium.
 *
 * - secretbox: XSalsa20-Poly1305 (NaCl crypto_secretbox), 32-byte key, 24-byte nonce.
 * - ed25519:   RFC 8032 Ed25519 signatures; secret keys are kept as 32-byte seeds.
 * - box:       X25519 + XSalsa20-Poly1305 (NaCl crypto_box), used to wrap keys.
 */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const MAC_BYTES = 16;
export const SIGNATURE_BYTES = 64;
export const PUBLIC_KEY_BYTES = 32;
export const SEED_BYTES = 32;

export interface SecretBox {
  /** Encrypts and authenticates; returns MAC ‖ ciphertext (plaintext.length + 16 bytes). */
  seal(plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** Returns the plaintext, or null when the MAC does not verify (wrong key or tampered). */
  open(sealed: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
}

export interface Ed25519 {
  publicKeyFromSeed(seed: Uint8Array): Uint8Array;
  /** Signs with the 32-byte seed; `publicKey` is the seed's own public key. */
  sign(message: Uint8Array, seed: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** False for any bad signature, wrong key or malformed input: never throws on bad data. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** verify() on another thread, where the implementation has one (large snapshots). */
  verifyAsync?(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}

export interface Box {
  publicKeyFromSecret(secretKey: Uint8Array): Uint8Array;
  seal(plaintext: Uint8Array, nonce: Uint8Array, theirPublicKey: Uint8Array, mySecretKey: Uint8Array): Uint8Array;
  open(sealed: Uint8Array, nonce: Uint8Array, theirPublicKey: Uint8Array, mySecretKey: Uint8Array): Uint8Array | null;
}

export interface CryptoSuite {
  readonly name: string;
  readonly secretbox: SecretBox;
  readonly ed25519: Ed25519;
  readonly box: Box;
  randomBytes(n: number): Uint8Array;
}
