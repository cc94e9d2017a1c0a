/**
 * The portable CryptoSuite on tweetnacl (an audited port of NaCl). Slow for Ed25519 and
 * for large secretboxes in Node (see suite.ts), so Node processes use the native suite.
 */
import nacl from 'tweetnacl';
import { assertBytes, equalBytes } from './bytes';
import { passesEd25519Prechecks } from './ed25519-checks';
import { TesseraError } from '../errors';
import { KEY_BYTES, NONCE_BYTES, PUBLIC_KEY_BYTES, SEED_BYTES, SIGNATURE_BYTES, type CryptoSuite } from './suite';

export const tweetnaclSuite: CryptoSuite = {
  name: 'tweetnacl',
  secretbox: {
    seal(plaintext, nonce, key) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(key, KEY_BYTES, 'key');
      return nacl.secretbox(plaintext, nonce, key);
    },
    open(sealed, nonce, key) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(key, KEY_BYTES, 'key');
      return nacl.secretbox.open(sealed, nonce, key);
    },
  },
  ed25519: {
    publicKeyFromSeed(seed) {
      assertBytes(seed, SEED_BYTES, 'seed');
      return nacl.sign.keyPair.fromSeed(seed).publicKey;
    },
    sign(message, seed, publicKey) {
      assertBytes(seed, SEED_BYTES, 'seed');
      assertBytes(publicKey, PUBLIC_KEY_BYTES, 'public key');
      // tweetnacl hashes the public key it is handed into the signature; signing one message
      // under one seed with two different "public keys" would reveal the seed. Use the real one.
      const pair = nacl.sign.keyPair.fromSeed(seed);
      if (!equalBytes(pair.publicKey, publicKey)) throw new TesseraError('INVALID_INPUT', 'That public key does not belong to this seed');
      const secretKey = pair.secretKey;
      const sig = nacl.sign.detached(message, secretKey);
      secretKey.fill(0);
      return sig;
    },
    verify(message, signature, publicKey) {
      if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
      if (!passesEd25519Prechecks(signature, publicKey)) return false;
      try {
        return nacl.sign.detached.verify(message, signature, publicKey);
      } catch {
        return false;
      }
    },
  },
  box: {
    publicKeyFromSecret(secretKey) {
      assertBytes(secretKey, KEY_BYTES, 'secret key');
      return nacl.box.keyPair.fromSecretKey(secretKey).publicKey;
    },
    seal(plaintext, nonce, theirPublicKey, mySecretKey) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(theirPublicKey, PUBLIC_KEY_BYTES, 'public key');
      assertBytes(mySecretKey, KEY_BYTES, 'secret key');
      return nacl.box(plaintext, nonce, theirPublicKey, mySecretKey);
    },
    open(sealed, nonce, theirPublicKey, mySecretKey) {
      assertBytes(nonce, NONCE_BYTES, 'nonce');
      assertBytes(theirPublicKey, PUBLIC_KEY_BYTES, 'public key');
      assertBytes(mySecretKey, KEY_BYTES, 'secret key');
      return nacl.box.open(sealed, nonce, theirPublicKey, mySecretKey);
    },
  },
  randomBytes: (n) => nacl.randomBytes(n),
};
